package org.cetusguard.json;

/**
 * Reads the code points of one JSON string token of a parsed body, decoding escapes and UTF-8 as it
 * goes, without building a String. Only used on tokens the parser has accepted, so the bytes are
 * well-formed: an escaped surrogate pair comes back as one code point, exactly as the same
 * character written raw in UTF-8 does, so that both spellings of a key compare equal.
 */
final class StringCursor {
    private byte[] bytes;
    private int pos;
    private int end;

    /** Positions the cursor on the token {@code [tokenStart, tokenEnd)}, quotes included. */
    StringCursor reset(byte[] in, int tokenStart, int tokenEnd) {
        this.bytes = in;
        this.pos = tokenStart + 1;
        this.end = tokenEnd - 1;
        return this;
    }

    /** The next code point, or -1 at the closing quote. */
    int next() {
        if (pos >= end) {
            return -1;
        }
        int c = bytes[pos] & 0xff;
        if (c == '\\') {
            return escape();
        }
        if (c < 0x80) {
            pos++;
            return c;
        }
        int length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        int codePoint = c & (0x7F >> length);
        for (int i = 1; i < length; i++) {
            codePoint = (codePoint << 6) | (bytes[pos + i] & 0x3F);
        }
        pos += length;
        return codePoint;
    }

    private int escape() {
        int c = bytes[pos + 1] & 0xff;
        pos += 2;
        switch (c) {
            case 'b': return '\b';
            case 'f': return '\f';
            case 'n': return '\n';
            case 'r': return '\r';
            case 't': return '\t';
            case 'u': break;
            default: return c; // '"', '\\' and '/' stand for themselves
        }
        int unit = hex4(pos);
        pos += 4;
        if (Character.isHighSurrogate((char) unit)) {
            // The parser only accepts a high surrogate escape followed by a low one.
            int low = hex4(pos + 2);
            pos += 6;
            return Character.toCodePoint((char) unit, (char) low);
        }
        return unit;
    }

    private int hex4(int at) {
        int value = 0;
        for (int i = 0; i < 4; i++) {
            value = value * 16 + Character.digit(bytes[at + i] & 0xff, 16);
        }
        return value;
    }
}
