package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.cetusguard.server.Timeouts;
import org.cetusguard.testbed.FakeDaemon;
import org.cetusguard.testbed.ProcessProbe;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A daemon that misbehaves behind the proxy (a fake one, so each failure is exact and repeatable): it
 * never answers, answers late, streams quietly, or closes in the middle of an answer. The proxy runs
 * with short limits (1 s client idle, 1.5 s for the daemon's response headers) to show which limit
 * applies where: the response-headers timeout cuts a daemon that never answers, and nothing cuts a
 * stream whose headers have come, however quiet.
 */
class DaemonMisbehaviourTest {
    static final Timeouts SHORT = new Timeouts(1_000, 1_000, 1_500);
    static final String RULES = String.join("\n", "GET %API_PREFIX_EVENTS%", "GET,POST %API_PREFIX_CONTAINERS%(/.*)?");
    static final String PING = "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
    static final Duration READ = Duration.ofSeconds(5);

    static Path dir;
    static FakeDaemon daemon;
    static RunningProxy proxy;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "cg-daemonfail");
        daemon = FakeDaemon.start(dir.resolve("daemon.sock"));
        proxy = RunningProxy.start(SHORT, "-backend-addr", daemon.address(), "-frontend-addr", "tcp://127.0.0.1:0",
                "-rules", RULES, "-log-level", "0");
        port = proxy.port(0);
    }

    @AfterAll
    static void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (daemon != null) {
            daemon.close();
            Files.deleteIfExists(dir);
        }
    }

    @BeforeEach
    void answerNormally() {
        daemon.mode(FakeDaemon.Mode.ANSWER);
        daemon.clear();
    }

    static void assertServedAgain() throws IOException {
        try (RawClient c = RawClient.connect(port)) {
            RawClient.Response r = c.send(PING).read(READ);
            assertNotNull(r);
            assertEquals(200, r.status(), r.toString());
            assertTrue(r.fromDaemon());
        }
    }

    @Test
    void aDaemonThatNeverAnswersGets504() throws Exception {
        daemon.mode(FakeDaemon.Mode.HANG);
        long start = System.nanoTime();
        try (RawClient c = RawClient.connect(port)) {
            RawClient.Response r = c.send("GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n").read(READ);
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(504, r.status(), r.toString());
            assertTrue(r.bodyText().contains("did not answer in time"), r.toString());
            assertTrue(tookMs >= 1_400 && tookMs < 4_000, "answered after " + tookMs + " ms");
        }
        // The abandoned exchange's connection to the daemon is closed, not left to pile up.
        assertTrue(ProcessProbe.eventually(10_000, () -> daemon.openConnections() == 0), "open: " + daemon.openConnections());
        daemon.mode(FakeDaemon.Mode.ANSWER);
        assertServedAgain();
    }

    @Test
    void aDaemonThatNeverAnswersAnAttachGets504() throws Exception {
        daemon.mode(FakeDaemon.Mode.HANG);
        try (RawClient c = RawClient.connect(port)) {
            RawClient.Response r = c.send("POST /v1.41/containers/abc/attach?stream=1 HTTP/1.1\r\nHost: docker\r\n"
                    + "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n").read(READ);
            assertEquals(504, r.status(), r.toString());
        }
        daemon.mode(FakeDaemon.Mode.ANSWER);
        assertServedAgain();
    }

    @Test
    void aSlowAnswerWithinTheTimeoutIsServed() throws Exception {
        daemon.mode(FakeDaemon.Mode.DELAY);
        daemon.delayMs(800);
        try (RawClient c = RawClient.connect(port)) {
            RawClient.Response r = c.send("POST /v1.41/containers/abc/stop?t=1 HTTP/1.1\r\nHost: docker\r\n"
                    + "Content-Length: 0\r\n\r\n").read(READ);
            assertEquals(200, r.status(), r.toString());
        }
    }

    /**
     * Headers at once, then a line every 2.5 s: longer than the client idle timeout (1 s) and the
     * response-headers timeout (1.5 s). `/events`, `logs -f` and `wait` look like this.
     */
    @Test
    void aQuietStreamOutlivesEveryTimeout() throws Exception {
        daemon.mode(FakeDaemon.Mode.QUIET_STREAM);
        daemon.delayMs(2_500);
        for (String target : new String[] {"/v1.41/events", "/v1.41/containers/abc/logs?follow=1&stdout=1"}) {
            try (RawClient c = RawClient.connect(port)) {
                RawClient.Response head = c.send("GET " + target + " HTTP/1.1\r\nHost: docker\r\n\r\n").readHead(READ);
                assertEquals(200, head.status(), head.toString());
                assertArrayEquals("{\"event\":0}\n".getBytes(StandardCharsets.US_ASCII), c.readChunk(READ), target);
                assertArrayEquals("{\"event\":1}\n".getBytes(StandardCharsets.US_ASCII), c.readChunk(READ), target);
            }
        }
        daemon.mode(FakeDaemon.Mode.ANSWER);
        assertServedAgain();
    }

    @Test
    void aDaemonClosingInsideALengthDelimitedAnswerGivesATruncatedResponse() throws Exception {
        daemon.mode(FakeDaemon.Mode.TRUNCATE_LENGTH);
        try (RawClient c = RawClient.connect(port)) {
            RawClient.Response r = c.send("GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n").read(READ);
            assertNotNull(r);
            // Either the proxy had not committed yet (502), or the client sees fewer bytes than announced:
            // never a complete-looking answer.
            if (r.status() == 200) {
                assertTrue(!r.complete(), "a cut answer looked complete: " + r);
            } else {
                assertEquals(502, r.status(), r.toString());
            }
            assertTrue(c.closedWithin(READ));
        }
        daemon.mode(FakeDaemon.Mode.ANSWER);
        assertServedAgain();
    }

    @Test
    void aDaemonClosingInsideAStreamEndsItWithoutTheLastChunk() throws Exception {
        daemon.mode(FakeDaemon.Mode.TRUNCATE_CHUNKED);
        try (RawClient c = RawClient.connect(port)) {
            RawClient.Response head = c.send("GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n").readHead(READ);
            assertEquals(200, head.status());
            assertArrayEquals("line1\n".getBytes(StandardCharsets.US_ASCII), c.readChunk(READ));
            // No terminating zero-length chunk: the client can tell a cut stream from a finished one.
            assertThrows(EOFException.class, () -> c.readChunk(READ));
        }
        daemon.mode(FakeDaemon.Mode.ANSWER);
        assertServedAgain();
    }

    /**
     * A client that leaves a quiet stream (a closed browser tab of a log viewer, a restarted event
     * listener): the proxy notices at once and releases the daemon's connection, instead of at the
     * stream's next line, which on a quiet host may be hours away.
     */
    @Test
    void aClientLeavingAQuietStreamReleasesTheDaemonConnectionAtOnce() throws Exception {
        daemon.mode(FakeDaemon.Mode.QUIET_STREAM);
        daemon.delayMs(30_000);
        for (int i = 0; i < 10; i++) {
            try (RawClient c = RawClient.connect(port)) {
                assertEquals(200, c.send("GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n").readHead(READ).status());
            }
        }
        assertTrue(ProcessProbe.eventually(10_000, () -> daemon.openConnections() == 0),
                "daemon connections still open for streams nobody reads: " + daemon.openConnections());
        daemon.mode(FakeDaemon.Mode.ANSWER);
        assertServedAgain();
    }

    /** A stream that ends on its own leaves the connection usable: the watch hands it back to HTTP. */
    @Test
    void aStreamThatEndsLeavesTheConnectionUsable() throws Exception {
        daemon.mode(FakeDaemon.Mode.SHORT_STREAM);
        try (RawClient c = RawClient.connect(port)) {
            for (int round = 0; round < 3; round++) {
                c.send("GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n");
                assertEquals(200, c.readHead(READ).status());
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(("{\"event\":" + i + "}\n").getBytes(StandardCharsets.US_ASCII), c.readChunk(READ));
                }
                assertEquals(null, c.readChunk(READ), "the stream's last chunk");
            }
            daemon.mode(FakeDaemon.Mode.ANSWER);
            RawClient.Response r = c.send(PING).read(READ);
            assertEquals(200, r.status(), r.toString());
        }
    }

    /**
     * A client that sends its next request while a stream is still relayed (pipelining) is a healthy
     * client, not one that left: the stream goes on to its end, and the next request is then read whole
     * (its first byte, taken by the disconnect watch, handed back) and answered on the same connection.
     */
    @Test
    void aRequestPipelinedDuringAStreamIsAnsweredAfterIt() throws Exception {
        daemon.mode(FakeDaemon.Mode.SHORT_STREAM);
        int receivedBefore = daemon.received().size();
        try (RawClient c = RawClient.connect(port)) {
            assertEquals(200, c.send("GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n").readHead(READ).status());
            assertArrayEquals("{\"event\":0}\n".getBytes(StandardCharsets.US_ASCII), c.readChunk(READ));
            c.send(PING);
            daemon.mode(FakeDaemon.Mode.ANSWER);
            assertArrayEquals("{\"event\":1}\n".getBytes(StandardCharsets.US_ASCII), c.readChunk(READ));
            assertArrayEquals("{\"event\":2}\n".getBytes(StandardCharsets.US_ASCII), c.readChunk(READ));
            assertEquals(null, c.readChunk(READ), "the stream's last chunk");
            RawClient.Response r = c.read(READ);
            assertNotNull(r, "no answer to the pipelined request");
            assertEquals(200, r.status(), r.toString());
            assertTrue(r.fromDaemon(), r.toString());
        }
        List<String> lines = daemon.received().stream().skip(receivedBefore).map(FakeDaemon.Received::line).toList();
        assertEquals(List.of("GET /v1.41/events", "GET /v1.41/_ping"), lines);
    }

    /**
     * Keep-alive clients of chunked answers (container list and inspect are chunked) under load: the
     * disconnect watch wakes up on readiness the HTTP connection already consumed, and on the client's
     * next request; neither is a disconnect, and no healthy exchange may be aborted.
     */
    @Test
    void keepAliveChunkedAnswersAreNeverAborted() throws Exception {
        daemon.mode(FakeDaemon.Mode.CHUNKED);
        int clients = 8;
        int requests = 300;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
        try {
            List<java.util.concurrent.Future<String>> results = new java.util.ArrayList<>();
            for (int i = 0; i < clients; i++) {
                results.add(pool.submit(() -> {
                    try (RawClient c = RawClient.connect(port)) {
                        for (int n = 0; n < requests; n++) {
                            RawClient.Response r = c.send("GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n").read(READ);
                            if (r == null || r.status() != 200 || !r.bodyText().startsWith("{\"fake\"")) {
                                return "request " + n + ": " + r;
                            }
                        }
                    }
                    return "ok";
                }));
            }
            for (java.util.concurrent.Future<String> result : results) {
                assertEquals("ok", result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A client that gives up on a daemon that does not answer: the proxy reads nothing from the client
     * while it waits, so it notices the close only when the response-headers timeout fires, and then
     * releases the daemon's connection too.
     */
    @Test
    void aClientGivingUpIsReleasedByTheHeadersTimeoutAtTheLatest() throws Exception {
        daemon.mode(FakeDaemon.Mode.HANG);
        int before = daemon.openConnections();
        int receivedBefore = daemon.received().size();
        try (RawClient c = RawClient.connect(port)) {
            c.send("GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
            // Generous: on a loaded CI machine the first request of a fresh proxy can take seconds.
            assertTrue(ProcessProbe.eventually(10_000, () -> daemon.received().size() > receivedBefore), "request not at the daemon");
        }
        assertTrue(ProcessProbe.eventually(6_000, () -> daemon.openConnections() <= before),
                "the daemon connection outlived the client by more than the headers timeout");
        daemon.mode(FakeDaemon.Mode.ANSWER);
        assertServedAgain();
    }
}
