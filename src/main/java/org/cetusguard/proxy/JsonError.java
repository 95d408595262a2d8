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

    /** Answers {@code status} with the message as the whole body (core handler API). */
    static void send(org.eclipse.jetty.server.Response response, int status, String message, org.eclipse.jetty.util.Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        response.write(true, java.nio.ByteBuffer.wrap(body(message)), callback);
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
