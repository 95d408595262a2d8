package org.cetusguard.proxy;

import java.nio.charset.StandardCharsets;

/**
 * Error bodies in the daemon's own shape, {"message": "..."}: Docker clients print that field after
 * "Error response from daemon:", where an HTML error page would print nothing useful.
 */
public final class JsonError {
    public static final String CONTENT_TYPE = "application/json";

    private JsonError() {
    }

    public static byte[] body(String message) {
        return ("{\"message\":\"" + escape(message) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }

    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&' || Character.isSurrogate(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
