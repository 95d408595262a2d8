package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.cetusguard.config.Address;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.Verdict;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.Profile;
import org.cetusguard.rules.RuleParser;
import org.cetusguard.rules.RuleSet;
import org.cetusguard.testbed.FakeDaemon;
import org.cetusguard.testbed.ProcessProbe;
import org.cetusguard.testbed.RawClient;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The design card: the proxy servlet alone (no handler of ours in front of its context) decides and
 * relays plain requests and policy-checked bodies. In front of the recording fake daemon: a checked
 * body reaches the daemon as exactly the bytes the gate decided on, with their Content-Length; a
 * refused body or request reaches it not at all; and whatever the exchange's end, the memory it
 * leased comes back.
 */
class ServletPathTest {
    static final String RULES = "GET,HEAD %API_PREFIX_PING%\nPOST %API_PREFIX_CONTAINERS%/create";
    static final String PING = "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
    static final String CREATE = "/v1.41/containers/create";
    static final Duration READ = Duration.ofSeconds(5);

    Path dir;
    FakeDaemon daemon;
    Server server;
    MemoryBudget budget;
    int port;

    @BeforeEach
    void startDaemon() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "cg-servlet");
        daemon = FakeDaemon.start(dir.resolve("daemon.sock"));
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        daemon.close();
        Files.deleteIfExists(dir);
    }

    /** The servlet in its context, and nothing else: no core handler could decide or forward anything. */
    void startProxy(long budgetBytes, String... policy) throws Exception {
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        Backend backend = new Backend(Address.parse(daemon.address()), null, server, 2_000);
        server.addBean(backend);
        RuleSet rules = new RuleSet(RuleParser.parse(RULES, "test"));
        RequestGate gate = new RequestGate(ClientProfiles.only(new Profile("default", rules, ContainerPolicy.of(policy), "test")), false);
        budget = new MemoryBudget(budgetBytes);
        ServletContextHandler context = new ServletContextHandler("/", ServletContextHandler.NO_SESSIONS);
        ServletHolder holder = new ServletHolder("cetusguard", new FilteringProxyServlet(gate, backend, budget));
        holder.setInitParameter("preserveHost", "true");
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/*");
        server.setHandler(context);
        server.start();
        port = connector.getLocalPort();
    }

    static String post(String target, String headers, String body) {
        return "POST " + target + " HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n" + headers + "\r\n" + body;
    }

    void assertMemoryReturned() throws InterruptedException {
        long deadline = System.nanoTime() + READ.toNanos();
        while (budget.used() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, budget.used(), "memory leased for the exchange and not returned");
    }

    static void assertServes(RawClient client) throws IOException {
        RawClient.Response ping = client.send(PING).read(READ);
        assertNotNull(ping, "no answer on the same connection");
        assertEquals(200, ping.status(), ping::toString);
    }

    @Test
    void aCheckedBodyReachesTheDaemonAsExactlyTheCheckedBytesWithTheirLength() throws Exception {
        startProxy(4 << 20, "deny-privileged");
        String body = "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{\"Privileged\":false}}";
        try (RawClient client = RawClient.connect(port)) {
            // Chunked, in two parts with a pause: the servlet must hold it whole, then send one exact body.
            client.send(post(CREATE, "Transfer-Encoding: chunked\r\n", Integer.toHexString(20) + "\r\n" + body.substring(0, 20) + "\r\n"));
            // The proxy holds the first part (its lease shows it) and has sent nothing on.
            assertTrue(ProcessProbe.eventually(READ.toMillis(), () -> budget.used() > 0), "the first part is held");
            assertEquals(List.of(), daemon.received(), "nothing goes to the daemon before the body is judged");
            String rest = body.substring(20);
            client.send(Integer.toHexString(rest.length()) + "\r\n" + rest + "\r\n0\r\n\r\n");
            RawClient.Response answer = client.read(READ);
            assertEquals(200, answer.status(), answer::toString);
            assertTrue(answer.fromDaemon());
            assertServes(client);
        }
        FakeDaemon.Received create = daemon.received().get(0);
        assertEquals("POST " + CREATE, create.line());
        assertEquals(String.valueOf(body.length()), create.header("Content-Length"));
        assertNull(create.header("Transfer-Encoding"));
        assertEquals(body, new String(create.body(), StandardCharsets.UTF_8));
        assertEquals(List.of(), daemon.problems());
        assertMemoryReturned();
    }

    @Test
    void aDecidedBodyCarriesTheClientsContentTypeOrNone() throws Exception {
        startProxy(4 << 20, "deny-privileged");
        String body = "{\"Image\":\"busybox\"}";
        try (RawClient client = RawClient.connect(port)) {
            client.send("POST " + CREATE + " HTTP/1.1\r\nHost: docker\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            assertEquals(200, client.read(READ).status());
            client.send(post(CREATE, "Content-Length: " + body.length() + "\r\n", body));
            assertEquals(200, client.read(READ).status());
        }
        List<FakeDaemon.Received> received = daemon.received();
        assertNull(received.get(0).header("Content-Type"), "none of the proxy's own");
        assertEquals("application/json", received.get(1).header("Content-Type"));
    }

    @Test
    void aRewrittenBodyIsSentAsTheGateRewroteIt() throws Exception {
        startProxy(4 << 20, "force-label cg.test=yes");
        String body = "{\"Image\":\"busybox\",\"Labels\":{\"a\":\"b\"}}";
        byte[] expected = ((Verdict.Rewrite) ContainerPolicy.of("force-label cg.test=yes")
                .check("POST", CREATE, body.getBytes(StandardCharsets.UTF_8))).body();
        try (RawClient client = RawClient.connect(port)) {
            RawClient.Response answer = client.send(post(CREATE, "Content-Length: " + body.length() + "\r\n", body)).read(READ);
            assertEquals(200, answer.status(), answer::toString);
        }
        FakeDaemon.Received create = daemon.received().get(0);
        assertArrayEquals(expected, create.body());
        assertEquals(String.valueOf(expected.length), create.header("Content-Length"));
        assertMemoryReturned();
    }

    @Test
    void aRefusedBodyNeverReachesTheDaemon() throws Exception {
        startProxy(4 << 20, "deny-privileged");
        try (RawClient client = RawClient.connect(port)) {
            String privileged = "{\"Image\":\"busybox\",\"HostConfig\":{\"Privileged\":true}}";
            RawClient.Response refused = client.send(post(CREATE, "Content-Length: " + privileged.length() + "\r\n", privileged))
                    .read(READ);
            assertEquals(403, refused.status(), refused::toString);
            assertTrue(refused.bodyText().contains("HostConfig.Privileged"), refused::toString);
            assertServes(client);
            RawClient.Response empty = client.send(post(CREATE, "Content-Length: 0\r\n", "")).read(READ);
            assertEquals(400, empty.status(), empty::toString);
            assertTrue(empty.bodyText().startsWith("{\"message\":"), empty::toString);
        }
        assertEquals(List.of("GET /v1.41/_ping"), daemon.received().stream().map(FakeDaemon.Received::line).toList());
        assertMemoryReturned();
    }

    @Test
    void aRefusedPlainRequestIsAnsweredByTheServlet() throws Exception {
        startProxy(4 << 20);
        try (RawClient client = RawClient.connect(port)) {
            RawClient.Response denied = client.send("GET /v1.41/secrets HTTP/1.1\r\nHost: docker\r\n\r\n").read(READ);
            assertEquals(403, denied.status(), denied::toString);
            assertEquals("{\"message\":\"forbidden by CetusGuard: GET /v1.41/secrets\"}", denied.bodyText().trim());
            // A denied request's small body is read first, so the connection stays usable.
            RawClient.Response withBody = client.send(post("/v1.41/secrets/create", "Content-Length: 5\r\n", "{\"a\":")).read(READ);
            assertEquals(403, withBody.status(), withBody::toString);
            RawClient.Response ambiguous = client.send("GET /v1.41/containers/%2e%2e/secrets HTTP/1.1\r\nHost: docker\r\n\r\n").read(READ);
            assertEquals(400, ambiguous.status(), ambiguous::toString);
            assertServes(client);
        }
        assertEquals(List.of("GET /v1.41/_ping"), daemon.received().stream().map(FakeDaemon.Received::line).toList());
        assertMemoryReturned();
    }

    @Test
    void bodiesTheBudgetCannotHoldAreRefusedAndLeaveNothingBehind() throws Exception {
        // Room for the servlet's read buffer and a little more: a 30 KiB body cannot be held.
        startProxy(24 * 1024, "deny-privileged");
        String large = "{\"Image\":\"" + "a".repeat(30 * 1024) + "\"}";
        try (RawClient client = RawClient.connect(port)) {
            RawClient.Response busy = client.send(post(CREATE, "Content-Length: " + large.length() + "\r\n", large)).read(READ);
            assertEquals(503, busy.status(), busy::toString);
            assertEquals("1", busy.header("Retry-After"));
        }
        assertMemoryReturned();
        server.stop();
        startProxy(4 << 20, "deny-privileged");
        int tooLarge = ContainerPolicy.MAX_BODY_BYTES + 1;
        try (RawClient client = RawClient.connect(port)) {
            client.send(post(CREATE, "Content-Length: " + tooLarge + "\r\n", ""));
            try {
                client.send(new byte[tooLarge]);
            } catch (IOException e) {
                // The proxy answers and closes once the body is past the limit.
            }
            RawClient.Response answer = client.read(READ);
            assertEquals(413, answer.status(), answer::toString);
        }
        assertEquals(List.of(), daemon.received());
        assertMemoryReturned();
    }

    @Test
    void aClientLeavingMidBodyOrADaemonNeverAnsweringReturnsTheMemory() throws Exception {
        startProxy(4 << 20, "deny-privileged");
        try (RawClient client = RawClient.connect(port)) {
            client.send(post(CREATE, "Content-Length: 10000\r\n", "{\"Image\":\"busybox\","));
            assertTrue(ProcessProbe.eventually(READ.toMillis(), () -> budget.used() > 0), "the held body and read buffer are leased");
        }
        assertMemoryReturned();

        daemon.mode(FakeDaemon.Mode.HANG);
        String body = "{\"Image\":\"busybox\"}";
        try (RawClient client = RawClient.connect(port)) {
            RawClient.Response late = client.send(post(CREATE, "Content-Length: " + body.length() + "\r\n", body)).read(READ);
            assertEquals(504, late.status(), late::toString);
        }
        assertMemoryReturned();
        assertEquals(List.of(), daemon.problems());
    }
}
