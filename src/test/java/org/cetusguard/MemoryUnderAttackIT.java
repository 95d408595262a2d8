package org.cetusguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.RawClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, findings 1 and 2, as the issue reproduced them: the start script's JVM with a 16 MiB heap
 * (what it picks under a 64 MiB container) and its 16 MiB direct-memory cap, in front of the real
 * daemon. No request, and no crowd of stalled clients, may take the proxy down or keep it from
 * answering others.
 */
@Timeout(180)
class MemoryUnderAttackIT {
    static final Map<String, String> SMALL_HEAP = Map.of("JAVA_OPTS", "-Xmx16m");
    static final Duration START = Duration.ofSeconds(30);
    static final Duration ANSWER = Duration.ofSeconds(30);

    ScriptProcess proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    int start(String... args) {
        DockerTestbed testbed = DockerTestbed.get();
        int port = ScriptProcess.freeLoopbackPort();
        List<String> all = new ArrayList<>(List.of("-backend-addr", "unix://" + testbed.socket(),
                "-frontend-addr", "tcp://127.0.0.1:" + port, "-log-level", "3"));
        all.addAll(List.of(args));
        proxy = ScriptProcess.start(SMALL_HEAP, all.toArray(new String[0]));
        proxy.awaitTcp(port, START);
        return port;
    }

    /** {"User":"1000","Cmd":[0,0,...]} of exactly {@code size} bytes (odd sizes only). */
    static byte[] execBody(int size) {
        String head = "{\"User\":\"1000\",\"Cmd\":[";
        int zeros = (size - head.length() - 1) / 2;
        StringBuilder body = new StringBuilder(size).append(head);
        for (int i = 0; i < zeros; i++) {
            body.append(i == 0 ? "0" : ",0");
        }
        body.append("]}");
        assertEquals(size, body.length());
        return body.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static RawClient.Response post(int port, String path, byte[] body) throws IOException {
        try (RawClient client = RawClient.connect(port)) {
            client.send("POST " + path + " HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n");
            client.send(body);
            return client.read(ANSWER);
        }
    }

    void assertPingAnswers(int port) throws IOException {
        try (RawClient client = RawClient.connect(port)) {
            RawClient.Response ping = client.send("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n").read(ANSWER);
            assertNotNull(ping, () -> "no answer to /_ping: " + proxy.describe());
            assertEquals(200, ping.status(), ping::toString);
        }
        assertTrue(proxy.isAlive(), proxy::describe);
    }

    /** A refusal in the daemon's error shape, not a dropped connection. */
    static void assertRefused(RawClient.Response response) {
        assertNotNull(response, "no answer");
        assertTrue(Set.of(400, 413, 503).contains(response.status()), response::toString);
        assertTrue(response.bodyText().contains("\"message\""), response::toString);
    }

    @Test
    void oneHugeExecBodyAndEightParallelLargeOnesAreRefusedAndTheProxyStays() throws Exception {
        int port = start("-rules", "POST %API_PREFIX_CONTAINERS%/[^/]+/exec", "-policy", "deny-root-exec");

        assertRefused(post(port, "/v1.41/containers/x/exec", execBody(1_048_559)));
        assertPingAnswers(port);

        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            List<Future<RawClient.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(clients.submit(() -> post(port, "/v1.41/containers/x/exec", execBody(256 * 1024 + 1))));
            }
            for (Future<RawClient.Response> answer : answers) {
                assertRefused(answer.get());
            }
        } finally {
            clients.shutdownNow();
        }
        assertPingAnswers(port);

        // And an ordinary body is still judged and forwarded: the daemon itself answers that there is no such container.
        RawClient.Response ordinary = post(port, "/v1.41/containers/cg-no-such-" + System.nanoTime() + "/exec",
                "{\"User\":\"1000\",\"Cmd\":[\"true\"]}".getBytes(StandardCharsets.US_ASCII));
        assertNotNull(ordinary);
        assertEquals(404, ordinary.status(), ordinary::toString);
    }

    @Test
    void aThousandStalledRefusedUpgradesLeavePingAnswering() throws Exception {
        int port = start();
        List<RawClient> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                RawClient client = RawClient.connect(port);
                stalled.add(client);
                // Refused by the built-in rules; one of the two body bytes announced, then nothing.
                client.send("POST /v1.41/containers/x" + i + "/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: docker\r\n"
                        + "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2\r\n\r\nA");
            }
            assertPingAnswers(port);
        } finally {
            stalled.forEach(RawClient::close);
        }
        assertPingAnswers(port);
    }
}
