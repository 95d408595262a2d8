package org.cetusguard.gate;

/**
 * The query string is not judged by the rules, but it is forwarded: it must reach the daemon meaning
 * what it meant to the client. Valid percent-escapes are kept byte for byte; characters a URI may
 * not carry raw are escaped (Go's query parser decodes them back to the same text); a malformed
 * escape or a control character is refused rather than guessed at.
 */
final class CanonicalQuery {
    private static final String HEX = "0123456789ABCDEF";

    private CanonicalQuery() {
    }

    /** Returns the query to forward, or null when there is none. */
    static String of(String rawQuery) throws CanonicalPath.RejectedPathException {
        if (rawQuery == null) {
            return null;
        }
        StringBuilder out = null;
        int length = rawQuery.length();
        for (int i = 0; i < length; i++) {
            char c = rawQuery.charAt(i);
            if (c == '%') {
                if (i + 2 >= length || hex(rawQuery.charAt(i + 1)) < 0 || hex(rawQuery.charAt(i + 2)) < 0) {
                    throw new CanonicalPath.RejectedPathException("invalid percent-encoding in query");
                }
                if (out != null) {
                    out.append(rawQuery, i, i + 3);
                }
                i += 2;
            } else if (c < 0x20 || c == 0x7f || c == '#') {
                throw new CanonicalPath.RejectedPathException("control character in query");
            } else if (allowed(c)) {
                if (out != null) {
                    out.append(c);
                }
            } else {
                if (out == null) {
                    out = new StringBuilder(length + 16).append(rawQuery, 0, i);
                }
                for (byte b : String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    out.append('%').append(HEX.charAt((b >> 4) & 0xf)).append(HEX.charAt(b & 0xf));
                }
            }
        }
        return out == null ? rawQuery : out.toString();
    }

    /** RFC 3986 query characters: pchar, "/" and "?" (percent handled by the caller). */
    private static boolean allowed(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-._~!$&'()*+,;=:@/?".indexOf(c) >= 0;
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
