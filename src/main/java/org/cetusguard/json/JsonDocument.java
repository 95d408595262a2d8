package org.cetusguard.json;

import java.nio.charset.StandardCharsets;

/**
 * A parsed body: the bytes exactly as received plus a compact index of their values (the "tape"),
 * three ints per value: its kind and first byte, the byte after it, and the index of the value that
 * follows it and everything inside it. Values are numbered in document order, the whole body is
 * value 0, and an object's members are its children in pairs (key, value).
 *
 * <p>Why a tape and not a tree of maps and lists: its size is a fixed multiple of the number of
 * values (12 bytes each, and a body of n bytes has at most (n + 1) / 2 values), so what a hostile body costs
 * is known before it is parsed; strings are decoded only when a check asks for them; and a rewrite
 * can change a few bytes in place and leave every other byte of the body as the client sent it
 * ({@link JsonEdit}).
 *
 * <p>Immutable once built. Lookups by field name follow Go's decoder ({@link #member}); map keys
 * (labels, driver options) are compared exactly ({@link #exactMember}).
 */
public final class JsonDocument {
    /** What one value is. */
    public enum Kind { OBJECT, ARRAY, STRING, NUMBER, TRUE, FALSE, NULL }

    /** The body itself. */
    public static final int ROOT = 0;
    /** Returned by lookups that find nothing. */
    public static final int ABSENT = -1;

    static final int INTS_PER_VALUE = 3;
    private static final int KIND_SHIFT = 28;
    private static final int START_MASK = (1 << KIND_SHIFT) - 1;
    private static final Kind[] KINDS = Kind.values();

    private final byte[] bytes;
    private final int[] tape;
    private final int count;

    JsonDocument(byte[] bytes, int[] tape, int count) {
        this.bytes = bytes;
        this.tape = tape;
        this.count = count;
    }

    /** Tape entry for a value starting at {@code start}; offsets are below 2^28 (the parser's byte limit is far lower). */
    static int head(Kind kind, int start) {
        return (kind.ordinal() << KIND_SHIFT) | start;
    }

    /** Number of values in the body. */
    public int count() {
        return count;
    }

    /** Length of the body in bytes. */
    public int length() {
        return bytes.length;
    }

    byte[] bytes() {
        return bytes;
    }

    public Kind kind(int value) {
        return KINDS[tape[value * INTS_PER_VALUE] >>> KIND_SHIFT];
    }

    /** Offset of the value's first byte. */
    public int start(int value) {
        return tape[value * INTS_PER_VALUE] & START_MASK;
    }

    /** Offset of the byte after the value. */
    public int end(int value) {
        return tape[value * INTS_PER_VALUE + 1];
    }

    /** Index of the first value after this one and everything it contains. */
    public int next(int value) {
        return tape[value * INTS_PER_VALUE + 2];
    }

    /** The value's bytes as text (a number's literal, or a string with its quotes and escapes). */
    public String text(int value) {
        return new String(bytes, start(value), end(value) - start(value), StandardCharsets.UTF_8);
    }

    /** A string value, decoded. */
    public String string(int value) {
        int start = start(value) + 1;
        int end = end(value) - 1;
        boolean escaped = false;
        for (int i = start; i < end && !escaped; i++) {
            escaped = bytes[i] == '\\';
        }
        if (!escaped) {
            return new String(bytes, start, end - start, StandardCharsets.UTF_8);
        }
        StringBuilder out = new StringBuilder(end - start);
        StringCursor cursor = new StringCursor().reset(bytes, start(value), end(value));
        for (int cp = cursor.next(); cp >= 0; cp = cursor.next()) {
            out.appendCodePoint(cp);
        }
        return out.toString();
    }

    /** The start of a string value, at most {@code maxCodePoints} of it, for a message; "..." marks a cut. */
    public String excerpt(int value, int maxCodePoints) {
        StringBuilder out = new StringBuilder();
        StringCursor cursor = new StringCursor().reset(bytes, start(value), end(value));
        int n = 0;
        for (int cp = cursor.next(); cp >= 0; cp = cursor.next()) {
            if (n++ == maxCodePoints) {
                return out.append("...").toString();
            }
            out.appendCodePoint(cp);
        }
        return out.toString();
    }

    /** Whether string value (or key) {@code value} is exactly {@code text}, without decoding it. */
    public boolean stringEquals(int value, String text) {
        return keyIs(value, text, new StringCursor());
    }

    /** Whether Go would decode key {@code key} into struct field {@code name} (equal under {@link KeyFolding}). */
    public boolean keyFoldsTo(int key, String name) {
        return foldsTo(key, name, new StringCursor());
    }

    // ---------------------------------------------------------------- walking

    /** The first key of an object, or {@link #ABSENT} when it is empty. Its value is {@code key + 1}. */
    public int firstKey(int object) {
        return object + 1 < next(object) ? object + 1 : ABSENT;
    }

    /** The key after {@code key} in {@code object}, or {@link #ABSENT}. */
    public int nextKey(int object, int key) {
        int after = next(key + 1);
        return after < next(object) ? after : ABSENT;
    }

    /** The first element of an array, or {@link #ABSENT} when it is empty. */
    public int firstElement(int array) {
        return array + 1 < next(array) ? array + 1 : ABSENT;
    }

    /** The element after {@code element} in {@code array}, or {@link #ABSENT}. */
    public int nextElement(int array, int element) {
        int after = next(element);
        return after < next(array) ? after : ABSENT;
    }

    /** Whether an object or array has no members. */
    public boolean isEmpty(int container) {
        return container + 1 == next(container);
    }

    // ---------------------------------------------------------------- lookups

    /**
     * The value Go's decoder would put in struct field {@code name}: the key spelled exactly so if
     * present, else the key equal to it under {@link KeyFolding}. On a parsed body at most one key per
     * object can match, since the parser refuses keys that fold alike. {@link #ABSENT} when none does.
     */
    public int member(int object, String name) {
        int exact = exactMember(object, name);
        if (exact != ABSENT) {
            return exact;
        }
        StringCursor cursor = new StringCursor();
        for (int key = firstKey(object); key != ABSENT; key = nextKey(object, key)) {
            if (foldsTo(key, name, cursor)) {
                return key + 1;
            }
        }
        return ABSENT;
    }

    /** The key, as an index, whose value {@link #member} returns; {@link #ABSENT} when none. */
    public int memberKey(int object, String name) {
        int value = member(object, name);
        return value == ABSENT ? ABSENT : value - 1;
    }

    /** The value of the key spelled exactly {@code key} (Go compares map keys exactly), or {@link #ABSENT}. */
    public int exactMember(int object, String key) {
        StringCursor cursor = new StringCursor();
        for (int k = firstKey(object); k != ABSENT; k = nextKey(object, k)) {
            if (keyIs(k, key, cursor)) {
                return k + 1;
            }
        }
        return ABSENT;
    }

    private boolean keyIs(int key, String wanted, StringCursor cursor) {
        cursor.reset(bytes, start(key), end(key));
        for (int i = 0; i < wanted.length(); ) {
            int cp = wanted.codePointAt(i);
            if (cursor.next() != cp) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return cursor.next() < 0;
    }

    private boolean foldsTo(int key, String name, StringCursor cursor) {
        cursor.reset(bytes, start(key), end(key));
        for (int i = 0; i < name.length(); ) {
            int cp = name.codePointAt(i);
            int got = cursor.next();
            if (got < 0 || KeyFolding.fold(got) != KeyFolding.fold(cp)) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return cursor.next() < 0;
    }

    /** Compares two keys by their folded forms, code point by code point (the parser sorts keys with it). */
    int compareFolded(int keyA, int keyB, StringCursor a, StringCursor b) {
        a.reset(bytes, start(keyA), end(keyA));
        b.reset(bytes, start(keyB), end(keyB));
        while (true) {
            int x = a.next();
            int y = b.next();
            int fx = x < 0 ? -1 : KeyFolding.fold(x);
            int fy = y < 0 ? -1 : KeyFolding.fold(y);
            if (fx != fy) {
                return Integer.compare(fx, fy);
            }
            if (fx < 0) {
                return 0;
            }
        }
    }
}
