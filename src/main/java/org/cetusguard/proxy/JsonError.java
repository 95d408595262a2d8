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

    public static byte[] body(String message) {
        return ("{\"message\":" + Escape.forJson(message) + "}\n").getBytes(StandardCharsets.UTF_8);
    }
}
