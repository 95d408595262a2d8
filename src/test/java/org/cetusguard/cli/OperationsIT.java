package org.cetusguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator's tools, end to end against the real daemon: audit log, metrics, reload, learning mode, health. */
class OperationsIT {
    static DockerTestbed testbed;

    @BeforeAll
    static void daemon() {
        testbed = DockerTestbed.get();
    }

    static String name() {
        return "cg-ops-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void auditLogHasOneGreppableLinePerRequest(@TempDir Path dir) throws Exception {
        try (ProxyProcess proxy = ProxyProcess.start(dir, Map.of("CETUSGUARD_AUDIT_LOG", "logfmt"),
                "-rules", "GET %API_PREFIX_CONTAINERS%/json")) {
            testbed.docker(proxy.dockerHost(), "ps").requireOk();
            assertFalse(testbed.docker(proxy.dockerHost(), "rm", "cg-ops-none").ok());
            proxy.awaitLog(proxy.stdout, "method=DELETE", Duration.ofSeconds(5));
            List<String> lines = Files.readAllLines(proxy.stdout);
            String allowed = lines.stream().filter(l -> l.contains("method=GET path=/v1.") && l.contains("/containers/json"))
                    .findFirst().orElseThrow(() -> new AssertionError(lines));
            assertTrue(allowed.contains(" status=200 decision=allow reason=- rule=\"GET ^"), allowed);
            assertTrue(allowed.matches(".* client=127\\.0\\.0\\.1:\\d+ .* bytes=\\d+ ms=[0-9.]+"), allowed);
            String denied = lines.stream().filter(l -> l.contains("method=DELETE")).findFirst().orElseThrow();
            assertTrue(denied.contains(" status=403 decision=deny reason=rules "), denied);
        }
    }

    @Test
    void auditLogAsJsonLines(@TempDir Path dir) throws Exception {
        try (ProxyProcess proxy = ProxyProcess.start(dir, Map.of(), "-audit-log", "json")) {
            testbed.docker(proxy.dockerHost(), "version").requireOk();
            proxy.awaitLog(proxy.stdout, "\"path\":\"/v1.", Duration.ofSeconds(5));
            String line = Files.readAllLines(proxy.stdout).stream().filter(l -> l.startsWith("{\"time\":") && l.contains("/version\""))
                    .findFirst().orElseThrow();
            assertTrue(line.contains("\"method\":\"GET\"") && line.contains("\"status\":200") && line.contains("\"decision\":\"allow\""), line);
            assertTrue(line.endsWith("}"), line);
        }
    }

    @Test
    void metricsAreServedOnTheirOwnListenerOnly(@TempDir Path dir) throws Exception {
        int[] chosen = new int[1];
        try (ProxyProcess proxy = ProxyProcess.startOnFreePort(dir, Map.of(), port -> {
            chosen[0] = port;
            return new String[] {"-metrics-addr", "tcp://127.0.0.1:" + port, "-rules", "GET %API_PREFIX_CONTAINERS%/json"};
        })) {
            int metricsPort = chosen[0];
            testbed.docker(proxy.dockerHost(), "ps").requireOk();
            assertFalse(testbed.docker(proxy.dockerHost(), "images").ok());
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            String body = metrics.body();
            assertTrue(counter(body, "cetusguard_requests_total{decision=\"allow\",method=\"GET\",status=\"200\"}") >= 1, body);
            assertTrue(counter(body, "cetusguard_requests_total{decision=\"deny\",method=\"GET\",status=\"403\"}") >= 1, body);
            assertTrue(body.contains("cetusguard_request_duration_seconds_bucket"), body);
            assertTrue(body.contains("cetusguard_hijacked_sessions 0"), body);
            // Not on the proxied frontend, and no proxying on the metrics listener.
            HttpResponse<String> onFrontend = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, onFrontend.statusCode());
            HttpResponse<String> proxiedOnMetrics = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metricsPort + "/v1.41/containers/json")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, proxiedOnMetrics.statusCode());
        }
    }

    static double counter(String exposition, String series) {
        for (String line : exposition.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return -1;
    }

    @Test
    void sighupReloadsRulesAndKeepsSessionsOpen(@TempDir Path dir) throws Exception {
        Path rules = dir.resolve("rules");
        Files.writeString(rules, "GET,HEAD,POST,DELETE %API_PREFIX_CONTAINERS%(/.*)?\nGET,POST %API_PREFIX_EXEC%(/.*)?\n");
        String c = name();
        try (ProxyProcess proxy = ProxyProcess.start(dir, Map.of(), "-rules-file", rules.toString())) {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "run", "-d", "--name", c, "--network", "none",
                    testbed.image(), "sleep", "120").requireOk();
            // An interactive session that is open across the reload.
            ProcessBuilder session = new ProcessBuilder(testbed.dockerCli(), "exec", "-i", c, "sh", "-c", "echo ready; read line; echo got $line");
            session.environment().put("DOCKER_HOST", proxy.dockerHost());
            session.environment().put("DOCKER_CONFIG", dir.toString());
            Process exec = session.start();
            BufferedReader execOut = new BufferedReader(new InputStreamReader(exec.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", execOut.readLine(), "the session is attached through the proxy before the reload");

            Files.writeString(rules, "GET %API_PREFIX_IMAGES%/json\n");
            proxy.signal("HUP");
            proxy.awaitLog(proxy.stdout, "rules reloaded", Duration.ofSeconds(10));
            CliResult ps = testbed.docker(proxy.dockerHost(), "ps");
            assertTrue(ps.stderr().contains("forbidden by CetusGuard"), ps::toString);
            testbed.docker(proxy.dockerHost(), "images").requireOk();

            try (OutputStream stdin = exec.getOutputStream()) {
                stdin.write("hello\n".getBytes(StandardCharsets.UTF_8));
            }
            assertTrue(exec.waitFor(20, TimeUnit.SECONDS), "the session open across the reload ends normally");
            String output = execOut.readLine();
            assertEquals("got hello", output);

            Files.writeString(rules, "get /nope\n");
            proxy.signal("HUP");
            proxy.awaitLog(proxy.stderr, "rules not reloaded", Duration.ofSeconds(10));
            assertTrue(proxy.stderr().contains("get /nope"), proxy.stderr());
            testbed.docker(proxy.dockerHost(), "images").requireOk();
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", c);
        }
    }

    @Test
    void learningModeRecordsASessionAndSuggestsRulesThatAllowExactlyIt(@TempDir Path dir) throws Exception {
        String c = name();
        String audit;
        String[][] session = {
            {"run", "--name", c, "--network", "none", testbed.image(), "echo", "learned"},
            {"ps", "-a", "--filter", "name=" + c},
            {"container", "inspect", c},
            {"logs", c},
        };
        try (ProxyProcess learning = ProxyProcess.start(dir, Map.of(), "-audit-only", "-audit-log", "logfmt")) {
            for (String[] command : session) {
                testbed.docker(learning.dockerHost(), command).requireOk();
            }
            learning.awaitLog(learning.stdout, "/logs", Duration.ofSeconds(5));
            audit = learning.stdout();
            assertTrue(audit.contains("decision=would-deny"), audit);
            assertTrue(learning.stderr().contains("would deny request (audit only): POST"), learning.stderr());
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", c);
        }
        ProxyProcess.Result suggested = ProxyProcess.tool(audit.getBytes(StandardCharsets.UTF_8), "suggest-rules");
        assertEquals(0, suggested.exitCode(), suggested.stderr());
        assertTrue(suggested.stdout().contains("POST %API_PREFIX_CONTAINERS%/create"), suggested.stdout());
        assertTrue(suggested.stdout().contains("%API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/logs"), suggested.stdout());
        Path rules = dir.resolve("suggested.rules");
        Files.writeString(rules, suggested.stdout());

        try (ProxyProcess enforcing = ProxyProcess.start(dir, Map.of(), "-rules-file", rules.toString())) {
            for (String[] command : session) {
                testbed.docker(enforcing.dockerHost(), command).requireOk();
            }
            CliResult other = testbed.docker(enforcing.dockerHost(), "volume", "ls");
            assertTrue(other.stderr().contains("forbidden by CetusGuard"), other::toString);
            CliResult remove = testbed.docker(enforcing.dockerHost(), "rm", c);
            assertTrue(remove.stderr().contains("forbidden by CetusGuard: DELETE"), remove::toString);
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", c);
        }
    }

    @Test
    void healthcheckChecksTheProxyAndTheDaemonWhateverTheRules(@TempDir Path dir) throws Exception {
        try (ProxyProcess proxy = ProxyProcess.start(dir, Map.of())) {
            ProxyProcess.Result healthy = ProxyProcess.tool(null, "healthcheck", "-frontend-addr", proxy.dockerHost());
            assertEquals(0, healthy.exitCode(), healthy.stdout() + healthy.stderr());
            assertTrue(healthy.stdout().matches("healthy: the proxy answers on " + proxy.dockerHost() + " \\(HTTP/1\\.1 200 OK\\);"
                    + " the daemon at unix:///var/run/docker.sock answers /_ping: HTTP/1\\.[01] 200 OK\n"), healthy.stdout());
        }
        // No rule allows /_ping: the proxy answers 403, and is up all the same (the image's health check
        // with CETUSGUARD_NO_BUILTIN_RULES=true).
        try (ProxyProcess strict = ProxyProcess.start(dir, Map.of(), "-no-builtin-rules")) {
            ProxyProcess.Result healthy = ProxyProcess.tool(Map.of("CETUSGUARD_NO_BUILTIN_RULES", "true"), null,
                    "healthcheck", "-frontend-addr", strict.dockerHost());
            assertEquals(0, healthy.exitCode(), healthy.stdout() + healthy.stderr());
            assertTrue(healthy.stdout().contains("(HTTP/1.1 403 Forbidden)"), healthy.stdout());
        }
        Path socket = dir.resolve("health.sock");
        try (ProxyProcess proxy = ProxyProcess.start(dir, Map.of(), "-frontend-addr", "unix://" + socket)) {
            proxy.awaitLog(proxy.stdout, "serve on unix://", Duration.ofSeconds(10));
            ProxyProcess.Result overUnix = ProxyProcess.tool(null, "healthcheck", "-frontend-addr", "unix://" + socket);
            assertEquals(0, overUnix.exitCode(), overUnix.stdout() + overUnix.stderr());
        }
        // The daemon is checked at the backend address the options (or the environment) give, not through the proxy.
        String missing = "unix://" + dir.resolve("missing.sock");
        try (ProxyProcess noDaemon = ProxyProcess.start(dir, Map.of(), "-backend-addr", missing)) {
            ProxyProcess.Result unhealthy = ProxyProcess.tool(null, "healthcheck", "-frontend-addr", noDaemon.dockerHost(),
                    "-backend-addr", missing);
            assertEquals(1, unhealthy.exitCode());
            assertTrue(unhealthy.stdout().startsWith("unhealthy: the proxy answers on " + noDaemon.dockerHost()), unhealthy.stdout());
            assertTrue(unhealthy.stdout().contains("; the daemon at " + missing + ": "), unhealthy.stdout());
            ProxyProcess.Result fromEnv = ProxyProcess.tool(Map.of("DOCKER_HOST", missing), null,
                    "healthcheck", "-frontend-addr", noDaemon.dockerHost());
            assertEquals(1, fromEnv.exitCode(), fromEnv.stdout());
            assertTrue(fromEnv.stdout().contains("; the daemon at " + missing + ": "), fromEnv.stdout());
        }
        ProxyProcess.Result noProxy = ProxyProcess.tool(null, "healthcheck", "-frontend-addr", "tcp://127.0.0.1:" + ProxyProcess.freePort());
        assertEquals(1, noProxy.exitCode());
        assertTrue(noProxy.stdout().startsWith("unhealthy: the proxy on"), noProxy.stdout());
    }

    @Test
    void checkAndLintExplainRules() throws Exception {
        ProxyProcess.Result allowed = ProxyProcess.tool(null, "check", "-rules", "GET %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/json",
                "GET", "/v1.41/containers/web-1/json");
        assertEquals(0, allowed.exitCode());
        assertTrue(allowed.stdout().contains("allowed: GET /v1.41/containers/web-1/json"), allowed.stdout());
        assertTrue(allowed.stdout().contains("regex: ^(?:(?:/v[0-9]+"), allowed.stdout());
        ProxyProcess.Result denied = ProxyProcess.tool(null, "check", "GET", "/v1.41/containers/json");
        assertEquals(1, denied.exitCode());
        assertTrue(denied.stdout().startsWith("denied (403)"), denied.stdout());
        ProxyProcess.Result lint = ProxyProcess.tool(null, "lint", "-rules", "POST %API_PREFIX_CONTAINERS%(/.*)?");
        assertEquals(1, lint.exitCode());
        assertTrue(lint.stdout().contains("allows POST /containers/create"), lint.stdout());
        ProxyProcess.Result clean = ProxyProcess.tool(null, "lint", "-rules", "GET %API_PREFIX_CONTAINERS%/json");
        assertEquals(0, clean.exitCode(), clean.stdout());
    }
}
