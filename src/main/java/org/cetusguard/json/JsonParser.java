package org.cetusguard.json;

import org.cetusguard.json.JsonDocument.Kind;

/**
 * A strict RFC 8259 parser for Docker API request bodies, producing a {@link JsonDocument}.
 *
 * <p>Why not a library: the proxy must read a body exactly as the daemon's Go decoder will, and
 * refuse every body the two could read differently. Go's {@code encoding/json} is lenient where
 * that matters for a firewall: it keeps the last of duplicate keys (and merges duplicate objects
 * into the same struct), matches keys to struct fields case-insensitively (with Unicode folding:
 * {@code "ſecurityOpt"} sets {@code SecurityOpt}), and replaces invalid UTF-8 and unpaired
 * surrogate escapes with U+FFFD. So this parser refuses:
 * <ul>
 *   <li>invalid UTF-8: overlong forms, encoded surrogates (ED A0..BF), code points above U+10FFFF,
 *       truncated sequences; and a leading byte order mark;</li>
 *   <li>unpaired surrogate escapes ({@code "\uD800"}, {@code "\uDC00"});</li>
 *   <li>two keys in one object that Go could confuse: equal under {@link KeyFolding} (which covers
 *       ASCII case and the Unicode folds Go applies), however each is spelled (escaped or raw). This
 *       is stricter than needed for map values such as Labels, where Go compares keys exactly: a body
 *       with labels {@code a} and {@code A} is refused too. That is rare, and one rule for every
 *       object is easier to audit;</li>
 *   <li>anything after the value except whitespace, and the non-JSON literals NaN, Infinity, leading
 *       zeros, leading '+', trailing commas, comments, single quotes;</li>
 *   <li>bodies over {@link Limits#maxBytes}, nesting deeper than {@link Limits#maxDepth}, and more
 *       than {@link Limits#maxValues} values.</li>
 * </ul>
 *
 * <p>Memory: besides the body, a parse allocates {@link #workingMemory} bytes at most, all up front
 * (the tape, and the keys of the objects open at once for the duplicate check), so a caller can
 * reserve it before parsing.
 */
public final class JsonParser {
    /** Hard ceiling on maxDepth: the parser recurses once per level. */
    public static final int MAX_DEPTH_LIMIT = 512;

    /**
     * @param maxBytes  larger bodies are refused before parsing
     * @param maxDepth  how many arrays/objects may be nested (1 = a flat object), at most {@link #MAX_DEPTH_LIMIT}
     * @param maxValues how many values (keys included) a body may hold
     */
    public record Limits(int maxBytes, int maxDepth, int maxValues) {
        public Limits {
            if (maxDepth < 1 || maxDepth > MAX_DEPTH_LIMIT) {
                throw new IllegalArgumentException("maxDepth must be 1.." + MAX_DEPTH_LIMIT);
            }
            if (maxBytes < 1 || maxValues < 1) {
                throw new IllegalArgumentException("limits must be positive");
            }
        }
    }

    private final byte[] in;
    private final Limits limits;
    private final int[] tape;
    private final int capacity;
    private int count;
    /** Keys of the objects being parsed, innermost last; each object sorts its own run when it ends. */
    private final int[] keys;
    private final int[] scratch;
    /** Whether keys of one object must differ under folding: yes for what clients send, no for the daemon's answers. */
    private final boolean distinctKeys;
    private int keyCount;
    private final StringCursor left = new StringCursor();
    private final StringCursor right = new StringCursor();
    private JsonDocument document;
    private int pos;

    private JsonParser(byte[] in, Limits limits, boolean distinctKeys) {
        this.in = in;
        this.limits = limits;
        this.distinctKeys = distinctKeys;
        this.capacity = maxValues(in.length, limits);
        this.tape = new int[capacity * JsonDocument.INTS_PER_VALUE];
        this.keys = distinctKeys ? new int[capacity] : null;
        this.scratch = distinctKeys ? new int[capacity] : null;
    }

    /**
     * A body of n bytes holds at most (n + 1) / 2 values: every value takes at least one byte of its
     * own, and every value but the first follows a separator byte of its own ('[', '{', ',' or ':').
     */
    private static int maxValues(int length, Limits limits) {
        return Math.max(1, Math.min((length + 1) / 2, limits.maxValues()));
    }

    /** The most a parse of {@code length} bytes allocates besides the bytes: 5 ints per possible value. */
    public static long workingMemory(int length, Limits limits) {
        return (long) maxValues(length, limits) * (JsonDocument.INTS_PER_VALUE + 2) * Integer.BYTES + 256;
    }

    /** What {@link #parseAnswer} allocates besides the bytes: the tape only, 3 ints per possible value. */
    public static long answerWorkingMemory(int length, Limits limits) {
        return (long) maxValues(length, limits) * JsonDocument.INTS_PER_VALUE * Integer.BYTES + 256;
    }

    /** Parses one JSON value that must fill the whole input (surrounding whitespace allowed). */
    public static JsonDocument parse(byte[] utf8, Limits limits) throws JsonException {
        return parse(utf8, limits, true);
    }

    /**
     * Parses one of the daemon's answers, which the proxy rewrites but never judges as a request:
     * as strict as {@link #parse} in every other way, but keys of one object may fold alike (a
     * container's labels {@code a} and {@code A} are two map keys the daemon writes as they are).
     * Look fields up with {@link JsonDocument#exactMember}: the daemon spells its field names exactly.
     */
    public static JsonDocument parseAnswer(byte[] utf8, Limits limits) throws JsonException {
        return parse(utf8, limits, false);
    }

    private static JsonDocument parse(byte[] utf8, Limits limits, boolean distinctKeys) throws JsonException {
        if (utf8.length > limits.maxBytes()) {
            throw new JsonException("body is larger than " + limits.maxBytes() + " bytes");
        }
        if (utf8.length >= 3 && (utf8[0] & 0xff) == 0xEF && (utf8[1] & 0xff) == 0xBB && (utf8[2] & 0xff) == 0xBF) {
            throw new JsonException("body starts with a byte order mark");
        }
        JsonParser parser = new JsonParser(utf8, limits, distinctKeys);
        parser.document = new JsonDocument(utf8, parser.tape, 0);
        parser.skipWhitespace();
        if (parser.pos == utf8.length) {
            throw new JsonException("body is empty");
        }
        parser.value(0);
        parser.skipWhitespace();
        if (parser.pos != utf8.length) {
            throw parser.error("unexpected data after the JSON value");
        }
        return new JsonDocument(utf8, parser.tape, parser.count);
    }

    // ---------------------------------------------------------------- tape

    private int add(Kind kind, int start) throws JsonException {
        if (count == capacity) {
            throw error("more than " + limits.maxValues() + " values");
        }
        int index = count++;
        tape[index * JsonDocument.INTS_PER_VALUE] = JsonDocument.head(kind, start);
        return index;
    }

    private void close(int index) {
        tape[index * JsonDocument.INTS_PER_VALUE + 1] = pos;
        tape[index * JsonDocument.INTS_PER_VALUE + 2] = count;
    }

    // ---------------------------------------------------------------- grammar

    private void value(int depth) throws JsonException {
        if (pos >= in.length) {
            throw error("unexpected end of body");
        }
        int c = in[pos] & 0xff;
        switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal(Kind.TRUE, "true");
            case 'f' -> literal(Kind.FALSE, "false");
            case 'n' -> literal(Kind.NULL, "null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                } else {
                    throw error("unexpected " + describeByte(c));
                }
            }
        }
    }

    private void object(int depth) throws JsonException {
        if (depth > limits.maxDepth()) {
            throw error("nesting is deeper than " + limits.maxDepth() + " levels");
        }
        int index = add(Kind.OBJECT, pos);
        int firstKey = keyCount;
        pos++; // '{'
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            close(index);
            return;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key");
            }
            if (distinctKeys) {
                keys[keyCount++] = count;
            }
            string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            value(depth);
            skipWhitespace();
            int c = peek();
            pos++;
            if (c == '}') {
                close(index);
                if (distinctKeys) {
                    checkDistinct(firstKey);
                    keyCount = firstKey;
                }
                return;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}' in object");
            }
        }
    }

    /** The keys keys[from..keyCount) must differ after folding: sort them by folded form, compare neighbours. */
    private void checkDistinct(int from) throws JsonException {
        int n = keyCount - from;
        if (n < 2) {
            return;
        }
        sort(from, keyCount);
        for (int i = from + 1; i < keyCount; i++) {
            if (document.compareFolded(keys[i - 1], keys[i], left, right) == 0) {
                int first = Math.min(keys[i - 1], keys[i]);
                int second = Math.max(keys[i - 1], keys[i]);
                String a = document.excerpt(first, 100);
                String b = document.excerpt(second, 100);
                pos = document.start(second);
                throw error(a.equals(b)
                        ? "duplicate key " + JsonWriter.quote(a)
                        : "keys " + JsonWriter.quote(a) + " and " + JsonWriter.quote(b) + " differ only in case");
            }
        }
    }

    /** Merge sort of keys[from..to) by folded key: O(n log n) however many keys an object has. */
    private void sort(int from, int to) {
        if (to - from < 2) {
            return;
        }
        int middle = (from + to) >>> 1;
        sort(from, middle);
        sort(middle, to);
        int i = from;
        int j = middle;
        int k = from;
        while (i < middle && j < to) {
            scratch[k++] = document.compareFolded(keys[i], keys[j], left, right) <= 0 ? keys[i++] : keys[j++];
        }
        while (i < middle) {
            scratch[k++] = keys[i++];
        }
        while (j < to) {
            scratch[k++] = keys[j++];
        }
        System.arraycopy(scratch, from, keys, from, to - from);
    }

    private void array(int depth) throws JsonException {
        if (depth > limits.maxDepth()) {
            throw error("nesting is deeper than " + limits.maxDepth() + " levels");
        }
        int index = add(Kind.ARRAY, pos);
        pos++; // '['
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            close(index);
            return;
        }
        while (true) {
            skipWhitespace();
            value(depth);
            skipWhitespace();
            int c = peek();
            pos++;
            if (c == ']') {
                close(index);
                return;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private void string() throws JsonException {
        int index = add(Kind.STRING, pos);
        pos++; // opening quote
        while (true) {
            if (pos >= in.length) {
                throw error("unterminated string");
            }
            int c = in[pos] & 0xff;
            if (c == '"') {
                pos++;
                close(index);
                return;
            }
            if (c == '\\') {
                escape();
            } else if (c < 0x20) {
                throw error("control character in string (must be escaped)");
            } else if (c < 0x80) {
                pos++;
            } else {
                utf8Sequence();
            }
        }
    }

    private void escape() throws JsonException {
        if (pos + 1 >= in.length) {
            throw error("unterminated string");
        }
        int c = in[pos + 1] & 0xff;
        pos += 2;
        switch (c) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
                return;
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
        }
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
     * Checks one multi-byte UTF-8 sequence at pos, accepting exactly the well-formed sequences of
     * RFC 3629 / Unicode table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF.
     */
    private void utf8Sequence() throws JsonException {
        int b0 = in[pos] & 0xff;
        int length;
        int lowest; // bounds of the second byte, which is where overlongs and surrogates show
        int highest = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            length = 2;
            lowest = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            length = 3;
            lowest = b0 == 0xE0 ? 0xA0 : 0x80;     // E0 80..9F would be overlong
            highest = b0 == 0xED ? 0x9F : 0xBF;    // ED A0..BF would be a surrogate
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            length = 4;
            lowest = b0 == 0xF0 ? 0x90 : 0x80;     // F0 80..8F would be overlong
            highest = b0 == 0xF4 ? 0x8F : 0xBF;    // F4 90.. would be above U+10FFFF
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
        }
        pos += length;
    }

    /** RFC 8259: {@code -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?} */
    private void number() throws JsonException {
        int index = add(Kind.NUMBER, pos);
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
        close(index);
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

    private void literal(Kind kind, String word) throws JsonException {
        for (int i = 0; i < word.length(); i++) {
            if (pos + i >= in.length || in[pos + i] != word.charAt(i)) {
                throw error("invalid literal (expected " + word + ")");
            }
        }
        int index = add(kind, pos);
        pos += word.length();
        close(index);
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
}
