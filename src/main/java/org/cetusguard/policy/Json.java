package org.cetusguard.policy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON parser and a canonical serializer for Docker API request bodies.
 *
 * <p>Why not a library: the proxy must read a body exactly as the daemon's Go decoder will, and
 * refuse every body the two could read differently. Go's {@code encoding/json} is lenient where
 * that matters for a firewall: it keeps the last of duplicate keys (and merges duplicate
 * objects into the same struct), matches keys to struct fields case-insensitively (with Unicode
 * folding: {@code "ſecurityOpt"} sets {@code SecurityOpt}), and replaces invalid UTF-8 and
 * unpaired surrogate escapes with U+FFFD. So this parser refuses:
 * <ul>
 *   <li>invalid UTF-8: overlong forms, encoded surrogates (ED A0..BF), code points above
 *       U+10FFFF, truncated sequences; and a leading byte order mark;</li>
 *   <li>unpaired surrogate escapes ({@code "\uD800"}, {@code "\uDC00"});</li>
 *   <li>two keys in one object that Go could confuse: equal after {@link #fold} (which covers
 *       both ASCII case and the Unicode folds Go applies). This is stricter than needed for map
 *       values such as Labels, where Go compares keys exactly: a body with labels {@code a} and
 *       {@code A} is refused too. That is rare, and one rule for every object is easier to audit;</li>
 *   <li>anything after the value except whitespace, and the non-JSON literals NaN, Infinity,
 *       leading zeros, leading '+', trailing commas, comments, single quotes;</li>
 *   <li>nesting deeper than {@code maxDepth} and bodies over {@code maxBytes}.</li>
 * </ul>
 *
 * <p>Values come back as {@link LinkedHashMap}{@code <String,Object>} (key order kept),
 * {@link ArrayList}{@code <Object>}, {@link String}, {@link JsonNumber}, {@link Boolean} and
 * {@link #NULL}. A key that is absent reads as Java {@code null}; a JSON {@code null} as
 * {@link #NULL}. The collections are fresh and mutable: each parse returns its own copy.
 */
public final class Json {
    /** The JSON literal {@code null}. Distinct from Java null, which means "no such key". */
    public static final Null NULL = new Null();

    /** Hard ceiling on maxDepth: the parser recurses once per level. */
    public static final int MAX_DEPTH_LIMIT = 512;

    /** Type of {@link #NULL}. */
    public static final class Null {
        private Null() {
        }

        @Override
        public String toString() {
            return "null";
        }
    }

    private final byte[] in;
    private final int maxDepth;
    private int pos;

    private Json(byte[] in, int maxDepth) {
        this.in = in;
        this.maxDepth = maxDepth;
    }

    /**
     * Parses one JSON value that must fill the whole input (surrounding whitespace allowed).
     *
     * @param maxDepth how many arrays/objects may be nested (1 = a flat object), at most
     *     {@link #MAX_DEPTH_LIMIT}
     */
    public static Object parse(byte[] utf8, int maxBytes, int maxDepth) throws JsonException {
        if (maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) {
            throw new IllegalArgumentException("maxDepth must be 1.." + MAX_DEPTH_LIMIT);
        }
        if (utf8.length > maxBytes) {
            throw new JsonException("body is larger than " + maxBytes + " bytes");
        }
        if (utf8.length >= 3 && (utf8[0] & 0xff) == 0xEF && (utf8[1] & 0xff) == 0xBB && (utf8[2] & 0xff) == 0xBF) {
            throw new JsonException("body starts with a byte order mark");
        }
        Json parser = new Json(utf8, maxDepth);
        parser.skipWhitespace();
        if (parser.pos == utf8.length) {
            throw new JsonException("body is empty");
        }
        Object value = parser.value(0);
        parser.skipWhitespace();
        if (parser.pos != utf8.length) {
            throw parser.error("unexpected data after the JSON value");
        }
        return value;
    }

    // ---------------------------------------------------------------- parser

    private Object value(int depth) throws JsonException {
        if (pos >= in.length) {
            throw error("unexpected end of body");
        }
        int c = in[pos] & 0xff;
        switch (c) {
            case '{':
                return object(depth + 1);
            case '[':
                return array(depth + 1);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected " + describeByte(c));
        }
    }

    private Map<String, Object> object(int depth) throws JsonException {
        if (depth > maxDepth) {
            throw error("nesting is deeper than " + maxDepth + " levels");
        }
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        // folded key -> key as written, to name both keys in the message
        Map<String, String> folded = new HashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            int keyStart = pos;
            String key = string();
            String previous = folded.putIfAbsent(fold(key), key);
            if (previous != null) {
                pos = keyStart;
                throw error(previous.equals(key)
                        ? "duplicate key " + quote(key)
                        : "keys " + quote(previous) + " and " + quote(key) + " differ only in case");
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, value(depth));
            skipWhitespace();
            int c = peek();
            pos++;
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> array(int depth) throws JsonException {
        if (depth > maxDepth) {
            throw error("nesting is deeper than " + maxDepth + " levels");
        }
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth));
            skipWhitespace();
            int c = peek();
            pos++;
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String string() throws JsonException {
        pos++; // opening quote
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= in.length) {
                throw error("unterminated string");
            }
            int c = in[pos] & 0xff;
            if (c == '"') {
                pos++;
                return out.toString();
            }
            if (c == '\\') {
                escape(out);
            } else if (c < 0x20) {
                throw error("control character in string (must be escaped)");
            } else if (c < 0x80) {
                out.append((char) c);
                pos++;
            } else {
                out.appendCodePoint(utf8Sequence());
            }
        }
    }

    private void escape(StringBuilder out) throws JsonException {
        if (pos + 1 >= in.length) {
            throw error("unterminated string");
        }
        int c = in[pos + 1] & 0xff;
        pos += 2;
        switch (c) {
            case '"': out.append('"'); return;
            case '\\': out.append('\\'); return;
            case '/': out.append('/'); return;
            case 'b': out.append('\b'); return;
            case 'f': out.append('\f'); return;
            case 'n': out.append('\n'); return;
            case 'r': out.append('\r'); return;
            case 't': out.append('\t'); return;
            case 'u':
                break;
            default:
                pos -= 2;
                throw error("invalid escape \\" + (c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : describeByte(c)));
        }
        int unit = hex4();
        if (Character.isLowSurrogate((char) unit)) {
            pos -= 6;
            throw error("unpaired surrogate escape");
        }
        if (Character.isHighSurrogate((char) unit)) {
            // Go would turn a lone half into U+FFFD; refusing keeps one reading.
            if (pos + 1 >= in.length || in[pos] != '\\' || in[pos + 1] != 'u') {
                pos -= 6;
                throw error("unpaired surrogate escape");
            }
            pos += 2;
            int low = hex4();
            if (!Character.isLowSurrogate((char) low)) {
                pos -= 12;
                throw error("unpaired surrogate escape");
            }
            out.append((char) unit).append((char) low);
            return;
        }
        out.append((char) unit);
    }

    private int hex4() throws JsonException {
        if (pos + 4 > in.length) {
            throw error("truncated \\u escape");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(in[pos + i] & 0xff, 16);
            if (digit < 0) {
                throw error("invalid \\u escape");
            }
            value = value * 16 + digit;
        }
        pos += 4;
        return value;
    }

    /**
     * Decodes one multi-byte UTF-8 sequence at pos, accepting exactly the well-formed sequences
     * of RFC 3629 / Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF.
     */
    private int utf8Sequence() throws JsonException {
        int b0 = in[pos] & 0xff;
        int length;
        int lowest; // bounds of the second byte, which is where overlongs and surrogates show
        int highest = 0xBF;
        int codePoint;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            length = 2;
            lowest = 0x80;
            codePoint = b0 & 0x1F;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            length = 3;
            lowest = b0 == 0xE0 ? 0xA0 : 0x80;     // E0 80..9F would be overlong
            highest = b0 == 0xED ? 0x9F : 0xBF;    // ED A0..BF would be a surrogate
            codePoint = b0 & 0x0F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            length = 4;
            lowest = b0 == 0xF0 ? 0x90 : 0x80;     // F0 80..8F would be overlong
            highest = b0 == 0xF4 ? 0x8F : 0xBF;    // F4 90.. would be above U+10FFFF
            codePoint = b0 & 0x07;
        } else {
            throw error("invalid UTF-8");
        }
        if (pos + length > in.length) {
            throw error("invalid UTF-8 (truncated sequence)");
        }
        for (int i = 1; i < length; i++) {
            int b = in[pos + i] & 0xff;
            int min = i == 1 ? lowest : 0x80;
            int max = i == 1 ? highest : 0xBF;
            if (b < min || b > max) {
                throw error("invalid UTF-8");
            }
            codePoint = (codePoint << 6) | (b & 0x3F);
        }
        pos += length;
        return codePoint;
    }

    /** RFC 8259: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?} */
    private JsonNumber number() throws JsonException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("number with a leading zero");
            }
        } else if (!digits()) {
            throw error("invalid number");
        }
        if (peek() == '.') {
            pos++;
            if (!digits()) {
                throw error("invalid number: digits expected after '.'");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!digits()) {
                throw error("invalid number: digits expected in exponent");
            }
        }
        return new JsonNumber(new String(in, start, pos - start, StandardCharsets.US_ASCII));
    }

    private boolean digits() {
        int start = pos;
        while (isDigit(peek())) {
            pos++;
        }
        return pos > start;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private void literal(String word) throws JsonException {
        for (int i = 0; i < word.length(); i++) {
            if (pos + i >= in.length || in[pos + i] != word.charAt(i)) {
                throw error("invalid literal (expected " + word + ")");
            }
        }
        pos += word.length();
    }

    private void expect(char c) throws JsonException {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** The byte at pos, or -1 at the end. */
    private int peek() {
        return pos < in.length ? in[pos] & 0xff : -1;
    }

    /** RFC 8259 whitespace only: no form feed, no NBSP, no BOM. */
    private void skipWhitespace() {
        while (pos < in.length) {
            byte b = in[pos];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return;
            }
            pos++;
        }
    }

    private JsonException error(String what) {
        return new JsonException(what + " at byte " + pos);
    }

    private static String describeByte(int c) {
        if (c < 0) {
            return "end of body";
        }
        if (c > 0x20 && c < 0x7f) {
            return "character '" + (char) c + "'";
        }
        return String.format("byte 0x%02x", c);
    }

    // ---------------------------------------------------------------- Go-compatible field access

    /**
     * The key under which Go's {@code encoding/json} would consider two names the same struct
     * field. Go folds each rune as {@code unicode.ToUpper(unicode.ToLower(r))} (Go 1.21+; older
     * versions use {@code bytes.EqualFold}, whose classes are the same for the names that
     * matter here). So besides ASCII case, U+017F 'ſ' matches 's', U+212A KELVIN SIGN matches
     * 'k', and U+0130 'İ' / U+0131 'ı' match 'i'. Java's simple case mappings give the same
     * result for all of these.
     */
    public static String fold(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int folded;
            if (cp < 0x80) {
                folded = cp >= 'a' && cp <= 'z' ? cp - ('a' - 'A') : cp;
            } else {
                folded = Character.toUpperCase(Character.toLowerCase(cp));
            }
            if (folded != cp && out == null) {
                out = new StringBuilder(s.length()).append(s, 0, i);
            }
            if (out != null) {
                out.appendCodePoint(folded);
            }
            i += Character.charCount(cp);
        }
        return out == null ? s : out.toString();
    }

    /**
     * Reads a struct field the way Go's decoder fills it: the key spelled exactly as
     * {@code name} if present, else a key equal to it under {@link #fold}. Returns Java null when
     * no key matches (JSON null comes back as {@link #NULL}). On a parsed body at most one key
     * per object can match, since the parser refuses fold-equal keys.
     */
    public static Object field(Map<String, Object> object, String name) {
        String key = keyOf(object, name);
        return key == null ? null : object.get(key);
    }

    /** The key, as spelled in the body, that Go would decode into field {@code name}; or null. */
    public static String keyOf(Map<String, Object> object, String name) {
        if (object.containsKey(name)) {
            return name;
        }
        String wanted = fold(name);
        for (String key : object.keySet()) {
            if (fold(key).equals(wanted)) {
                return key;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- serializer

    /**
     * Serialises a value built from the types {@link #parse} returns, canonically: no whitespace,
     * keys in map order as spelled, numbers as their original literal, strings as raw UTF-8 with
     * only {@code "}, {@code \} and control characters escaped. For any parsed value,
     * {@code write(parse(write(v)))} equals {@code write(v)} byte for byte; the policy relies on
     * that to prove that a rewritten body passes its own checks.
     */
    public static byte[] write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(Object value, StringBuilder out) {
        if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeString((String) e.getKey(), out);
                out.append(':');
                write(e.getValue(), out);
            }
            out.append('}');
        } else if (value instanceof List) {
            out.append('[');
            boolean first = true;
            for (Object element : (List<?>) value) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(element, out);
            }
            out.append(']');
        } else if (value instanceof String) {
            writeString((String) value, out);
        } else if (value instanceof JsonNumber) {
            out.append(((JsonNumber) value).text());
        } else if (value instanceof Boolean) {
            out.append(((Boolean) value) ? "true" : "false");
        } else if (value == NULL) {
            out.append("null");
        } else {
            throw new IllegalArgumentException("not a JSON value: " + (value == null ? "null" : value.getClass().getName()));
        }
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isSurrogate(c) && !validPairAt(s, i)) {
                        // Cannot come from parse(); refuse rather than emit invalid UTF-8.
                        throw new IllegalArgumentException("string contains an unpaired surrogate");
                    } else {
                        out.append(c);
                        if (Character.isHighSurrogate(c)) {
                            out.append(s.charAt(++i));
                        }
                    }
            }
        }
        out.append('"');
    }

    private static boolean validPairAt(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }

    /** A key or value for a one-line message: quoted, control characters escaped, shortened. */
    static String quote(String s) {
        final int limit = 100;
        String shown = s.length() > limit ? s.substring(0, limit) : s;
        StringBuilder b = new StringBuilder(shown.length() + 8).append('"');
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || Character.getType(c) == Character.FORMAT
                    || (c >= 0x80 && c < 0xa0) || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('"');
        return s.length() > limit ? b + "..." : b.toString();
    }
}
