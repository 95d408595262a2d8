package org.cetusguard.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EscapeTest {
    /** What a client might send to forge a log entry, hide text on a terminal, or break a parser. */
    static final List<String> HOSTILE = List.of(
            "/a\nWARNING: 2026/11/22 17:34:10 denied request: GET /x",
            "/a\r\nINFO: fake", "/a\rWARNING: overwritten", "\u001b[31mred\u001b[0m", "\u001b]0;title\u0007",
            "/a\u202e/txt.exe", "\ufeffbom", "a\u200bb", "line\u2028sep", "para\u2029sep", "c1\u0085next",
            "del\u007f", "nul\u0000", "lone\ud800", "\udc00lone", "tab\there", "\"quoted\"", "back\\slash");

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void plainValuesStayAsTheyAreInLogs() {
        for (String plain : List.of("/v1.41/containers/json", "GET", "127.0.0.1:53422", "%API_PREFIX_PING%", "-")) {
            assertEquals(plain, Escape.forLog(plain));
        }
    }

    @Test
    void anythingThatCouldPoseAsAnotherFieldIsQuotedInLogs() {
        assertEquals("\"\"", Escape.forLog(""));
        assertEquals("\"/a b\"", Escape.forLog("/a b"));
        assertEquals("\"status=200\"", Escape.forLog("status=200"));
        assertEquals("\"a\\\"b\"", Escape.forLog("a\"b"));
        assertEquals("\"a\\\\b\"", Escape.forLog("a\\b"));
        assertEquals("\"/caf\u00e9\"", Escape.forLog("/caf\u00e9"));
    }

    @Test
    void nothingHostileReachesALogLineOrAMessageRaw() {
        for (String s : HOSTILE) {
            for (String out : List.of(Escape.forLog(s), Escape.forMessage(s), Escape.forMessageText(s), Escape.forJson(s))) {
                assertSafe(s, out);
            }
            // One token: quoted, with no unescaped quote inside.
            String token = Escape.forLog(s);
            assertTrue(token.startsWith("\"") && token.endsWith("\""), token);
            assertFalse(token.substring(1, token.length() - 1).replace("\\\\", "").replace("\\\"", "").contains("\""), token);
        }
        assertEquals("\"/a\\u000aWARNING: x\"", Escape.forLog("/a\nWARNING: x"));
        assertEquals("\"x\\u001b[31m\\u000dGET\\u202e\"", Escape.forMessage("x\u001b[31m\rGET\u202e"));
        assertEquals("tab\\u0009 \\\"q\\\"", Escape.forMessageText("tab\t \"q\""));
    }

    static void assertSafe(String in, String out) {
        for (int i = 0; i < out.length(); i++) {
            char c = out.charAt(i);
            int type = Character.getType(c);
            assertFalse(c < 0x20 || c == 0x7f || type == Character.CONTROL || type == Character.FORMAT
                    || type == Character.SURROGATE || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR,
                    "raw U+" + Integer.toHexString(c) + " in " + out + " (from " + in + ")");
        }
    }

    @Test
    void printableNonAsciiStaysReadableInMessages() {
        assertEquals("\"/srv/donn\u00e9es/\u65e5\u672c\"", Escape.forMessage("/srv/donn\u00e9es/\u65e5\u672c"));
    }

    @Test
    void longMessagesAreShortenedWithTheirLength() {
        String line = "GET /" + "a".repeat(400);
        assertEquals("\"GET /aaaaa\"... (405 characters)", Escape.forMessage(line, 10));
        assertEquals("\"GET /a\"", Escape.forMessage("GET /a", 10));
    }

    @Test
    void jsonIsValidAndReadsBackExactly() throws Exception {
        for (String s : HOSTILE) {
            assertEquals(s, JSON.readValue(Escape.forJson(s), String.class), s);
        }
        Random random = new Random(14);
        for (int n = 0; n < 2000; n++) {
            StringBuilder b = new StringBuilder();
            for (int i = random.nextInt(20); i > 0; i--) {
                // Mostly the interesting low ranges, sometimes anything (surrogates included).
                b.append((char) (random.nextBoolean() ? random.nextInt(0x100) : random.nextInt(0x10000)));
            }
            String s = b.toString();
            String json = Escape.forJson(s);
            assertEquals(s, JSON.readValue(json, String.class), json);
            assertSafe(s, json);
        }
    }

    @Test
    void jsonIsSafeWhereHtmlMightBeSniffed() {
        assertEquals("\"\\u003cscript\\u003ea\\u0026b\"", Escape.forJson("<script>a&b"));
        assertEquals("\"a \\\"quoted\\\" \\\\ \\u000a\"", Escape.forJson("a \"quoted\" \\ \n"));
    }
}
