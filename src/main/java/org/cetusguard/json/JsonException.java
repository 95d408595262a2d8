package org.cetusguard.json;

/**
 * A request body that {@link JsonParser} refuses. The message is one line, safe to log and to send
 * back to the client (the offending text is escaped and shortened).
 */
public final class JsonException extends Exception {
    private static final long serialVersionUID = 1L;

    JsonException(String message) {
        // No stack trace: this is a verdict on client input, and a client can make us throw it
        // on every request.
        super(message, null, false, false);
    }
}
