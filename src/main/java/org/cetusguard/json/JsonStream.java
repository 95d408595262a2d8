package org.cetusguard.json;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads one JSON value as it streams in, chunk by chunk, and tells a {@link Visitor} what it finds,
 * without holding the value: what it keeps is the nesting (one bit a level) and the one string the
 * visitor asked for, up to {@link #MAX_STRING_BYTES}. For answers of the daemon that can be long
 * (a list of every container of a scope) of which the proxy needs a few fields.
 *
 * <p>It checks the structure (brackets, colons, commas, literals, string escapes, no raw control
 * characters) and refuses anything else; numbers are checked only for their characters. Strings
 * are decoded as Go's decoder does (invalid UTF-8 and lone surrogate escapes become U+FFFD).
 */
public final class JsonStream {
    /** The longest key or asked-for string kept; a longer one is handed over as null. */
    public static final int MAX_STRING_BYTES = 64 * 1024;
    private static final int MAX_DEPTH = 512;

    /** What the stream found, in document order. */
    public interface Visitor {
        void startObject();

        void endObject();

        void startArray();

        void endArray();

        /** A key of the object being read; null when longer than {@link #MAX_STRING_BYTES}. */
        void key(String key);

        /** At the start of a string that is a value: whether to decode it for {@link #string}. */
        boolean wantsString();

        /** A string value the visitor asked for; null when longer than {@link #MAX_STRING_BYTES}. */
        void string(String value);

        /** A string not asked for, a number, true, false or null. */
        void scalar();
    }

    private enum State { VALUE, AFTER_VALUE, KEY_OR_END, KEY, COLON, STRING, ESCAPE, UNICODE, LITERAL, DONE }

    private final Visitor visitor;
    private State state = State.VALUE;
    /** One bit a level: set for an object. */
    private final long[] objects = new long[MAX_DEPTH / 64];
    private int depth;
    /** Whether the array just opened may still close empty. */
    private boolean arrayMayClose;
    private boolean stringIsKey;
    private boolean capturing;
    private byte[] text = new byte[64];
    private int textLength;
    private boolean tooLong;
    private int unicode;
    private int unicodeDigits;
    private int pendingHigh = -1;
    private byte[] literal;
    private int literalAt;
    private boolean number;

    public JsonStream(Visitor visitor) {
        this.visitor = visitor;
    }

    /** Reads a chunk (all of it). */
    public void feed(ByteBuffer chunk) throws JsonException {
        while (chunk.hasRemaining()) {
            step(chunk.get() & 0xff);
        }
    }

    /** The input ended: the value must be complete. */
    public void end() throws JsonException {
        if (state == State.LITERAL && number) {
            endScalar();
        }
        skipToDone();
        if (state != State.DONE) {
            throw new JsonException("answer ended inside a JSON value");
        }
    }

    private void skipToDone() {
        if (state == State.AFTER_VALUE && depth == 0) {
            state = State.DONE;
        }
    }

    private void step(int c) throws JsonException {
        switch (state) {
            case VALUE -> value(c);
            case AFTER_VALUE -> afterValue(c);
            case KEY_OR_END -> {
                if (c == '}') {
                    closeObject();
                } else if (!whitespace(c)) {
                    expectKey(c);
                }
            }
            case KEY -> {
                if (!whitespace(c)) {
                    expectKey(c);
                }
            }
            case COLON -> {
                if (c == ':') {
                    state = State.VALUE;
                } else if (!whitespace(c)) {
                    throw new JsonException("expected ':' in the answer");
                }
            }
            case STRING -> stringByte(c);
            case ESCAPE -> escape(c);
            case UNICODE -> unicodeDigit(c);
            case LITERAL -> literalByte(c);
            case DONE -> {
                if (!whitespace(c)) {
                    throw new JsonException("data after the JSON value of the answer");
                }
            }
        }
    }

    private void value(int c) throws JsonException {
        if (whitespace(c)) {
            return;
        }
        if (c == ']' && arrayMayClose) {
            closeArray();
            return;
        }
        arrayMayClose = false;
        switch (c) {
            case '{' -> {
                push(true);
                visitor.startObject();
                state = State.KEY_OR_END;
            }
            case '[' -> {
                push(false);
                visitor.startArray();
                arrayMayClose = true;
                state = State.VALUE;
            }
            case '"' -> startString(false, visitor.wantsString());
            case 't' -> startLiteral("true");
            case 'f' -> startLiteral("false");
            case 'n' -> startLiteral("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number = true;
                    literal = null;
                    state = State.LITERAL;
                } else {
                    throw new JsonException("unexpected byte in the answer");
                }
            }
        }
    }

    private void afterValue(int c) throws JsonException {
        if (whitespace(c)) {
            return;
        }
        if (depth == 0) {
            state = State.DONE;
            step(c);
            return;
        }
        boolean inObject = isObject(depth);
        if (c == ',') {
            state = inObject ? State.KEY : State.VALUE;
        } else if (c == '}' && inObject) {
            closeObject();
        } else if (c == ']' && !inObject) {
            closeArray();
        } else {
            throw new JsonException("expected ',' or the end of a container in the answer");
        }
    }

    private void expectKey(int c) throws JsonException {
        if (c != '"') {
            throw new JsonException("expected a key in the answer");
        }
        startString(true, true);
    }

    private void push(boolean object) throws JsonException {
        if (depth + 1 >= MAX_DEPTH) {
            throw new JsonException("answer nests deeper than " + MAX_DEPTH + " levels");
        }
        depth++;
        if (object) {
            objects[depth >> 6] |= 1L << (depth & 63);
        } else {
            objects[depth >> 6] &= ~(1L << (depth & 63));
        }
    }

    private boolean isObject(int level) {
        return (objects[level >> 6] & (1L << (level & 63))) != 0;
    }

    private void closeObject() {
        depth--;
        visitor.endObject();
        afterClose();
    }

    private void closeArray() {
        arrayMayClose = false;
        depth--;
        visitor.endArray();
        afterClose();
    }

    private void afterClose() {
        state = State.AFTER_VALUE;
        skipToDone();
    }

    // ---------------------------------------------------------------- strings

    private void startString(boolean key, boolean capture) {
        stringIsKey = key;
        capturing = capture;
        textLength = 0;
        tooLong = false;
        pendingHigh = -1;
        state = State.STRING;
    }

    private void stringByte(int c) throws JsonException {
        if (c == '"') {
            endString();
        } else if (c == '\\') {
            state = State.ESCAPE;
        } else if (c < 0x20) {
            throw new JsonException("control character in a string of the answer");
        } else {
            flushHigh();
            append(c);
        }
    }

    private void escape(int c) throws JsonException {
        state = State.STRING;
        int decoded;
        switch (c) {
            case '"', '\\', '/' -> decoded = c;
            case 'b' -> decoded = '\b';
            case 'f' -> decoded = '\f';
            case 'n' -> decoded = '\n';
            case 'r' -> decoded = '\r';
            case 't' -> decoded = '\t';
            case 'u' -> {
                unicode = 0;
                unicodeDigits = 0;
                state = State.UNICODE;
                return;
            }
            default -> throw new JsonException("invalid escape in a string of the answer");
        }
        flushHigh();
        append(decoded);
    }

    private void unicodeDigit(int c) throws JsonException {
        int digit = Character.digit(c, 16);
        if (digit < 0) {
            throw new JsonException("invalid \\u escape in the answer");
        }
        unicode = unicode * 16 + digit;
        if (++unicodeDigits < 4) {
            return;
        }
        state = State.STRING;
        char unit = (char) unicode;
        if (Character.isHighSurrogate(unit)) {
            flushHigh();
            pendingHigh = unit;
        } else if (Character.isLowSurrogate(unit) && pendingHigh >= 0) {
            appendCodePoint(Character.toCodePoint((char) pendingHigh, unit));
            pendingHigh = -1;
        } else {
            flushHigh();
            appendCodePoint(Character.isSurrogate(unit) ? 0xFFFD : unit);
        }
    }

    /** A high surrogate escape not followed by a low one: Go's decoder makes it U+FFFD. */
    private void flushHigh() {
        if (pendingHigh >= 0) {
            pendingHigh = -1;
            appendCodePoint(0xFFFD);
        }
    }

    private void appendCodePoint(int codePoint) {
        if (!capturing) {
            return;
        }
        for (byte b : new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8)) {
            append(b & 0xff);
        }
    }

    private void append(int b) {
        if (!capturing || tooLong) {
            return;
        }
        if (textLength == MAX_STRING_BYTES) {
            tooLong = true;
            return;
        }
        if (textLength == text.length) {
            text = java.util.Arrays.copyOf(text, Math.min(MAX_STRING_BYTES, text.length * 2));
        }
        text[textLength++] = (byte) b;
    }

    private void endString() {
        flushHigh();
        String decoded = capturing && !tooLong ? new String(text, 0, textLength, StandardCharsets.UTF_8) : null;
        if (text.length > 1024) {
            text = new byte[64]; // a long string is not kept for the next one
        }
        if (stringIsKey) {
            visitor.key(decoded);
            state = State.COLON;
            return;
        }
        if (capturing) {
            visitor.string(decoded);
        } else {
            visitor.scalar();
        }
        state = State.AFTER_VALUE;
        skipToDone();
    }

    // ---------------------------------------------------------------- literals and numbers

    private void startLiteral(String word) {
        number = false;
        literal = word.getBytes(StandardCharsets.US_ASCII);
        literalAt = 1;
        state = State.LITERAL;
    }

    private void literalByte(int c) throws JsonException {
        if (number) {
            if ((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                return;
            }
            endScalar();
            step(c);
            return;
        }
        if (c != literal[literalAt]) {
            throw new JsonException("invalid literal in the answer");
        }
        if (++literalAt == literal.length) {
            endScalar();
        }
    }

    private void endScalar() {
        number = false;
        visitor.scalar();
        state = State.AFTER_VALUE;
        skipToDone();
    }

    private static boolean whitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
}
