package org.cetusguard.policy;

/**
 * Thrown by the policy checks to stop at the first problem; {@link ContainerPolicy#check}
 * turns it into its verdict. Package-private: it never leaves the policy.
 */
final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;

    final transient Verdict verdict;

    private Refusal(Verdict verdict) {
        // No stack trace: a client can trigger this on every request.
        super(verdict.message(), null, false, false);
        this.verdict = verdict;
    }

    /** 403: the body asks for something forbidden. {@code where} names the field. */
    static Refusal deny(String where, String why) {
        return new Refusal(new Verdict.Deny(where.isEmpty() ? why : where + ": " + why));
    }

    /** 400: the body is malformed, or of a type the daemon would reject anyway. */
    static Refusal bad(String where, String why) {
        return new Refusal(new Verdict.Bad(400, where.isEmpty() ? why : where + ": " + why));
    }

    static Refusal of(Verdict verdict) {
        return new Refusal(verdict);
    }
}
