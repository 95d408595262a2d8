package org.cetusguard.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.cetusguard.text.Escape;
import org.junit.jupiter.api.Test;

class JsonParserTest {
    private static final int MAX = 1 << 20;
    private static final JsonParser.Limits LIMITS = new JsonParser.Limits(MAX, 32, 100_000);

    static final Object NULL = JsonTrees.NULL;

    static Object tree(JsonDocument doc, int v) {
        return JsonTrees.tree(doc, v);
    }

    static Object parse(String text) throws JsonException {
        JsonDocument doc = JsonParser.parse(text.getBytes(StandardCharsets.UTF_8), LIMITS);
        return tree(doc, JsonDocument.ROOT);
    }

    private static String refused(String text) {
        return refusedBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String refusedBytes(byte[] bytes) {
        return assertThrows(JsonException.class, () -> JsonParser.parse(bytes, LIMITS)).getMessage();
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

    private static Object k(byte[] body) throws JsonException {
        return ((Map<?, ?>) tree(JsonParser.parse(body, new JsonParser.Limits(MAX, 2, 100)), JsonDocument.ROOT)).get("k");
    }

    @Test
    void parsesEveryType() throws JsonException {
        Map<String, Object> o = object(" {\"s\":\"x\",\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null,\"a\":[1,{}],\"o\":{\"k\":[]}} \r\n");
        assertEquals(List.of("s", "n", "t", "f", "z", "a", "o"), new ArrayList<>(o.keySet()), "key order kept");
        assertEquals("x", o.get("s"));
        assertEquals(new JsonTrees.Num("-1.5e3"), o.get("n"));
        assertEquals(Boolean.TRUE, o.get("t"));
        assertEquals(Boolean.FALSE, o.get("f"));
        assertEquals(NULL, o.get("z"));
        assertEquals(List.of(new JsonTrees.Num("1"), Map.of()), o.get("a"));
        assertEquals(Map.of("k", List.of()), o.get("o"));
        assertEquals("scalar", parse("\"scalar\""));
        assertEquals(new JsonTrees.Num("0"), parse("0"));
    }

    @Test
    void bigNumbersKeepTheirExactText() throws JsonException {
        String huge = "123456789012345678901234567890123456789012345678901234567890";
        assertEquals(new JsonTrees.Num(huge), parse(huge));
        // A huge exponent is just text: nothing is computed from it.
        assertEquals(new JsonTrees.Num("1e999999999"), parse("1e999999999"));
        assertEquals(new JsonTrees.Num("-0.0E-7"), parse("-0.0E-7"));
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
        assertEquals("\u0080", k(stringWith(0xC2, 0x80)));
        assertEquals("\u0800", k(stringWith(0xE0, 0xA0, 0x80)));
        assertEquals("\uD7FF", k(stringWith(0xED, 0x9F, 0xBF)));
        assertEquals("\uE000", k(stringWith(0xEE, 0x80, 0x80)));
        assertEquals(new String(Character.toChars(0x10000)), k(stringWith(0xF0, 0x90, 0x80, 0x80)));
        assertEquals(new String(Character.toChars(0x10FFFF)), k(stringWith(0xF4, 0x8F, 0xBF, 0xBF)));
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
        // The same key written with an escape is still the same key, however many keys lie between.
        assertTrue(refused("{\"Image\":\"a\",\"Im\\u0061ge\":\"b\"}").contains("duplicate key \"Image\""));
        assertTrue(refused("{\"\\ud83d\\ude00\":1,\"b\":2,\"\ud83d\ude00\":3}").contains("duplicate key"), "escaped pair and raw UTF-8");
        StringBuilder many = new StringBuilder("{");
        for (int i = 0; i < 5000; i++) {
            many.append("\"k").append(i).append("\":0,");
        }
        many.append("\"K77\":1}");
        assertTrue(refused(many.toString()).contains("keys \"k77\" and \"K77\" differ only in case"), "found among thousands");
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
        byte[] depth3 = "{\"a\":[{\"b\":1}]}".getBytes(StandardCharsets.US_ASCII);
        JsonParser.parse(depth3, new JsonParser.Limits(MAX, 3, 100));
        JsonException e = assertThrows(JsonException.class, () -> JsonParser.parse(depth3, new JsonParser.Limits(MAX, 2, 100)));
        assertTrue(e.getMessage().contains("deeper than 2"), e.getMessage());
        // Far deeper than any stack could take recursively: refused at the limit, no overflow.
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertTrue(refused(deep).contains("deeper than 32"));
        assertThrows(IllegalArgumentException.class, () -> new JsonParser.Limits(MAX, JsonParser.MAX_DEPTH_LIMIT + 1, 100));
        assertThrows(IllegalArgumentException.class, () -> new JsonParser.Limits(MAX, 0, 100));
    }

    @Test
    void limitsSize() throws JsonException {
        byte[] body = "{\"a\":\"0123456789\"}".getBytes(StandardCharsets.US_ASCII);
        JsonParser.parse(body, new JsonParser.Limits(body.length, 2, 100));
        JsonException e = assertThrows(JsonException.class, () -> JsonParser.parse(body, new JsonParser.Limits(body.length - 1, 2, 100)));
        assertTrue(e.getMessage().contains("larger than " + (body.length - 1) + " bytes"));
    }

    /** Finding 1 of issue 12: a body of many tiny values must not cost many objects. */
    @Test
    void limitsValuesSoTheParsedFormIsBounded() throws JsonException {
        JsonParser.Limits limits = new JsonParser.Limits(MAX, 32, 1000);
        JsonParser.parse(("[" + "0,".repeat(998) + "0]").getBytes(StandardCharsets.US_ASCII), limits); // 1000 values
        String many = refusedBytes(("[" + "0,".repeat(999) + "0]").getBytes(StandardCharsets.US_ASCII), limits);
        assertTrue(many.contains("more than 1000 values"), many);
        // What a parse may allocate is known before it starts: five ints per possible value, never more than the cap.
        assertEquals(1000L * 20 + 256, JsonParser.workingMemory(MAX, limits));
        assertEquals(5L * 20 + 256, JsonParser.workingMemory(10, limits), "a body of n bytes holds at most (n + 1) / 2 values");
        // The densest bodies there are fit exactly: every value followed by a separator.
        for (String dense : List.of("0", "[0]", "[0,0]", "{\"\":0}", "[[],[]]", "[{},[],\"\",0,true]", "{\"\":{\"\":[0,0]}}")) {
            JsonParser.parse(dense.getBytes(StandardCharsets.US_ASCII), new JsonParser.Limits(MAX, 32, 1_000_000));
        }
    }

    private static String refusedBytes(byte[] bytes, JsonParser.Limits limits) {
        return assertThrows(JsonException.class, () -> JsonParser.parse(bytes, limits)).getMessage();
    }

    @Test
    void messagesEscapeHostileKeys() {
        String message = refused("{\"a\\u001b[31m\":1,\"a\\u001b[31m\":2}");
        assertTrue(message.contains("\\u001b"), message);
        assertTrue(message.chars().noneMatch(c -> c < 0x20), "no raw control characters in the message");
    }

    @Test
    void foldMatchesGoFieldMatching() {
        assertEquals("PRIVILEGED", KeyFolding.fold("privileged"));
        assertEquals(KeyFolding.fold("SecurityOpt"), KeyFolding.fold("\u017Fecurityopt"));
        assertEquals(KeyFolding.fold("Links"), KeyFolding.fold("LIN\u212AS"));
        assertEquals(KeyFolding.fold("Binds"), KeyFolding.fold("b\u0131nds"));
        assertEquals(KeyFolding.fold("Binds"), KeyFolding.fold("B\u0130NDS"));
        assertTrue(!KeyFolding.fold("Binds").equals(KeyFolding.fold("Bind")));
        assertEquals("ÉTÉ", KeyFolding.fold("été"));
        assertTrue(KeyFolding.sameField("privileged", "PRIVILEGED"));
    }

    @Test
    void memberPrefersExactMatchThenFolds() throws JsonException {
        JsonDocument doc = JsonParser.parse("{\"privileged\":true,\"Im\\u0061ge\":\"x\",\"Labels\":{\"a\":\"1\"}}".getBytes(StandardCharsets.UTF_8), LIMITS);
        assertEquals(JsonDocument.Kind.TRUE, doc.kind(doc.member(JsonDocument.ROOT, "Privileged")));
        assertEquals(1, doc.memberKey(JsonDocument.ROOT, "Privileged"));
        assertEquals("x", doc.string(doc.member(JsonDocument.ROOT, "image")), "escaped keys match too");
        assertEquals(JsonDocument.ABSENT, doc.member(JsonDocument.ROOT, "Cmd"));
        int labels = doc.member(JsonDocument.ROOT, "labels");
        assertEquals(JsonDocument.ABSENT, doc.exactMember(labels, "A"), "map keys are exact");
        assertEquals("1", doc.string(doc.exactMember(labels, "a")));
        assertTrue(doc.keyFoldsTo(1, "PRIVILEGED"));
        assertTrue(doc.stringEquals(doc.member(JsonDocument.ROOT, "Image"), "x"));
    }

    @Test
    void editsChangeOnlyWhatTheyName() throws JsonException {
        String body = "{ \"a\" : 1e2 , \"o\":{} ,\"l\":{\"K\":\"v\"}, \"s\":\"caf\\u00e9\" }";
        JsonDocument doc = JsonParser.parse(body.getBytes(StandardCharsets.UTF_8), LIMITS);
        JsonEdit edit = new JsonEdit(doc);
        assertTrue(edit.isEmpty());
        edit.replaceValue(doc.member(JsonDocument.ROOT, "a"), "2");
        edit.addMember(doc.member(JsonDocument.ROOT, "o"), "x", JsonWriter.string("é\"\n"));
        edit.addMember(doc.member(JsonDocument.ROOT, "o"), "y", "null");
        int l = doc.member(JsonDocument.ROOT, "l");
        edit.replaceMember(doc.firstKey(l), "k", JsonWriter.string("w"));
        edit.addMember(JsonDocument.ROOT, "z", "true");
        assertEquals("{ \"a\" : 2 , \"o\":{\"x\":\"é\\\"\\u000a\",\"y\":null} ,\"l\":{\"k\":\"w\"}, \"s\":\"caf\\u00e9\" ,\"z\":true}",
                new String(edit.apply(), StandardCharsets.UTF_8));
        JsonEdit overlapping = new JsonEdit(doc);
        overlapping.replaceValue(l, "{}");
        assertThrows(IllegalStateException.class, () -> overlapping.replaceMember(doc.firstKey(l), "k", "1"));
        JsonEdit inside = new JsonEdit(doc);
        inside.replaceValue(l, "{}");
        inside.addMember(l, "k", "1");
        assertThrows(IllegalStateException.class, inside::apply);
    }

    @Test
    void writerQuotesSoTheParserReadsTheSameString() throws JsonException {
        for (String s : List.of("plain", "quote \" backslash \\ slash /", "\n\r\t\u0001\u007f", "é€😀", "")) {
            assertEquals(s, parse(JsonWriter.string(s)));
        }
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.string("\uD800"));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.string("a\uDC00"));
        assertThrows(IllegalArgumentException.class, () -> JsonWriter.string("\uD800a"));
        assertEquals("\"a\\u001b[31m\"", JsonWriter.quote("a\u001b[31m"));
        assertEquals("\"" + "x".repeat(100) + "\"... (101 characters)", JsonWriter.quote("x".repeat(101)));
    }

    /** The writer is the one escaping utility's JSON, but for the unpaired surrogates it refuses (see JsonWriter.string). */
    @Test
    void writerIsEscapeForJsonButRefusesWhatGoWouldReadDifferently() {
        for (String s : List.of("plain", "<b>&", "\u202e\u2028\u0085\u007f", "é€😀", "")) {
            assertEquals(Escape.forJson(s), JsonWriter.string(s), s);
            assertEquals(Escape.forMessage(s, 100), JsonWriter.quote(s), s);
        }
    }
}
