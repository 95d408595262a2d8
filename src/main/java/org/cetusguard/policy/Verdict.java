package org.cetusguard.policy;

import java.util.Arrays;

/**
 * What {@link ContainerPolicy#check} decided about one request body. The proxy forwards the
 * original bytes on {@link Allow}, the given bytes on {@link Rewrite}, and answers
 * {@link #status()} with {@link #message()} otherwise, sending the daemon nothing. A forwarded body
 * is one complete byte array, sent only once decided and with its exact Content-Length (never
 * chunked, however the client sent it).
 */
public sealed interface Verdict permits Verdict.Allow, Verdict.Deny, Verdict.Bad, Verdict.Rewrite {
    /** Shared instance: forward the body exactly as received. */
    Allow ALLOW = new Allow();

    /** HTTP status to answer when refusing; 200 for the verdicts that forward. */
    int status();

    /** Why the body is refused, one line naming the field; empty for the verdicts that forward. */
    String message();

    /** Forward the original body unchanged. */
    record Allow() implements Verdict {
        @Override
        public int status() {
            return 200;
        }

        @Override
        public String message() {
            return "";
        }
    }

    /** 403: the body asks for something the policy forbids. */
    record Deny(String message) implements Verdict {
        @Override
        public int status() {
            return 403;
        }
    }

    /**
     * 400 (malformed or ambiguous body), 413 (body too large) or, should a rewrite fail its own
     * re-check (a bug), 500. Never forwarded.
     */
    record Bad(int status, String message) implements Verdict {
    }

    /**
     * Forward {@link #body()} instead of the original: the policy added forced labels or a cgroup
     * namespace mode, changing only those bytes. The new bytes have already been parsed and checked
     * again by the same policy (see ContainerPolicy), and are sent with their own Content-Length.
     */
    final class Rewrite implements Verdict {
        private final byte[] body;

        Rewrite(byte[] body) {
            this.body = body.clone();
        }

        /** A copy of the bytes to forward. */
        public byte[] body() {
            return body.clone();
        }

        @Override
        public int status() {
            return 200;
        }

        @Override
        public String message() {
            return "";
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Rewrite && Arrays.equals(((Rewrite) other).body, body);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(body);
        }

        @Override
        public String toString() {
            return "Rewrite[" + body.length + " bytes]";
        }
    }
}
