package org.cetusguard.server;

/** A configuration or environment problem that stops startup; the message is shown to the operator as is. */
public final class StartupException extends Exception {
    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }

    /** What went wrong at the bottom of {@code e}, for a startup message: "BindException: Address already in use". */
    static String reason(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.toString() : root.getClass().getSimpleName() + ": " + message;
    }
}
