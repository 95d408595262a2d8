package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.PrivateDockerd;
import org.cetusguard.testbed.ProcessProbe;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real daemon failing behind the proxy, with clients connected: a private second dockerd (never
 * the shared one) is stopped, killed and restarted while `docker logs -f` and `docker events` stream
 * through the proxy. The streams must end rather than hang, requests in the meantime get a 502 with a
 * short reason, the proxy serves again as soon as the daemon is back (no proxy restart), and it holds
 * no more file descriptors or busy threads afterwards than before.
 */
class DaemonFailureIT {
    static final String RULES = String.join("\n", "GET %API_PREFIX_EVENTS%", "GET,HEAD,POST,DELETE %API_PREFIX_CONTAINERS%(/.*)?");
    static final String PING = "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
    static final Duration READ = Duration.ofSeconds(10);

    static java.nio.file.Path cliConfig;
    static DockerTestbed testbed;
    static PrivateDockerd dockerd;
    static RunningProxy proxy;
    static String host;

    @BeforeAll
    static void start() throws Exception {
        testbed = DockerTestbed.get(); // the CLI, and the image to copy
        cliConfig = Files.createTempDirectory("cg-fail-cli");
        dockerd = PrivateDockerd.start();
        CliResult load = shell(testbed.dockerCli() + " -H " + DockerTestbed.DIRECT_DOCKER_HOST + " save " + testbed.image()
                + " | " + testbed.dockerCli() + " -H " + dockerd.address() + " load");
        assertEquals(0, load.exitCode(), load.toString());
        proxy = RunningProxy.start("-backend-addr", dockerd.address(), "-frontend-addr", "tcp://127.0.0.1:0",
                "-rules", RULES, "-log-level", "3");
        host = proxy.dockerHost(0);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (dockerd != null) {
            if (!dockerd.running()) {
                try {
                    dockerd.restart();
                } catch (IOException e) {
                    System.err.println("[daemon-failure] " + e.getMessage());
                }
            }
            if (dockerd.running()) {
                testbed.docker(dockerd.address(), "rm", "-f", "cg-fail-tick");
            }
            dockerd.close();
        }
        if (cliConfig != null) {
            try {
                Files.deleteIfExists(cliConfig);
            } catch (IOException e) {
                System.err.println("[daemon-failure] " + e.getMessage());
            }
        }
    }

    @Test
    void stopKillAndRestartTheDaemonUnderLiveClients() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertPing(200);
        }
        testbed.docker(host, "rm", "-f", "cg-fail-tick");
        testbed.docker(host, "run", "-d", "--name", "cg-fail-tick", "--network", "none", "--stop-timeout", "1",
                testbed.image(), "sh", "-c", "trap 'exit 0' TERM; while true; do echo tick; sleep 1; done").requireOk();
        ProcessProbe.Fds fdsBefore = ProcessProbe.fds();
        int threadsBefore = ProcessProbe.threads();

        // 1. Streams open through the proxy, then the daemon stops (SIGTERM): the streams end.
        Process logs = cli("logs", "-f", "cg-fail-tick");
        Process events = cli("events");
        assertTrue(firstLine(logs).startsWith("tick"), "logs -f streams through the proxy");
        Thread.sleep(500);
        assertTrue(events.isAlive(), "events streams through the proxy");
        long stopAt = System.nanoTime();
        dockerd.stop();
        assertTrue(logs.waitFor(15, TimeUnit.SECONDS), "`docker logs -f` hangs after the daemon stopped");
        assertTrue(events.waitFor(15, TimeUnit.SECONDS), "`docker events` hangs after the daemon stopped");
        System.out.println("[daemon-failure] streams ended " + (System.nanoTime() - stopAt) / 1_000_000
                + " ms after the stop began; logs -f exit " + logs.exitValue() + ", events exit " + events.exitValue()
                + ": " + stderr(events).trim());

        // 2. Daemon stopped, its socket removed: 502 with a reason, for the CLI too.
        assertTrue(!Files.exists(dockerd.socket()), "a stopped dockerd removes its socket");
        RawClient.Response gone = ping();
        assertEquals(502, gone.status(), gone.toString());
        assertTrue(gone.bodyText().contains("cannot reach the Docker daemon: its socket does not exist"), gone.toString());
        System.out.println("[daemon-failure] socket missing: " + gone);
        CliResult cliGone = testbed.docker(host, "ps");
        assertNotEquals(0, cliGone.exitCode());
        assertTrue(cliGone.stderr().contains("CetusGuard cannot reach the Docker daemon"), cliGone.toString());

        // 3. Restarted: served again, no proxy restart.
        dockerd.restart();
        assertTrue(ProcessProbe.eventually(10_000, () -> pingStatus() == 200), "not served after the daemon came back");
        testbed.docker(host, "ps", "-a").requireOk();

        // 4. Killed (SIGKILL): the socket file stays, nobody listens: 502 again, then back after a restart.
        dockerd.kill();
        assertTrue(Files.exists(dockerd.socket()), "a killed dockerd leaves its socket file");
        RawClient.Response refused = ping();
        assertEquals(502, refused.status(), refused.toString());
        assertTrue(refused.bodyText().contains("cannot reach the Docker daemon: connection refused"), refused.toString());
        System.out.println("[daemon-failure] socket left, nobody listening: " + refused);
        dockerd.restart();
        assertTrue(ProcessProbe.eventually(10_000, () -> pingStatus() == 200), "not served after the daemon came back");
        testbed.docker(host, "rm", "-f", "cg-fail-tick").requireOk();

        // 5. Nothing leaked: descriptors and threads back to where they were (small slack: pooled
        // connections to the daemon, pool threads that have not idled out yet).
        assertTrue(ProcessProbe.eventually(10_000, () -> ProcessProbe.busyProxyThreads() == 0),
                "busy proxy threads: " + ProcessProbe.describeProxyThreads());
        ProcessProbe.Fds[] after = new ProcessProbe.Fds[1];
        boolean settled = ProcessProbe.eventually(10_000, () -> {
            after[0] = ProcessProbe.fds();
            return after[0].total() <= fdsBefore.total() + 3 && after[0].tcp() <= fdsBefore.tcp();
        });
        System.out.println("[daemon-failure] fds before " + fdsBefore + ", after " + after[0]
                + "; threads before " + threadsBefore + ", after " + ProcessProbe.threads());
        assertTrue(settled, "fds grew from " + fdsBefore + " to " + after[0]);
        assertTrue(ProcessProbe.threads() <= threadsBefore + 8, "threads grew from " + threadsBefore + " to " + ProcessProbe.threads());
    }

    static void assertPing(int status) throws IOException {
        assertEquals(status, pingStatus());
    }

    static int pingStatus() {
        try {
            RawClient.Response r = ping();
            return r == null ? -1 : r.status();
        } catch (IOException e) {
            return -1;
        }
    }

    static RawClient.Response ping() throws IOException {
        try (RawClient c = RawClient.connect(proxy.port(0))) {
            RawClient.Response r = c.send(PING).read(READ);
            assertNotNull(r, "no answer");
            return r;
        }
    }

    static Process cli(String... args) throws IOException {
        List<String> command = new java.util.ArrayList<>(List.of(testbed.dockerCli()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DOCKER_"));
        env.put("DOCKER_HOST", host);
        env.put("DOCKER_CONFIG", cliConfig.toString());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectError(ProcessBuilder.Redirect.PIPE);
        return pb.start();
    }

    static String firstLine(Process p) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = p.getInputStream().read()) >= 0 && b != '\n') {
            line.append((char) b);
        }
        return line.toString();
    }

    static String stderr(Process p) throws IOException {
        return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    static CliResult shell(String script) throws Exception {
        long start = System.nanoTime();
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        return new CliResult(List.of("sh", "-c", script), List.of(), done ? p.exitValue() : -1, out, "", !done,
                Duration.ofNanos(System.nanoTime() - start));
    }
}
