package org.cetusguard.observe;

import org.eclipse.jetty.server.Request;

/**
 * What is known about one request as it passes through: filled in by the code that decides and
 * forwards it, read once it completes by the audit log and the metrics. It travels as a request
 * attribute, so the servlet and the core handlers see the same one.
 */
public final class Exchange {
    public static final String ATTRIBUTE = Exchange.class.getName();

    /** Who decided against a request, for "denials say which check refused it". */
    public enum Decision { ALLOW, DENY, REJECT, WOULD_DENY }

    final long startNanos = System.nanoTime();
    final String method;
    final String rawTarget;
    final String client;
    volatile Decision decision;
    volatile String reason = "-";
    volatile String rule = "-";
    volatile String path;
    volatile boolean backendFailed;
    volatile boolean upgraded;
    volatile long bytesOut;

    Exchange(String method, String rawTarget, String client) {
        this.method = method;
        this.rawTarget = rawTarget;
        this.client = client;
    }

    /** The exchange of a request, or null when nothing observes it (unit tests of one handler). */
    public static Exchange of(Request request) {
        return request.getAttribute(ATTRIBUTE) instanceof Exchange exchange ? exchange : null;
    }

    /** The same for the servlet API: the attribute is shared with the core request. */
    public static Exchange of(jakarta.servlet.ServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof Exchange exchange ? exchange : null;
    }

    public void decided(Decision decision, String reason, String rule, String path) {
        this.decision = decision;
        this.reason = reason;
        this.rule = rule;
        this.path = path;
    }

    /** The rules allowed it, the container policy did not (or could not read the body). */
    public void policyRefused(int status, String message) {
        this.decision = status == 403 ? Decision.DENY : Decision.REJECT;
        this.reason = "policy: " + message;
    }

    public void backendFailed() {
        backendFailed = true;
    }

    public void upgraded() {
        upgraded = true;
    }

    public String client() {
        return client;
    }
}
