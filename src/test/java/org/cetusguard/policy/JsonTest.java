package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static final int MAX = 1 << 20;

    private static Object parse(String text) throws JsonException {
        return Json.parse(text.getBytes(StandardCharsets.UTF_8), MAX, 32);
    }

    private static String refused(String text) {
        return refusedBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String refusedBytes(byte[] bytes) {
        return assertThrows(JsonException.class, () -> Json.parse(bytes, MAX, 32)).getMessage();
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    /** {"k":"<bytes>"} */
    private static byte[] stringWith(int... raw) {
        byte[] middle = bytes(raw);
        byte[] out = new byte[middle.length + 8];
        System.arraycopy("{\"k\":\"".getBytes(StandardCharsets.US_ASCII), 0, out, 0, 6);
        System.arraycopy(middle, 0, out, 6, middle.length);
        out[out.length - 2] = '"';
        out[out.length - 1] = '}';
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String text) throws JsonException {
        return (Map<String, Object>) parse(text);
    }

    @Test
    void parsesEveryType() throws JsonException {
        Map<String, Object> o = object(" {\"s\":\"x\",\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null,\"a\":[1,{}],\"o\":{\"k\":[]}} \r\n");
        assertEquals(List.of("s", "n", "t", "f", "z", "a", "o"), new ArrayList<>(o.keySet()), "key order kept");
        assertEquals("x", o.get("s"));
        assertEquals(new JsonNumber("-1.5e3"), o.get("n"));
        assertEquals(0, new BigDecimal("-1500").compareTo(((JsonNumber) o.get("n")).bigDecimalValue()));
        assertEquals(Boolean.TRUE, o.get("t"));
        assertEquals(Boolean.FALSE, o.get("f"));
        assertSame(Json.NULL, o.get("z"));
        assertEquals(List.of(new JsonNumber("1"), Map.of()), o.get("a"));
        assertEquals(Map.of("k", List.of()), o.get("o"));
        assertEquals("scalar", parse("\"scalar\""));
        assertEquals(new JsonNumber("0"), parse("0"));
    }

    @Test
    void bigNumbersKeepTheirExactText() throws JsonException {
        String huge = "123456789012345678901234567890123456789012345678901234567890";
        assertEquals(huge, ((JsonNumber) parse(huge)).text());
        assertEquals(new BigDecimal(huge), ((JsonNumber) parse(huge)).bigDecimalValue());
        // A huge exponent is just text: nothing is computed from it.
        assertEquals("1e999999999", ((JsonNumber) parse("1e999999999")).text());
        assertEquals("-0.0E-7", ((JsonNumber) parse("-0.0E-7")).text());
        assertArrayEquals("[1E+2,100,1.0]".getBytes(StandardCharsets.US_ASCII), Json.write(parse("[1E+2, 100, 1.0]")));
    }

    @Test
    void refusesNonJsonNumbers() {
        for (String bad : List.of("01", "-", "+1", "1.", ".5", "1e", "1e+", "NaN", "Infinity", "-Infinity", "0x10", "1_000", "- 1")) {
            refused(bad);
        }
        assertTrue(refused("[NaN]").contains("unexpected character 'N'"), refused("[NaN]"));
        assertTrue(refused("01").contains("leading zero"));
    }

    @Test
    void escapesDecode() throws JsonException {
        assertEquals("\"\\/\b\f\n\r\tA\u00e9\u20ac\uD83D\uDE00", parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00E9\\u20ac\\ud83d\\ude00\""));
        assertEquals("\u0000", parse("\"\\u0000\""), "NUL is valid when escaped");
        assertEquals("é€😀", parse("\"é€😀\""), "raw UTF-8");
    }

    @Test
    void refusesBadEscapesAndControlCharacters() {
        assertTrue(refused("\"\\x41\"").contains("invalid escape \\x"));
        assertTrue(refused("\"\\u12\"").contains("\\u escape"));
        assertTrue(refused("\"\\u12G4\"").contains("invalid \\u escape"));
        assertTrue(refused("\"a\tb\"").contains("control character"));
        assertTrue(refused("\"a\nb\"").contains("control character"));
        assertTrue(refused("\"abc").contains("unterminated"));
        assertTrue(refused("'a'").contains("unexpected character"));
    }

    @Test
    void refusesUnpairedSurrogateEscapes() {
        for (String bad : List.of("\"\\uD800\"", "\"\\uDBFF x\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"", "\"\\uD800\\uD800\"", "\"\\ude00\\ud83d\"")) {
            assertTrue(refused(bad).contains("unpaired surrogate"), bad);
        }
    }

    @Test
    void refusesInvalidUtf8() {
        assertTrue(refusedBytes(stringWith(0xC0, 0xAF)).contains("invalid UTF-8"), "overlong '/'");
        assertTrue(refusedBytes(stringWith(0xC1, 0x81)).contains("invalid UTF-8"), "overlong 'A'");
        assertTrue(refusedBytes(stringWith(0xE0, 0x80, 0xAF)).contains("invalid UTF-8"), "3-byte overlong");
        assertTrue(refusedBytes(stringWith(0xF0, 0x80, 0x80, 0xAF)).contains("invalid UTF-8"), "4-byte overlong");
        assertTrue(refusedBytes(stringWith(0xED, 0xA0, 0x80)).contains("invalid UTF-8"), "encoded high surrogate");
        assertTrue(refusedBytes(stringWith(0xED, 0xBF, 0xBF)).contains("invalid UTF-8"), "encoded low surrogate");
        assertTrue(refusedBytes(stringWith(0xF4, 0x90, 0x80, 0x80)).contains("invalid UTF-8"), "above U+10FFFF");
        assertTrue(refusedBytes(stringWith(0xF5, 0x80, 0x80, 0x80)).contains("invalid UTF-8"), "F5 lead byte");
        assertTrue(refusedBytes(stringWith(0x80)).contains("invalid UTF-8"), "lone continuation");
        assertTrue(refusedBytes(stringWith(0xC3)).contains("invalid UTF-8"), "truncated");
        assertTrue(refusedBytes(stringWith(0xE2, 0x82, 0x41)).contains("invalid UTF-8"), "bad continuation");
        assertTrue(refusedBytes(stringWith(0xFF)).contains("invalid UTF-8"));
        // Outside strings only ASCII structure is allowed.
        assertTrue(refusedBytes(bytes(0xC2, 0xA0, '1')).contains("unexpected byte 0xc2"), "NBSP is not whitespace");
    }

    @Test
    void acceptsBoundaryUtf8() throws JsonException {
        assertEquals("\u0080", ((Map<?, ?>) Json.parse(stringWith(0xC2, 0x80), MAX, 2)).get("k"));
        assertEquals("\u0800", ((Map<?, ?>) Json.parse(stringWith(0xE0, 0xA0, 0x80), MAX, 2)).get("k"));
        assertEquals("\uD7FF", ((Map<?, ?>) Json.parse(stringWith(0xED, 0x9F, 0xBF), MAX, 2)).get("k"));
        assertEquals("\uE000", ((Map<?, ?>) Json.parse(stringWith(0xEE, 0x80, 0x80), MAX, 2)).get("k"));
        assertEquals(new String(Character.toChars(0x10000)), ((Map<?, ?>) Json.parse(stringWith(0xF0, 0x90, 0x80, 0x80), MAX, 2)).get("k"));
        assertEquals(new String(Character.toChars(0x10FFFF)), ((Map<?, ?>) Json.parse(stringWith(0xF4, 0x8F, 0xBF, 0xBF), MAX, 2)).get("k"));
    }

    @Test
    void refusesByteOrderMark() {
        byte[] withBom = bytes(0xEF, 0xBB, 0xBF, '{', '}');
        assertTrue(refusedBytes(withBom).contains("byte order mark"));
    }

    @Test
    void refusesDuplicateKeys() {
        assertEquals("duplicate key \"Privileged\" at byte 20", refused("{\"Privileged\":false,\"Privileged\":true}"));
        assertTrue(refused("{\"a\":{\"x\":1,\"x\":2}}").contains("duplicate key \"x\""), "nested objects too");
        assertTrue(refused("[{\"x\":1},{\"y\":1,\"y\":1}]").contains("duplicate key \"y\""), "objects in arrays too");
        // The same key written with an escape is still the same key.
        assertTrue(refused("{\"Image\":\"a\",\"Im\\u0061ge\":\"b\"}").contains("duplicate key \"Image\""));
    }

    @Test
    void refusesKeysThatDifferOnlyInCase() {
        assertTrue(refused("{\"Privileged\":false,\"privileged\":true}")
                .contains("keys \"Privileged\" and \"privileged\" differ only in case"));
        assertTrue(refused("{\"HostConfig\":{},\"HOSTCONFIG\":{}}").contains("differ only in case"));
        // Go's decoder folds these non-ASCII letters onto ASCII field names.
        assertTrue(refused("{\"SecurityOpt\":[],\"\u017FecurityOpt\":[]}").contains("differ only in case"), "long s");
        assertTrue(refused("{\"Links\":[],\"Lin\u212As\":[]}").contains("differ only in case"), "Kelvin sign");
        assertTrue(refused("{\"Privileged\":false,\"Pr\u0131vileged\":true}").contains("differ only in case"), "dotless i");
        assertTrue(refused("{\"Privileged\":false,\"Pr\u0130vileged\":true}").contains("differ only in case"), "dotted capital I");
        // Even map-typed objects such as Labels, where Go would keep both: one rule for all.
        assertTrue(refused("{\"Labels\":{\"a\":\"1\",\"A\":\"2\"}}").contains("differ only in case"));
    }

    @Test
    void distinctKeysAreKept() throws JsonException {
        Map<String, Object> o = object("{\"a\":1,\"b\":2,\"ab\":3,\"a b\":4,\"\":5}");
        assertEquals(5, o.size());
    }

    @Test
    void refusesTrailingGarbage() {
        assertTrue(refused("{} {}").contains("unexpected data after the JSON value"));
        assertTrue(refused("{}x").contains("unexpected data"));
        assertTrue(refused("{\"Image\":\"a\"}\n{\"HostConfig\":{\"Privileged\":true}}").contains("unexpected data"));
        assertTrue(refused("[1,]").contains("unexpected character ']'"));
        assertTrue(refused("{\"a\":1,}").contains("expected a string key"));
        assertTrue(refused("{\"a\":1 \"b\":2}").contains("expected ',' or '}'"));
        assertTrue(refused("{\"a\" 1}").contains("expected ':'"));
        assertTrue(refused("[1 2]").contains("expected ',' or ']'"));
        assertTrue(refused("{\"a\":1}\u000c").contains("unexpected data"), "form feed is not JSON whitespace");
        assertTrue(refused("{\"a\":1} // comment").contains("unexpected data"));
    }

    @Test
    void refusesEmptyAndTruncatedBodies() {
        assertTrue(refused("").contains("empty"));
        assertTrue(refused("  \n").contains("empty"));
        assertTrue(refused("{").contains("expected a string key"));
        assertTrue(refused("{\"a\":").contains("unexpected end"));
        assertTrue(refused("[").contains("unexpected end"));
        assertTrue(refused("tru").contains("expected true"));
        assertTrue(refused("nul").contains("expected null"));
    }

    @Test
    void limitsDepth() throws JsonException {
        String depth3 = "{\"a\":[{\"b\":1}]}";
        Json.parse(depth3.getBytes(StandardCharsets.US_ASCII), MAX, 3);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(depth3.getBytes(StandardCharsets.US_ASCII), MAX, 2));
        assertTrue(e.getMessage().contains("deeper than 2"), e.getMessage());
        // Far deeper than any stack could take recursively: refused at the limit, no overflow.
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertTrue(refused(deep).contains("deeper than 32"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse(new byte[] {'1'}, MAX, Json.MAX_DEPTH_LIMIT + 1));
        assertThrows(IllegalArgumentException.class, () -> Json.parse(new byte[] {'1'}, MAX, 0));
    }

    @Test
    void limitsSize() throws JsonException {
        byte[] body = "{\"a\":\"0123456789\"}".getBytes(StandardCharsets.US_ASCII);
        Json.parse(body, body.length, 2);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(body, body.length - 1, 2));
        assertTrue(e.getMessage().contains("larger than " + (body.length - 1) + " bytes"));
    }

    @Test
    void messagesEscapeHostileKeys() {
        String message = refused("{\"a\\u001b[31m\":1,\"a\\u001b[31m\":2}");
        assertTrue(message.contains("\\u001b"), message);
        assertTrue(message.chars().noneMatch(c -> c < 0x20), "no raw control characters in the message");
    }

    @Test
    void foldMatchesGoFieldMatching() {
        assertEquals("PRIVILEGED", Json.fold("privileged"));
        assertEquals(Json.fold("SecurityOpt"), Json.fold("\u017Fecurityopt"));
        assertEquals(Json.fold("Links"), Json.fold("LIN\u212AS"));
        assertEquals(Json.fold("Binds"), Json.fold("b\u0131nds"));
        assertEquals(Json.fold("Binds"), Json.fold("B\u0130NDS"));
        assertTrue(!Json.fold("Binds").equals(Json.fold("Bind")));
        assertEquals("ÉTÉ", Json.fold("été"));
    }

    @Test
    void fieldPrefersExactMatchThenFolds() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("privileged", Boolean.TRUE);
        assertEquals(Boolean.TRUE, Json.field(o, "Privileged"));
        assertEquals("privileged", Json.keyOf(o, "Privileged"));
        o.put("Privileged", Boolean.FALSE); // only possible when built by hand, not parsed
        assertEquals(Boolean.FALSE, Json.field(o, "Privileged"), "exact spelling wins, as in Go");
        assertNull(Json.field(o, "Image"));
        assertNull(Json.keyOf(o, "Image"));
    }

    @Test
    void writeIsCanonicalAndStable() throws JsonException {
        String input = "{ \"b\" : [ 1 , 2.50, -0, 1e5 ] , \"a\" : \"x\\u0041\\n\\\"\\\\\\/\u00e9\\ud83d\\ude00\\u0001\\u007f\" , \"n\":null, \"t\":true }";
        byte[] written = Json.write(parse(input));
        assertEquals("{\"b\":[1,2.50,-0,1e5],\"a\":\"xA\\n\\\"\\\\/é😀\\u0001\u007f\",\"n\":null,\"t\":true}",
                new String(written, StandardCharsets.UTF_8));
        assertArrayEquals(written, Json.write(Json.parse(written, MAX, 32)), "a fixpoint");
        assertEquals(parse(input), Json.parse(written, MAX, 32), "same values");
    }

    @Test
    void writeRefusesWhatParseCannotProduce() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("k", 1)));
        assertThrows(IllegalArgumentException.class, () -> Json.write("\uD800"));
        List<Object> withNull = new ArrayList<>();
        withNull.add(null);
        assertThrows(IllegalArgumentException.class, () -> Json.write(withNull));
    }
}
