package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.cetusguard.server.Timeouts;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.ProcessProbe;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A short soak (20 s, loopback) in front of the real daemon: well-behaved clients (keep-alive API
 * calls, event streams dropped midway) alongside hostile ones (the attack suite's requests, garbage,
 * requests cut off halfway, trickled headers, connect-and-leave). Good clients must always be served;
 * hostile requests never get an answer from the daemon; afterwards the proxy's file descriptors and
 * threads are back to where they were.
 */
class SoakIT {
    static final Duration SOAK = Duration.ofSeconds(20);
    static final String RULES = String.join("\n", "GET %API_PREFIX_EVENTS%", "GET %API_PREFIX_CONTAINERS%/json",
            "GET %API_PREFIX_IMAGES%/json");
    static final List<String> GOOD = List.of("/v1.41/_ping", "/v1.41/version", "/v1.41/containers/json?all=1", "/v1.41/images/json");

    static RunningProxy proxy;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        DockerTestbed.get();
        // Short client-side limits so that whatever the hostile clients leave behind is reaped within seconds.
        proxy = RunningProxy.start(new Timeouts(2_000, 1_000, 60_000),
                "-backend-addr", DockerTestbed.DIRECT_DOCKER_HOST, "-frontend-addr", "tcp://127.0.0.1:0",
                "-rules", RULES, "-log-level", "0");
        port = proxy.port(0);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void mixedGoodAndHostileClientsLeaveNothingBehind() throws Exception {
        run(Duration.ofSeconds(3)); // warm-up: pool threads and pooled daemon connections at their working size
        ProcessProbe.Fds before = settledFds();
        int threadsBefore = ProcessProbe.threads();

        Stats stats = run(SOAK);
        System.out.println("[soak] " + stats);
        assertEquals(List.of(), List.copyOf(stats.errors), "good clients not served");
        assertTrue(stats.good.get() > 100, "good requests served: " + stats.good.get());
        assertTrue(stats.hostile.get() > 100, "hostile requests sent: " + stats.hostile.get());

        assertTrue(ProcessProbe.eventually(10_000, () -> ProcessProbe.busyProxyThreads() == 0),
                "proxy threads still busy: " + ProcessProbe.describeProxyThreads());
        ProcessProbe.Fds after = settledFds();
        System.out.println("[soak] fds before " + before + ", after " + after + "; threads before " + threadsBefore
                + ", after " + ProcessProbe.threads());
        assertEquals(before.tcp(), after.tcp(), "TCP sockets left open");
        assertTrue(after.unix() <= before.unix() + 4, "connections to the daemon grew: " + before + " -> " + after);
        assertTrue(after.other() <= before.other() + 3, "other descriptors grew: " + before + " -> " + after);
        assertTrue(ProcessProbe.threads() <= threadsBefore + 8, "threads grew: " + threadsBefore + " -> " + ProcessProbe.threads());
    }

    /** Waits until no client or proxy connection on the frontend port is left, then counts. */
    static ProcessProbe.Fds settledFds() {
        assertTrue(ProcessProbe.eventually(15_000, () -> ProcessProbe.tcpConnectionsOnPort(port) == 0),
                "connections on the proxy port: " + ProcessProbe.tcpConnectionsOnPort(port));
        return ProcessProbe.fds();
    }

    static final class Stats {
        final AtomicLong good = new AtomicLong();
        final AtomicLong streams = new AtomicLong();
        final AtomicLong hostile = new AtomicLong();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

        void error(String what) {
            if (errors.size() < 20) {
                errors.add(what);
            }
        }

        @Override
        public String toString() {
            return good + " good requests, " + streams + " event streams, " + hostile + " hostile requests, "
                    + errors.size() + " errors";
        }
    }

    static Stats run(Duration duration) throws InterruptedException {
        Stats stats = new Stats();
        long end = System.nanoTime() + duration.toNanos();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            workers.add(worker("good-" + i, () -> goodClient(stats, end)));
        }
        workers.add(worker("events", () -> eventStreams(stats, end)));
        for (int i = 0; i < 3; i++) {
            long seed = i;
            workers.add(worker("hostile-" + i, () -> hostileClient(stats, end, new Random(seed))));
        }
        for (Thread t : workers) {
            t.join(duration.toMillis() + 30_000);
        }
        return stats;
    }

    interface Body {
        void run() throws Exception;
    }

    static Thread worker(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "soak-" + name);
        t.start();
        return t;
    }

    /** Keep-alive connections of 20 requests each; every answer must be the daemon's 200. */
    static void goodClient(Stats stats, long end) throws IOException {
        Random random = new Random();
        while (System.nanoTime() < end) {
            try (RawClient c = RawClient.connect(port)) {
                for (int i = 0; i < 20 && System.nanoTime() < end; i++) {
                    String target = GOOD.get(random.nextInt(GOOD.size()));
                    RawClient.Response r = c.send("GET " + target + " HTTP/1.1\r\nHost: docker\r\n\r\n").read(Duration.ofSeconds(10));
                    if (r == null || r.status() != 200 || r.header("Api-Version") == null) {
                        stats.error(target + " -> " + r);
                        return;
                    }
                    stats.good.incrementAndGet();
                }
            }
        }
    }

    /** Event streams, each dropped by the client after a second (the proxy must release the daemon side). */
    static void eventStreams(Stats stats, long end) throws IOException {
        while (System.nanoTime() < end) {
            try (RawClient c = RawClient.connect(port)) {
                String since = String.valueOf(Instant.now().minusSeconds(60).getEpochSecond());
                RawClient.Response head = c.send("GET /v1.41/events?since=" + since + " HTTP/1.1\r\nHost: docker\r\n\r\n")
                        .readHead(Duration.ofSeconds(10));
                if (head == null || head.status() != 200) {
                    stats.error("events -> " + head);
                    return;
                }
                stats.streams.incrementAndGet();
                sleep(1_000);
            }
        }
    }

    /** The attack suite's requests, garbage, half-sent requests, trickles and empty connections. */
    static void hostileClient(Stats stats, long end, Random random) {
        List<HostileRequestsTest.Case> cases = HostileRequestsTest.CASES;
        while (System.nanoTime() < end) {
            int kind = random.nextInt(10);
            try (RawClient c = RawClient.connect(port)) {
                stats.hostile.incrementAndGet();
                switch (kind) {
                    case 0 -> { /* connect and leave */ }
                    case 1 -> {
                        byte[] garbage = new byte[1 + random.nextInt(2_000)];
                        random.nextBytes(garbage);
                        c.send(garbage);
                        c.closedWithin(Duration.ofMillis(200));
                    }
                    case 2 -> c.send("POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 100\r\n\r\n{\"Ima");
                    case 3 -> {
                        for (byte b : "GET /v1.41/_ping HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII)) {
                            c.send(new byte[] {b});
                            sleep(20);
                        }
                    }
                    default -> {
                        HostileRequestsTest.Case hostile = cases.get(random.nextInt(cases.size()));
                        c.send(hostile.request());
                        RawClient.Response r = c.read(Duration.ofSeconds(5));
                        // Only the cases the suite expects the daemon to answer may come back from it (the
                        // daemon's answers carry Api-Version, the proxy's own do not).
                        if (r != null && r.header("Api-Version") != null && hostile.daemonSees().isEmpty()) {
                            stats.error("hostile request answered by the daemon: " + hostile.name());
                        }
                    }
                }
            } catch (IOException e) {
                // The proxy closing or resetting a hostile connection is fine.
            }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
