package org.cetusguard.observe;

/** What the proxy counts. The default does nothing, so no metrics classes load unless asked for. */
public interface Metrics {
    Metrics NONE = new Metrics() {
    };

    default void request(String method, Exchange.Decision decision, int status, long nanos, boolean backendFailed) {
    }

    default void sessionOpened() {
    }

    default void sessionClosed() {
    }

    default void rulesReloaded(boolean succeeded) {
    }
}
