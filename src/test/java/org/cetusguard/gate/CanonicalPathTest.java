package org.cetusguard.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.cetusguard.gate.CanonicalPath.RejectedPathException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CanonicalPathTest {

    private static final String DIGEST =
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    // ---- ordinary Docker API paths: forwarded byte for byte, no work done ----

    @ParameterizedTest
    @ValueSource(strings = {
        "/",
        "/_ping",
        "/v1.41/_ping",
        "/v1.41/containers/json",
        "/v1.41/containers/abc123/logs",
        "/v1.41/containers/my_container.1-x/start",
        "/v1.41/images/registry.local:5000/library/busybox:1.36/json",
        "/v1.41/images/busybox@" + DIGEST + "/json",
        "/v1.41/exec/abc/start",
        "/v1.41/libpod/containers/json",
        "/v1.41/networks/a...b/json",
        "/v1.41/volumes/~!$&'()*+,=:@",
    })
    void ordinaryPathIsForwardedUnchanged(String raw) throws Exception {
        CanonicalPath p = CanonicalPath.of(raw);
        assertSame(raw, p.decoded(), "fast path returns the input itself");
        assertSame(raw, p.encoded(), "fast path returns the input itself");
    }

    // ---- accepted inputs that need decoding, resolving or re-encoding ----

    @ParameterizedTest(name = "{0} -> {1} / {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // raw                                       | decoded                              | encoded
        "/v1.41/networks/r%C3%A9%20seau/json          | /v1.41/networks/ré seau/json         | /v1.41/networks/r%C3%A9%20seau/json",
        "/v1.41/networks/r%c3%a9%20seau/json          | /v1.41/networks/ré seau/json         | /v1.41/networks/r%C3%A9%20seau/json",
        "/v1.41/networks/%F0%9F%90%B3/json            | /v1.41/networks/\uD83D\uDC33/json    | /v1.41/networks/%F0%9F%90%B3/json",
        "/v1.41/containers/%61bc/json                 | /v1.41/containers/abc/json           | /v1.41/containers/abc/json",
        "/v1.41/containers/%7E%21%3a%40/json          | /v1.41/containers/~!:@/json          | /v1.41/containers/~!:@/json",
        "/v1.41/networks/a%3Fb%23c/json               | /v1.41/networks/a?b#c/json           | /v1.41/networks/a%3Fb%23c/json",
        "/v1.41/networks/%22%3C%3E%5B%5D%5E%60%7B%7C%7D | \"/v1.41/networks/\"\"<>[]^`{|}\"    | /v1.41/networks/%22%3C%3E%5B%5D%5E%60%7B%7C%7D",
        "/v1.41/images/[::1]:5000/busybox/json        | /v1.41/images/[::1]:5000/busybox/json | /v1.41/images/%5B::1%5D:5000/busybox/json",
        "/v1.41/./containers/json                     | /v1.41/containers/json               | /v1.41/containers/json",
        "/v1.41/images/../containers/json             | /v1.41/containers/json               | /v1.41/containers/json",
        "/a/b/../../c                                 | /c                                   | /c",
        "/./a                                         | /a                                   | /a",
        "/.                                           | /                                    | /",
        "/a/..                                        | /                                    | /",
        "/a/b/../..                                   | /                                    | /",
        "/a/.../b                                     | /a/.../b                             | /a/.../b",
        "/a/.b/..c/b..                                | /a/.b/..c/b..                        | /a/.b/..c/b..",
        "/a/%C3%A9/../b                               | /a/b                                 | /a/b",
    })
    void acceptedInputs(String raw, String decoded, String encoded) throws Exception {
        CanonicalPath p = CanonicalPath.of(raw);
        assertEquals(decoded, p.decoded());
        assertEquals(encoded, p.encoded());
    }

    // ---- rejected inputs, with the reason ----

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // not an origin-form path
        "\"\"                              | empty path",
        "*                                 | path must start with /",
        "http://docker/v1.41/_ping         | path must start with /",
        "v1.41/_ping                       | path must start with /",
        "%2Fv1.41                          | path must start with /",
        // encoded separators and dots
        "/v1.41/containers%2Fjson          | encoded slash in path",
        "/v1.41/containers%2fjson          | encoded slash in path",
        "/v1.41/containers%5Cjson          | encoded backslash in path",
        "/v1.41/containers%5cjson          | encoded backslash in path",
        "/v1.41/%2e%2e/x                   | encoded dot in path",
        "/v1.41/%2E%2E/x                   | encoded dot in path",
        "/v1.41/.%2e/x                     | encoded dot in path",
        "/v1.41/%2e./x                     | encoded dot in path",
        "/v1%2E41/_ping                    | encoded dot in path",
        // double encoding
        "/v1.41/%252e%252e/x               | encoded percent in path",
        "/v1.41/a%25                       | encoded percent in path",
        // path parameters
        "/v1.41/containers/..;/x           | semicolon in path",
        "/v1.41/containers;x=1/json        | semicolon in path",
        "/v1.41/containers%3Bx/json        | encoded semicolon in path",
        "/v1.41/containers%3bx/json        | encoded semicolon in path",
        // control characters, raw and encoded
        "/a/%00                            | control character in path",
        "/a%0d%0aX: y                      | control character in path",
        "/a%0D%0AX:y                       | control character in path",
        "/a%09b                            | control character in path",
        "/a%1F                             | control character in path",
        "/a%7F                             | control character in path",
        "/a%7f                             | control character in path",
        "/a%C2%85                          | control character in path",
        "/a%C2%9F                          | control character in path",
        // raw characters that have no business in a parsed path
        "/a\\b                             | backslash in path",
        "/a b                              | space in path",
        "/a?b                              | '?' in path",
        "/a#b                              | '#' in path",
        "/caf\u00e9                        | non-ASCII character in path",
        "/\u202e                           | non-ASCII character in path",
        "/\uD83D\uDC33                     | non-ASCII character in path",
        // empty segments
        "/a//b                             | empty segment in path",
        "//a                               | empty segment in path",
        "//                                | empty segment in path",
        "/a/                               | empty segment in path",
        "/v1.41/containers/json/           | empty segment in path",
        "/a/./                             | empty segment in path",
        "/a/%C3%A9/                        | empty segment in path",
        // dot-segments
        "/..                               | dot-segment climbs above root",
        "/../x                             | dot-segment climbs above root",
        "/a/../../x                        | dot-segment climbs above root",
        "/./../x                           | dot-segment climbs above root",
        "/a/.                              | dot-segment leaves trailing slash",
        "/a/b/..                           | dot-segment leaves trailing slash",
        // malformed percent-encoding
        "%                                 | path must start with /",
        "/%                                | invalid percent-encoding",
        "/a%                               | invalid percent-encoding",
        "/a%4                              | invalid percent-encoding",
        "/a%G1                             | invalid percent-encoding",
        "/a%1G                             | invalid percent-encoding",
        "/a%%41                            | invalid percent-encoding",
        "/a%-1                             | invalid percent-encoding",
        "/a%+1                             | invalid percent-encoding",
        "/a%\u0661\u0662                   | invalid percent-encoding",
        // invalid UTF-8: overlong, surrogates, out of range, stray and truncated bytes
        "/a%C0%AE                          | invalid UTF-8 in path",
        "/a%c0%ae                          | invalid UTF-8 in path",
        "/a%C0%AF                          | invalid UTF-8 in path",
        "/a%C1%BF                          | invalid UTF-8 in path",
        "/a%E0%80%AE                       | invalid UTF-8 in path",
        "/a%E0%80%AF                       | invalid UTF-8 in path",
        "/a%F0%80%80%AF                    | invalid UTF-8 in path",
        "/a%F8%80%80%80%AF                 | invalid UTF-8 in path",
        "/a%ED%A0%80                       | invalid UTF-8 in path",
        "/a%ED%BF%BF                       | invalid UTF-8 in path",
        "/a%ED%A0%BD%ED%B0%B3              | invalid UTF-8 in path",
        "/a%F4%90%80%80                    | invalid UTF-8 in path",
        "/a%FF                             | invalid UTF-8 in path",
        "/a%FE                             | invalid UTF-8 in path",
        "/a%80                             | invalid UTF-8 in path",
        "/a%C3                             | invalid UTF-8 in path",
        "/a%E2%82                          | invalid UTF-8 in path",
        "/a%E2%82/b                        | invalid UTF-8 in path",
        "/a%C3%C3%A9                       | invalid UTF-8 in path",
    })
    void rejectedInputs(String raw, String message) {
        RejectedPathException e = assertThrows(RejectedPathException.class, () -> CanonicalPath.of(raw));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsNullAndRawControlCharacters() {
        assertEquals("empty path", assertThrows(RejectedPathException.class, () -> CanonicalPath.of(null)).getMessage());
        for (char c = 0; c < 0x20; c++) {
            String raw = "/a" + c + "b";
            assertEquals("control character in path",
                    assertThrows(RejectedPathException.class, () -> CanonicalPath.of(raw)).getMessage(), "char " + (int) c);
        }
        assertEquals("control character in path",
                assertThrows(RejectedPathException.class, () -> CanonicalPath.of("/a\u007Fb")).getMessage());
        // A raw C1 control is non-ASCII before it is a control.
        assertEquals("non-ASCII character in path",
                assertThrows(RejectedPathException.class, () -> CanonicalPath.of("/a\u0085b")).getMessage());
    }

    @Test
    void everyEncodedControlCharacterIsRejected() {
        for (int b = 0; b < 0x20; b++) {
            String raw = String.format("/a%%%02X", b);
            assertEquals("control character in path",
                    assertThrows(RejectedPathException.class, () -> CanonicalPath.of(raw)).getMessage(), raw);
        }
        for (int cp = 0x80; cp <= 0x9F; cp++) {
            String raw = "/a" + percentEncodeAll(new String(Character.toChars(cp)));
            assertEquals("control character in path",
                    assertThrows(RejectedPathException.class, () -> CanonicalPath.of(raw)).getMessage(), raw);
        }
    }

    /** %XX for every byte 0x20..0x7E decodes to that character or is refused for a named reason. */
    @Test
    void everyEncodedPrintableAsciiByte() throws Exception {
        for (int b = 0x20; b < 0x7F; b++) {
            String raw = String.format("/x%%%02Xy", b);
            switch (b) {
                case '/': case '\\': case '.': case '%': case ';':
                    assertThrows(RejectedPathException.class, () -> CanonicalPath.of(raw), raw);
                    break;
                default:
                    CanonicalPath p = CanonicalPath.of(raw);
                    assertEquals("/x" + (char) b + "y", p.decoded(), raw);
                    assertEquals(plainDecode(p.encoded()), p.decoded(), raw);
            }
        }
    }

    /** The JDK decoder with REPORT must refuse every overlong spelling of '.', '/' and '\'. */
    @Test
    void overlongFormsOfDotSlashBackslashAreRejected() {
        for (int ascii : new int[] {'.', '/', '\\', '%', ';', 0}) {
            String[] forms = {
                String.format("%%%02X%%%02X", 0xC0 | (ascii >> 6), 0x80 | (ascii & 0x3F)),
                String.format("%%E0%%%02X%%%02X", 0x80 | (ascii >> 6), 0x80 | (ascii & 0x3F)),
                String.format("%%F0%%80%%%02X%%%02X", 0x80 | (ascii >> 6), 0x80 | (ascii & 0x3F)),
            };
            for (String form : forms) {
                String raw = "/a/" + form + form + "/b";
                assertEquals("invalid UTF-8 in path",
                        assertThrows(RejectedPathException.class, () -> CanonicalPath.of(raw)).getMessage(), raw);
            }
        }
    }

    @Test
    void rejectionHasNoStackTrace() {
        RejectedPathException e = assertThrows(RejectedPathException.class, () -> CanonicalPath.of("/a//b"));
        assertEquals(0, e.getStackTrace().length);
    }

    // ---- property: whatever is accepted is canonical, stable and round-trips ----

    /** Pieces a path is built from: mostly harmless, some hostile, all the tricky spellings. */
    private static final String[] PIECES = {
        "/", "/", "/", "/", "/", "/", ".", ".", "..", "..", "...",
        "a", "b", "c", "v1.41", "containers", "json", "_ping", "Z", "0", "9",
        "-", "_", "~", "!", "$", "&", "'", "(", ")", "*", "+", ",", "=", ":", "@",
        "\"", "<", ">", "[", "]", "^", "`", "{", "|", "}",
        "%41", "%61", "%7E", "%7e", "%20", "%3F", "%23", "%3A", "%40", "%5B", "%22",
        "%C3%A9", "%c3%a9", "%E2%82%AC", "%F0%9F%90%B3", "%E2%80%AE",
        "%2e", "%2E", "%2F", "%2f", "%5C", "%5c", "%25", "%252e", "%3B", "%3b",
        "%00", "%0a", "%0D", "%1f", "%7F", "%C2%85",
        "%C0%AE", "%C0%AF", "%E0%80%AE", "%ED%A0%80", "%FF", "%80", "%C3",
        "%", "%4", "%G1", "%%",
        ";", "\\", " ", "?", "#", "\t", "\u0000", "\u00e9", "\u202e",
    };

    @Test
    void acceptedPathsAreCanonicalAndRoundTrip() throws Exception {
        Random random = new Random(20240611L);
        int accepted = 0;
        int rejected = 0;
        for (int run = 0; run < 20_000; run++) {
            StringBuilder sb = new StringBuilder();
            if (random.nextInt(20) != 0) {
                sb.append('/'); // occasionally leave the leading slash to chance
            }
            int pieces = 1 + random.nextInt(10);
            for (int i = 0; i < pieces; i++) {
                // Bias towards the first, friendlier half so that plenty of inputs are accepted.
                int bound = random.nextInt(3) == 0 ? PIECES.length : PIECES.length / 2;
                sb.append(PIECES[random.nextInt(bound)]);
            }
            String raw = sb.toString();
            CanonicalPath p;
            try {
                p = CanonicalPath.of(raw);
            } catch (RejectedPathException e) {
                rejected++;
                continue;
            }
            accepted++;
            String decoded = p.decoded();
            String encoded = p.encoded();

            // (1) idempotent: the forwarded form is accepted and means the same path.
            CanonicalPath again;
            try {
                again = CanonicalPath.of(encoded);
            } catch (RejectedPathException e) {
                fail("encoded() of " + raw + " = " + encoded + " rejected: " + e.getMessage());
                return;
            }
            assertEquals(decoded, again.decoded(), raw);
            assertEquals(encoded, again.encoded(), raw);

            // (2) the checked path has nothing a rule writer or the daemon could read two ways.
            assertCanonical(decoded, raw);

            // (3) one plain decode of what we forward gives exactly what we checked.
            assertEquals(decoded, plainDecode(encoded), raw);

            // and what we forward is plain RFC 3986: kept characters and uppercase %XX only.
            assertWellFormedEncoding(encoded, raw);
        }
        assertTrue(accepted > 2_000, "too few accepted inputs to mean anything: " + accepted);
        assertTrue(rejected > 2_000, "too few rejected inputs to mean anything: " + rejected);
    }

    private static void assertCanonical(String decoded, String raw) {
        assertTrue(decoded.startsWith("/"), raw);
        assertFalse(decoded.contains("//"), raw);
        assertTrue(decoded.equals("/") || !decoded.endsWith("/"), raw);
        for (String segment : decoded.substring(1).split("/", -1)) {
            assertFalse(segment.equals(".") || segment.equals(".."), raw);
        }
        for (int i = 0; i < decoded.length(); i++) {
            char c = decoded.charAt(i);
            assertFalse(Character.isISOControl(c), raw);
            assertFalse(c == '\\' || c == '%' || c == ';', raw);
        }
    }

    private static void assertWellFormedEncoding(String encoded, String raw) {
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%') {
                assertTrue(i + 2 < encoded.length(), raw);
                assertTrue("0123456789ABCDEF".indexOf(encoded.charAt(i + 1)) >= 0, raw);
                assertTrue("0123456789ABCDEF".indexOf(encoded.charAt(i + 2)) >= 0, raw);
                i += 2;
            } else {
                boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                assertTrue(alnum || "-._~!$&'()*+,=:@/".indexOf(c) >= 0, raw + " -> " + encoded);
            }
        }
    }

    // ---- helpers: a deliberately naive decoder/encoder, independent of the code under test ----

    /** Decodes %XX once, as Go's net/http would for the path, and reads the bytes as UTF-8. */
    private static String plainDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String percentEncodeAll(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            sb.append(String.format("%%%02X", b & 0xFF));
        }
        return sb.toString();
    }
}
