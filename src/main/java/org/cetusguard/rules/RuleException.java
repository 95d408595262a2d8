package org.cetusguard.rules;

/**
 * A rule source that cannot be loaded. The message is shown to the operator as is, on one line,
 * and names where the problem is (origin, line number, the offending text).
 */
public final class RuleException extends Exception {
    private static final long serialVersionUID = 1L;

    public RuleException(String message) {
        super(message);
    }

    public RuleException(String message, Throwable cause) {
        super(message, cause);
    }
}
