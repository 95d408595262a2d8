package org.cetusguard.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

/** The metrics and their endpoint, without a socket or a daemon. */
class PrometheusMetricsTest {
    static String scrape(PrometheusMetrics metrics) throws Exception {
        return new String(metrics.scrape(), StandardCharsets.UTF_8);
    }

    @Test
    void requestsAreCountedByMethodDecisionAndStatus() throws Exception {
        PrometheusMetrics metrics = new PrometheusMetrics();
        metrics.request("GET", Exchange.Decision.ALLOW, 200, 2_000_000, false);
        metrics.request("GET", Exchange.Decision.ALLOW, 200, 2_000_000, false);
        metrics.request("DELETE", Exchange.Decision.DENY, 403, 1_000, false);
        metrics.request("POST", Exchange.Decision.WOULD_DENY, 502, 1_000, true);
        String text = scrape(metrics);
        assertTrue(text.contains("cetusguard_requests_total{decision=\"allow\",method=\"GET\",status=\"200\"} 2"), text);
        assertTrue(text.contains("cetusguard_requests_total{decision=\"deny\",method=\"DELETE\",status=\"403\"} 1"), text);
        assertTrue(text.contains("cetusguard_requests_total{decision=\"would_deny\",method=\"POST\",status=\"502\"} 1"), text);
        assertTrue(text.contains("cetusguard_backend_errors_total 1"), text);
        assertTrue(text.contains("cetusguard_request_duration_seconds_count 4"), text);
    }

    @Test
    void aClientCannotGrowTheSeries() throws Exception {
        PrometheusMetrics metrics = new PrometheusMetrics();
        for (String method : new String[] {"BREW", "PROPFIND", "X-" + "A".repeat(100)}) {
            metrics.request(method, null, 400, 1_000, false);
        }
        String text = scrape(metrics);
        assertTrue(text.contains("cetusguard_requests_total{decision=\"reject\",method=\"OTHER\",status=\"400\"} 3"), text);
        assertFalse(text.contains("BREW") || text.contains("PROPFIND"), text);
    }

    @Test
    void sessionsAndReloads() throws Exception {
        PrometheusMetrics metrics = new PrometheusMetrics();
        metrics.sessionOpened();
        metrics.sessionOpened();
        metrics.sessionClosed();
        metrics.rulesReloaded(true);
        metrics.rulesReloaded(false);
        metrics.rulesReloaded(false);
        String text = scrape(metrics);
        assertTrue(text.contains("cetusguard_hijacked_sessions 1"), text);
        assertTrue(text.contains("cetusguard_rule_reloads_total{result=\"success\"} 1"), text);
        assertTrue(text.contains("cetusguard_rule_reloads_total{result=\"failure\"} 2"), text);
    }

    @Test
    void theEndpointServesGetMetricsAndNothingElse() throws Exception {
        PrometheusMetrics metrics = new PrometheusMetrics();
        metrics.request("GET", Exchange.Decision.ALLOW, 200, 1_000, false);
        Server server = new Server();
        LocalConnector connector = new LocalConnector(server);
        server.addConnector(connector);
        server.setHandler(new MetricsEndpoint(metrics));
        server.start();
        try {
            String ok = connector.getResponse("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
            assertTrue(ok.contains("Content-Type: text/plain; version=0.0.4"), ok);
            assertTrue(ok.contains("cetusguard_requests_total{decision=\"allow\",method=\"GET\",status=\"200\"} 1"), ok);
            for (String request : new String[] {"GET /v1.41/containers/json", "POST /metrics", "GET /metrics/x"}) {
                String other = connector.getResponse(request + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                assertEquals("HTTP/1.1 404 Not Found", other.lines().findFirst().orElse(""), request + ": " + other);
            }
        } finally {
            server.stop();
        }
    }
}
