package org.cetusguard.server;

/** A configuration or environment problem that stops startup; the message is shown to the operator as is. */
public final class StartupException extends Exception {
    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
