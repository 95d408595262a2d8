package org.cetusguard.proxy;

import java.nio.charset.StandardCharsets;

import org.cetusguard.text.Escape;

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
        return ("{\"message\":" + Escape.forJson(message) + "}\n").getBytes(StandardCharsets.UTF_8);
    }
}
