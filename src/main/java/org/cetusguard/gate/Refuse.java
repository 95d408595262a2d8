package org.cetusguard.gate;

/**
 * Answer {@link #status} with {@link #message} and forward nothing.
 *
 * @param status  the HTTP status
 * @param message what the client is told (the docker CLI prints it)
 * @param cause   which check refused it, for the log, the audit log and the metrics
 * @param path    the canonical path when there is one, else the raw path as sent
 * @param profile the profile the client was judged by, or null before one was chosen
 * @param answer  when set, the answer to send instead, byte for byte as the daemon writes it (an
 *                object out of a client's scope is answered as a missing one); else a JSON message
 */
public record Refuse(int status, String message, Cause cause, String path, String profile, DaemonAnswer answer) implements Decision {
    public Refuse(int status, String message, Cause cause, String path, String profile) {
        this(status, message, cause, path, profile, null);
    }

    /** What refused a request. */
    public enum Cause {
        /** The path or query could be read two ways (400). */
        AMBIGUOUS,
        /** No rule allows it (403). */
        RULES,
        /** The container policy refused the body (403), or could not read it (400, 413). */
        POLICY,
        /** Judging the body needed the daemon, which did not answer (502). */
        DAEMON,
        /** The proxy's memory for held-back bodies is in use (503); the client may retry. */
        BUSY,
        /**
         * The client's scope (only-label): an object out of scope answered as missing (404, as the
         * daemon answers), an endpoint that cannot be scoped (403), a query that cannot be scoped (400).
         */
        SCOPE
    }

    /** An object out of the client's scope: the daemon's own answer for a missing one. */
    static Refuse outOfScope(DaemonAnswer answer, String path, String profile) {
        return new Refuse(answer.status(), "not in this client's scope (answered as missing)", Cause.SCOPE, path, profile, answer);
    }

    public static Refuse busy(String path) {
        return new Refuse(503, "CetusGuard is busy checking other requests; retry shortly", Cause.BUSY, path, null);
    }

    /** The reason as the audit log and the warning line give it. */
    public String reason() {
        return switch (cause) {
            case AMBIGUOUS -> "path: " + message.replaceFirst("^bad request: ", "");
            case RULES -> "rules";
            case POLICY, DAEMON -> "policy: " + message;
            case BUSY -> "busy";
            case SCOPE -> "scope: " + message;
        };
    }
}
