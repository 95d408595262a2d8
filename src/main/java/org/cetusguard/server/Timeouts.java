package org.cetusguard.server;

import org.cetusguard.proxy.Backend;

/**
 * The time limits on both sides of the proxy; tests shorten them to prove what each one does.
 *
 * @param clientIdleMs     a client connection waiting for its next request, or sending its body
 * @param requestHeadersMs a client sending the line and headers of a request
 * @param daemonHeadersMs  the daemon answering with its response headers
 */
public record Timeouts(long clientIdleMs, long requestHeadersMs, long daemonHeadersMs) {
    /** Idle time allowed between requests on a keep-alive client connection (the Go original's 90 s). */
    static final long CONNECTION_IDLE_TIMEOUT_MS = 90_000;
    /** Time allowed for a request line and headers once their first byte is in (the Go original's 10 s). */
    static final long REQUEST_HEADERS_TIMEOUT_MS = 10_000;

    public static final Timeouts DEFAULT = new Timeouts(CONNECTION_IDLE_TIMEOUT_MS, REQUEST_HEADERS_TIMEOUT_MS,
            Backend.RESPONSE_HEADERS_TIMEOUT_MS);

    /** These limits with another idle timeout between requests (tests use a short one to prove streams outlive it). */
    public Timeouts withClientIdle(long ms) {
        return new Timeouts(ms, requestHeadersMs, daemonHeadersMs);
    }
}
