package org.cetusguard.json;

/**
 * Writes the few JSON values the proxy adds to a body (labels, a namespace mode) and quotes text for
 * one-line messages. Strings are written as raw UTF-8 with only {@code "}, {@code \} and control
 * characters escaped, which the parser reads back to the same string.
 */
public final class JsonWriter {
    private JsonWriter() {
    }

    /** {@code s} as a JSON string literal. */
    public static String string(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isSurrogate(c) && !validPairAt(s, i)) {
                        // Cannot come from a parsed body; refuse rather than emit invalid UTF-8.
                        throw new IllegalArgumentException("string contains an unpaired surrogate");
                    } else {
                        out.append(c);
                        if (Character.isHighSurrogate(c)) {
                            out.append(s.charAt(++i));
                        }
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static boolean validPairAt(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }

    /** A key or value for a one-line message: quoted, control and format characters escaped, shortened. */
    public static String quote(String s) {
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
