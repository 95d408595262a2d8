package org.cetusguard.json;

import org.cetusguard.text.Escape;

/**
 * Writes the few JSON values the proxy adds to a body (labels, a namespace mode) and quotes text for
 * one-line messages. Both go through {@link Escape}, the one escaping utility; what this class adds is
 * the one rule a body needs and a log line does not (see {@link #string}).
 */
public final class JsonWriter {
    /** How much of a value a one-line message shows. */
    static final int MESSAGE_LIMIT = 100;

    private JsonWriter() {
    }

    /**
     * {@code s} as a JSON string literal for a body the daemon reads: {@link Escape#forJson}, which the
     * parser (and the daemon's decoder) reads back to the same string. A string with an unpaired
     * surrogate is refused instead: escaped it would be valid JSON, but Go's decoder turns it into
     * U+FFFD, so the daemon would get another string than the one the policy judged. (It cannot come
     * from a parsed body; only from an operator's setting.)
     */
    public static String string(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("string contains an unpaired surrogate");
            }
        }
        return Escape.forJson(s);
    }

    /** A key or value for a one-line message: {@link Escape#forMessage(String, int)}, shortened past 100 characters. */
    public static String quote(String s) {
        return Escape.forMessage(s, MESSAGE_LIMIT);
    }
}
