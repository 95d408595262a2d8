package org.cetusguard.observe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The Prometheus metrics ({@link MetricsEndpoint} serves them on the metrics listener). Labels are
 * from small fixed sets (methods the proxy saw are bounded by what HTTP parsing accepts, but an
 * unknown method is folded into "OTHER" so a client cannot grow the series without bound).
 */
public final class PrometheusMetrics implements Metrics {
    private static final java.util.Set<String> METHODS = java.util.Set.of(
            "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("cetusguard_requests_total")
            .help("Requests by method, decision and status").labelNames("method", "decision", "status").register(registry);
    private final Histogram latency = Histogram.builder().name("cetusguard_request_duration_seconds")
            .help("Time from request to the end of the response (hijacked streams: to the 101)")
            .classicOnly().classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60)
            .register(registry);
    private final Gauge sessions = Gauge.builder().name("cetusguard_hijacked_sessions")
            .help("Open attach/exec sessions").register(registry);
    private final Counter backendErrors = Counter.builder().name("cetusguard_backend_errors_total")
            .help("Requests that failed because the daemon could not be reached or broke off").register(registry);
    private final Counter reloads = Counter.builder().name("cetusguard_rule_reloads_total")
            .help("Rule reloads by result").labelNames("result").register(registry);

    @Override
    public void request(String method, Exchange.Decision decision, int status, long nanos, boolean backendFailed) {
        String label = METHODS.contains(method) ? method : "OTHER";
        String decided = decision == null ? "reject" : decision.name().toLowerCase(Locale.ROOT);
        requests.labelValues(label, decided, String.valueOf(status)).inc();
        latency.observe(nanos / 1e9);
        if (backendFailed) {
            backendErrors.inc();
        }
    }

    @Override
    public void sessionOpened() {
        sessions.inc();
    }

    @Override
    public void sessionClosed() {
        sessions.dec();
    }

    @Override
    public void rulesReloaded(boolean succeeded) {
        reloads.labelValues(succeeded ? "success" : "failure").inc();
    }

    /** The counters in the Prometheus text format, for {@link MetricsEndpoint}. */
    byte[] scrape() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream(4096);
        PrometheusTextFormatWriter.create().write(body, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        return body.toByteArray();
    }
}
