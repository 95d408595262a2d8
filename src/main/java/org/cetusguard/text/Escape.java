package org.cetusguard.text;

/**
 * The one place where text from outside (a client's path, an operator's rule line, a file name, a
 * library's error message) is made safe to print. Each function says where its result goes:
 *
 * <ul>
 *   <li>{@link #forLog}: one token of a log line (the audit log's logfmt, the warning lines). A
 *       client must not be able to forge or hide a log entry, so nothing that ends a line, moves
 *       the cursor or reorders text on screen gets through, and a value with a blank, a quote or an
 *       {@code =} is quoted so that it cannot pose as another field;
 *   <li>{@link #forJson}: a JSON string literal (RFC 8259), safe also where a browser might sniff
 *       it as HTML;
 *   <li>{@link #forMessage}: a value quoted inside a message to the operator (startup errors,
 *       warnings), shortened when asked; {@link #forMessageText} for free text that is not a value
 *       (an exception's message), escaped the same way but not quoted.
 * </ul>
 *
 * <p>All of them escape the same characters the same way, as {@code \\uXXXX} (which JSON reads
 * too), besides {@code \"} and {@code \\}: control characters (C0, DEL, C1), format characters
 * (bidi overrides, zero-width characters, the BOM), line and paragraph separators, and surrogates
 * (a lone one cannot be encoded; pairs are escaped too, which keeps the rule simple). Printable
 * non-ASCII text stays as it is, so names in any script remain readable.
 */
public final class Escape {
    private Escape() {
    }

    /**
     * A value as one token of a log line: as it is when it is plain printable ASCII without blanks,
     * quotes, {@code =} or backslashes (what paths, methods and addresses normally are), otherwise
     * quoted and escaped as by {@link #forMessage(String)}. Empty becomes {@code ""}.
     */
    public static String forLog(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' || c == '\\') {
                return forMessage(value);
            }
        }
        return value.isEmpty() ? "\"\"" : value;
    }

    /** A JSON string literal, quotes included; {@code <}, {@code >} and {@code &} are escaped as well. */
    public static String forJson(String value) {
        StringBuilder b = new StringBuilder(value.length() + 8).append('"');
        escape(value, true, b);
        return b.append('"').toString();
    }

    /** A value quoted for a message to the operator: {@code "..."}, escaped. */
    public static String forMessage(String value) {
        StringBuilder b = new StringBuilder(value.length() + 8).append('"');
        escape(value, false, b);
        return b.append('"').toString();
    }

    /**
     * Like {@link #forMessage(String)}, but a value longer than {@code limit} characters is cut there
     * and followed by its length: {@code "GET /aaa..."... (5000 characters)}.
     */
    public static String forMessage(String value, int limit) {
        if (value.length() <= limit) {
            return forMessage(value);
        }
        return forMessage(value.substring(0, limit)) + "... (" + value.length() + " characters)";
    }

    /** Free text inside a message (an exception's message, a library's reason): escaped, not quoted. */
    public static String forMessageText(String text) {
        StringBuilder b = new StringBuilder(text.length() + 8);
        escape(text, false, b);
        return b.toString();
    }

    private static void escape(String s, boolean json, StringBuilder b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (unsafe(c) || json && (c == '<' || c == '>' || c == '&')) {
                b.append("\\u").append(HEX[c >> 12 & 0xf]).append(HEX[c >> 8 & 0xf]).append(HEX[c >> 4 & 0xf]).append(HEX[c & 0xf]);
            } else {
                b.append(c);
            }
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static boolean unsafe(char c) {
        if (c >= 0x20 && c < 0x7f) {
            return false;
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR -> true;
            default -> false;
        };
    }
}
