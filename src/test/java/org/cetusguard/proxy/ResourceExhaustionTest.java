package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.cetusguard.server.Timeouts;
import org.cetusguard.testbed.FakeDaemon;
import org.cetusguard.testbed.ProcessProbe;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Clients that try to starve the proxy (loopback, bounded): headers trickled byte by byte, bodies that
 * stall, a flood of connections. Each must cost no thread while it waits, end within the configured
 * time limits, and not keep a well-behaved client from being served at the same time. The proxy runs
 * with short limits (2 s idle, 1 s for request headers) so the test takes seconds.
 */
class ResourceExhaustionTest {
    static final Timeouts SHORT = new Timeouts(2_000, 1_000, 5_000);
    static final String PING = "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
    static final Duration READ = Duration.ofSeconds(5);

    static Path dir;
    static FakeDaemon daemon;
    RunningProxy proxy;

    @BeforeAll
    static void startDaemon() throws IOException {
        Assumptions.assumeTrue(ProcessProbe.available(), "needs /proc");
        dir = Files.createTempDirectory(Path.of("/tmp"), "cg-exhaust");
        daemon = FakeDaemon.start(dir.resolve("daemon.sock"));
    }

    @AfterAll
    static void stopDaemon() throws IOException {
        if (daemon != null) {
            daemon.close();
            Files.deleteIfExists(dir);
        }
    }

    @BeforeEach
    void clear() {
        daemon.mode(FakeDaemon.Mode.ANSWER);
        daemon.clear();
    }

    @AfterEach
    void stopProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    RunningProxy start(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("-backend-addr", daemon.address(), "-frontend-addr", "tcp://127.0.0.1:0",
                "-rules", "POST %API_PREFIX_CONTAINERS%/create", "-log-level", "2"));
        args.addAll(List.of(extra));
        proxy = RunningProxy.start(SHORT, args.toArray(new String[0]));
        // Warm up: the pool has its threads, the backend its connection, before anything is counted.
        for (int i = 0; i < 3; i++) {
            assertGoodClientServed(proxy.port(0), 2_000);
        }
        return proxy;
    }

    static void assertGoodClientServed(int port, long withinMs) throws IOException {
        long start = System.nanoTime();
        try (RawClient c = RawClient.connect(port)) {
            RawClient.Response r = c.send(PING).read(Duration.ofMillis(withinMs));
            assertNotNull(r, "no answer to a good client");
            assertEquals(200, r.status(), "a good client: " + r);
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs <= withinMs, "a good client waited " + tookMs + " ms");
    }

    /** Proxy pool threads that are running something rather than waiting for work. */
    static void assertNoThreadHeld(String when) {
        // A sample can catch a thread in the middle of a short task; a held thread stays busy.
        boolean idle = ProcessProbe.eventually(5_000, () -> ProcessProbe.busyProxyThreads() == 0);
        assertTrue(idle, "proxy threads busy " + when + ": " + ProcessProbe.busyProxyThreads() + ProcessProbe.describeProxyThreads());
    }

    @Test
    void headersTrickledByteByByteTimeOutWithoutHoldingThreads() throws Exception {
        int port = start().port(0);
        byte[] head = "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
        // A byte every 100 ms each (beats the idle timeout, not the deadline), and how many each has sent.
        // Only the trickler touches these sockets while it runs (a reader blocked on one would stall it).
        Map<RawClient, Integer> fast = new ConcurrentHashMap<>();
        Set<RawClient> cut = ConcurrentHashMap.newKeySet(); // answered or closed by the proxy
        List<RawClient> stalled = new ArrayList<>(); // a few bytes, then nothing: the idle timeout
        long tricklingUntil = System.currentTimeMillis() + 6_000;
        Thread trickler = new Thread(() -> {
            while (System.currentTimeMillis() < tricklingUntil && (fast.size() < 40 || cut.size() < fast.size())) {
                fast.replaceAll((c, sent) -> {
                    if (cut.contains(c)) {
                        return sent;
                    }
                    try {
                        // Once the proxy has answered, stop: more bytes to a closed socket make it reset
                        // the connection, and a reset can destroy the answer before the client reads it.
                        if (c.hasInput()) {
                            cut.add(c);
                            return sent;
                        }
                        c.send(new byte[] {head[Math.min(sent, head.length - 1)]});
                        return sent + 1;
                    } catch (IOException closed) {
                        cut.add(c);
                        return sent;
                    }
                });
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "trickler");
        trickler.start();
        for (int i = 0; i < 40; i++) {
            fast.put(RawClient.connect(port), 0);
            stalled.add(RawClient.connect(port).send("GET /v1.41/_pi"));
        }
        try {
            // Meanwhile a good client is served, again and again, promptly.
            for (int i = 0; i < 5; i++) {
                assertGoodClientServed(port, 1_000);
                Thread.sleep(150);
            }
            assertNoThreadHeld("while 80 slow clients are connected");
            assertTrue(ProcessProbe.proxyThreads() <= 64 + 2, "threads: " + ProcessProbe.proxyThreads());

            // The trickling ones are cut once the headers deadline (1 s) passes, although none ever paused
            // for more than 100 ms: without the deadline they would stay for as long as they trickle. (The
            // proxy answers 408, but a client that keeps sending makes the close a reset that can destroy
            // the 408 before it is read; slowHeadersGet408 checks the answer itself.) The stalled ones are
            // cut by the idle timeout (2 s).
            trickler.join();
            assertEquals(fast.size(), cut.size(), "trickling clients still connected after 6 s");
            for (RawClient c : stalled) {
                assertTrue(c.closedWithin(READ), "a stalled client was not cut");
            }
        } finally {
            trickler.join();
            fast.keySet().forEach(RawClient::close);
            stalled.forEach(RawClient::close);
        }
        assertGoodClientServed(port, 1_000);
        assertEquals(List.of(), daemon.problems());
        assertTrue(daemon.received().stream().allMatch(r -> r.line().equals("GET /v1.41/_ping")), daemon.received().toString());
    }

    @Test
    void slowHeadersGet408() throws Exception {
        int port = start().port(0);
        byte[] head = PING.getBytes(StandardCharsets.US_ASCII);
        try (RawClient c = RawClient.connect(port)) {
            long start = System.nanoTime();
            // A byte every 100 ms, up to just past the 1 s deadline; then silence, so nothing more is in
            // flight when the proxy answers and closes.
            for (int i = 0; (System.nanoTime() - start) / 1_000_000 < 1_150; i++) {
                c.send(new byte[] {head[i]});
                Thread.sleep(100);
            }
            RawClient.Response r = c.read(READ);
            assertNotNull(r, "closed without an answer");
            assertEquals(408, r.status(), r.toString());
            assertTrue(r.bodyText().contains("request headers not received in time"), r.toString());
            assertTrue(c.closedWithin(READ));
        }
        assertEquals(List.of("GET /v1.41/_ping", "GET /v1.41/_ping", "GET /v1.41/_ping"),
                daemon.received().stream().map(FakeDaemon.Received::line).toList(), "only the warm-up pings");
    }

    @Test
    void bodiesThatStallTimeOutWithoutHoldingThreads() throws Exception {
        int port = start().port(0);
        daemon.clear();
        List<RawClient> stalled = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            stalled.add(RawClient.connect(port).send("POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"Image\":"));
        }
        try {
            assertGoodClientServed(port, 1_000);
            assertNoThreadHeld("while 80 request bodies stall");
            assertTrue(ProcessProbe.proxyThreads() <= 64 + 2, "threads: " + ProcessProbe.proxyThreads());
            // The idle timeout (2 s) applies while a body is owed: 408, and the connection is closed.
            for (RawClient c : stalled) {
                RawClient.Response r = c.read(READ);
                assertNotNull(r, "a stalled body got no answer");
                // 408 when the idle timeout finds the proxy waiting to read; when it finds no read pending
                // Jetty closes the input and the proxy sees the body end early: 400. Either way, in time.
                assertTrue(r.status() == 408 || r.status() == 400, r.toString());
                assertTrue(c.closedWithin(READ));
            }
        } finally {
            stalled.forEach(RawClient::close);
        }
        // The daemon saw those requests begin (a body is streamed as it comes) but never end: none complete.
        assertTrue(ProcessProbe.eventually(10_000, () -> daemon.incomplete() == 80), "abandoned at the daemon: " + daemon.incomplete());
        assertTrue(daemon.received().stream().allMatch(r -> r.line().equals("GET /v1.41/_ping")), daemon.received().toString());
        assertEquals(List.of(), daemon.problems());
    }

    @Test
    void aBodyThatTurnsMalformedAfterItsFirstBytesIsAbandonedAtTheDaemon() throws Exception {
        int port = start().port(0);
        daemon.clear();
        try (RawClient c = RawClient.connect(port)) {
            c.send("POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n");
            assertTrue(ProcessProbe.eventually(10_000, () -> daemon.chunksRead() == 1), "the first chunk reaches the daemon at once");
            c.send("zz\r\n}\r\n0\r\n\r\n");
            RawClient.Response r = c.read(READ);
            assertEquals(400, r.status(), r.toString());
            assertTrue(c.closedWithin(READ));
        }
        assertTrue(ProcessProbe.eventually(10_000, () -> daemon.incomplete() == 1), "abandoned: " + daemon.incomplete());
        assertEquals(List.of(), daemon.received());
        assertGoodClientServed(port, 1_000);
    }

    /**
     * Past -max-connections the proxy stops accepting: further connections wait in the kernel's accept
     * queue instead of each costing buffers and a selector entry. Idle ones within the limit are reaped by
     * the idle timeout, so a flood of idle connections delays a good client by about that timeout, not
     * for ever. (With selector-based accepting, Jetty closed the listening socket when the limit was
     * reached and cleared quickly: this test caught it.)
     */
    @Test
    void aConnectionFloodHitsTheLimitNotTheMemory() throws Exception {
        int port = start("-max-connections", "16").port(0);
        List<RawClient> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                flood.add(RawClient.connect(port)); // the kernel completes the handshake; the proxy may not accept
            }
            // Over two idle-timeout cycles the proxy never holds more than the limit.
            long end = System.currentTimeMillis() + 3_000;
            int most = 0;
            while (System.currentTimeMillis() < end) {
                most = Math.max(most, acceptedBy(port));
                Thread.sleep(20);
            }
            assertTrue(most <= 16, "the proxy held " + most + " connections over a limit of 16");
            assertNoThreadHeld("during the flood");
        } finally {
            flood.forEach(RawClient::close);
        }
        assertGoodClientServed(port, 1_000);
        // Until the proxy has closed its side of every flood connection, those still count.
        assertTrue(ProcessProbe.eventually(10_000, () -> socketsOf(port, false) == 0), "sockets left: " + socketsOf(port, false));

        // Exactly the limit in idle connections, then a good client: it waits until they are reaped (2 s).
        List<RawClient> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                idle.add(RawClient.connect(port));
            }
            assertTrue(ProcessProbe.eventually(5_000, () -> acceptedBy(port) == 16), "held: " + acceptedBy(port));
            long start = System.nanoTime();
            assertGoodClientServed(port, 6_000);
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= 400, "served after " + waitedMs + " ms while the limit was reached: no limit?");
        } finally {
            idle.forEach(RawClient::close);
        }
    }

    /**
     * The limit reached and cleared over and over, as fast as clients can connect and leave: the proxy
     * must keep listening. (With selector-based accepting Jetty 12.1 closed its listening socket here.)
     */
    @Test
    void theLimitFlappingDoesNotCloseTheListener() throws Exception {
        int port = start("-max-connections", "2").port(0);
        long end = System.currentTimeMillis() + 3_000;
        int rounds = 0;
        while (System.currentTimeMillis() < end) {
            RawClient a = RawClient.connect(port);
            RawClient b = RawClient.connect(port);
            a.close();
            b.close();
            rounds++;
        }
        assertGoodClientServed(port, 2_000);
        assertTrue(rounds > 20, "only " + rounds + " rounds");
    }

    /** Connections on the proxy's port that the proxy has accepted (an fd of its own). */
    static int acceptedBy(int port) {
        return socketsOf(port, true);
    }

    /** Server-side sockets on the proxy's port with an fd: established ones only, or in any state but LISTEN. */
    static int socketsOf(int port, boolean establishedOnly) {
        String hex = String.format(":%04X", port);
        int n = 0;
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) { // Java may use IPv6 sockets for 127.0.0.1
            try {
                for (String line : Files.readAllLines(Path.of(file))) {
                    String[] f = line.trim().split("\\s+");
                    // local address, state 01 = ESTABLISHED, inode 0 = still in the kernel's backlog
                    boolean state = establishedOnly ? f.length > 3 && f[3].equals("01") : f.length > 3 && !f[3].equals("0A");
                    if (f.length > 9 && f[1].endsWith(hex) && state && !f[9].equals("0")) {
                        n++;
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return n;
    }
}
