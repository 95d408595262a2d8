package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.LiveCli;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 100 MiB out of a container over a hijacked stream ({@code docker exec}, which isolates the stream from a
 * container's start and removal), through the proxy's TCP frontend and directly, three runs each. A measurement, printed for the record: the test asserts only that every byte arrives.
 *
 * <p>Not part of {@code mvn verify} (its name matches none of failsafe's patterns: 7 × 100 MiB is a
 * benchmark, not a check); {@code bench/hijack-throughput} runs it.
 */
class HijackedStreamThroughputBench {
    static final long SIZE = 100L * 1024 * 1024;
    static final int RUNS = 3;

    static DockerTestbed testbed;
    static RunningProxy proxy;
    static String box;

    @BeforeAll
    static void start() throws Exception {
        testbed = DockerTestbed.get();
        proxy = RunningProxy.start("-backend-addr", DockerTestbed.DIRECT_DOCKER_HOST,
                "-frontend-addr", "tcp://127.0.0.1:0", "-rules", InteractiveSessionsIT.RULES, "-log-level", "3");
        box = "cg-hj-tput-" + UUID.randomUUID().toString().substring(0, 8);
        testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "run", "-d", "--name", box, "--network", "none",
                testbed.image(), "sleep", "3600").requireOk();
    }

    @AfterAll
    static void stop() {
        if (box != null) {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", box);
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    /** Runs the CLI with its stdout piped to {@code wc -c}; returns the elapsed milliseconds. */
    static long timed(String dockerHost, String... args) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "\"$0\" \"$@\" | wc -c", testbed.dockerCli()));
        command.addAll(List.of(args));
        long t0 = System.nanoTime();
        try (LiveCli cli = LiveCli.start(command, dockerHost, Map.of(), true)) {
            cli.closeStdin();
            assertTrue(cli.awaitExit(Duration.ofSeconds(60)), cli::toString);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(0, cli.exitCode(), cli::toString);
            assertEquals(String.valueOf(SIZE), cli.stdoutText().trim(), () -> "bytes counted by wc -c: " + cli);
            assertEquals("", cli.stderr(), cli::toString);
            return ms;
        }
    }

    static String figures(String what, long[] ms) {
        long[] sorted = ms.clone();
        Arrays.sort(sorted);
        long median = sorted[sorted.length / 2];
        return String.format("%-40s runs %s ms, median %d ms (%.0f MiB/s)", what, Arrays.toString(ms), median,
                SIZE / 1024.0 / 1024.0 / (median / 1000.0));
    }

    @Test
    void oneHundredMebibytesProxiedAndDirect() {
        String proxied = proxy.dockerHost(0);
        String direct = DockerTestbed.DIRECT_DOCKER_HOST;
        String[] exec = {"exec", box, "head", "-c", String.valueOf(SIZE), "/dev/zero"};
        // Warm-up (JIT, pooled connections), not counted.
        timed(proxied, exec);
        long[] directMs = new long[RUNS];
        long[] proxiedMs = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            directMs[i] = timed(direct, exec);
            proxiedMs[i] = timed(proxied, exec);
        }
        System.out.println("[throughput] docker exec CONTAINER head -c 104857600 /dev/zero | wc -c");
        System.out.println("[throughput] " + figures("direct (Unix socket)", directMs));
        System.out.println("[throughput] " + figures("through CetusGuard (TCP frontend)", proxiedMs));
    }
}
