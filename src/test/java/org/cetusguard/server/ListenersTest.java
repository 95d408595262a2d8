package org.cetusguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.cetusguard.testbed.FakeDaemon;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which listener serves what, without a Docker daemon (a recording stand-in): the metrics listener
 * serves the metrics and never the proxy; the frontends serve the proxy and never the metrics; the
 * frontends report where they are bound.
 */
class ListenersTest {
    static final Duration READ = Duration.ofSeconds(10);

    static RawClient.Response get(int port, String path) throws IOException {
        try (RawClient client = RawClient.connect(port)) {
            return client.send("GET " + path + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n").read(READ);
        }
    }

    @Test
    void theMetricsListenerAndTheFrontendsServeApart(@TempDir Path dir) throws Exception {
        try (FakeDaemon daemon = FakeDaemon.start(dir.resolve("daemon.sock"));
             // Both spelled alike on purpose: requests are routed by the connector they came through, not its name.
             RunningProxy proxy = RunningProxy.start("-backend-addr", daemon.address(), "-frontend-addr", "tcp://127.0.0.1:0",
                     "-metrics-addr", "tcp://127.0.0.1:0", "-rules", "GET %API_PREFIX_CONTAINERS%/json", "-log-level", "2")) {
            int frontend = proxy.port(0);
            int metrics = proxy.server().metricsOn().getPort();
            assertTrue(frontend != metrics);

            RawClient.Response listed = get(frontend, "/v1.41/containers/json");
            assertEquals(200, listed.status(), listed.toString());
            assertTrue(listed.fromDaemon(), listed.toString());
            // On a frontend, /metrics is a path like any other: the rules decide, and deny it.
            RawClient.Response notMetrics = get(frontend, "/metrics");
            assertEquals(403, notMetrics.status(), notMetrics.toString());
            assertFalse(notMetrics.bodyText().contains("cetusguard_requests_total"), notMetrics.toString());

            RawClient.Response scraped = get(metrics, "/metrics");
            assertEquals(200, scraped.status(), scraped.toString());
            assertTrue(scraped.bodyText().contains("cetusguard_requests_total{decision=\"allow\",method=\"GET\",status=\"200\"} 1"),
                    scraped.bodyText());
            assertTrue(scraped.bodyText().contains("cetusguard_requests_total{decision=\"deny\",method=\"GET\",status=\"403\"} 1"),
                    scraped.bodyText());
            // The metrics listener never proxies, whatever the rules allow.
            RawClient.Response notProxied = get(metrics, "/v1.41/containers/json");
            assertEquals(404, notProxied.status(), notProxied.toString());
            assertFalse(notProxied.fromDaemon(), notProxied.toString());

            assertEquals(List.of("GET /v1.41/containers/json"), daemon.received().stream().map(FakeDaemon.Received::line).toList());
            assertEquals(List.of(), daemon.problems());
        }
    }

    @Test
    void frontendsReportWhereTheyAreBound(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("front.sock");
        try (FakeDaemon daemon = FakeDaemon.start(dir.resolve("daemon.sock"));
             RunningProxy proxy = RunningProxy.start("-backend-addr", daemon.address(), "-frontend-addr", "unix://" + socket,
                     "-frontend-addr", "tcp://127.0.0.1:0", "-log-level", "2")) {
            assertEquals("unix://" + socket.toAbsolutePath(), proxy.dockerHost(0));
            assertTrue(proxy.dockerHost(1).matches("tcp://127\\.0\\.0\\.1:[1-9][0-9]*"), proxy.dockerHost(1));
            assertEquals(null, proxy.server().metricsOn(), "no metrics listener unless asked for");
            RawClient.Response ping = get(proxy.port(1), "/_ping");
            assertEquals(200, ping.status(), ping.toString());
        }
    }
}
