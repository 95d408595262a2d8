package org.cetusguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.cetusguard.testbed.TestCerts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of frontend (TCP, Unix, TLS with client certificates) with the real docker CLI. */
class FrontendsIT {
    static final String RULES = "GET,HEAD,POST,DELETE %API_PREFIX_CONTAINERS%(/.*)?\nGET,POST %API_PREFIX_EXEC%(/.*)?\nGET %API_PREFIX_IMAGES%/.*";

    static DockerTestbed testbed;

    @BeforeAll
    static void daemon() {
        testbed = DockerTestbed.get();
    }

    /** The interactive path and a plain request, which every frontend must carry. */
    static void assertServes(String dockerHost, Map<String, String> env) {
        CliResult run = testbed.docker(dockerHost, env, "one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(30), "run", "-i", "--rm", "--network", "none", testbed.image(), "wc", "-l").requireOk();
        assertEquals("3", run.stdoutText().trim());
        testbed.docker(dockerHost, env, null, Duration.ofSeconds(30), "ps").requireOk();
    }

    @Test
    void tcpFrontend() throws Exception {
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-rules", RULES)) {
            assertServes(proxy.dockerHost(0), Map.of());
        }
    }

    @Test
    void unixFrontendIsCreatedPrivateAndRemovedOnStop(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("cetusguard.sock");
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "unix://" + socket, "-rules", RULES)) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertServes("unix://" + socket, Map.of());
        }
        assertFalse(Files.exists(socket), "the socket file is removed on shutdown");
    }

    @Test
    void staleUnixSocketIsReplacedButALiveOneIsNot(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("stale.sock");
        // A socket file nobody listens on, as a crash leaves it.
        try (var channel = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            channel.bind(java.net.UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket));
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "unix://" + socket, "-rules", RULES)) {
            testbed.docker("unix://" + socket, "ps").requireOk();
            StartupException refused = org.junit.jupiter.api.Assertions.assertThrows(StartupException.class,
                    () -> RunningProxy.start("-frontend-addr", "unix://" + socket));
            assertTrue(refused.getMessage().contains("another process is listening"), refused.getMessage());
            testbed.docker("unix://" + socket, "ps").requireOk();
        }
    }

    @Test
    void severalFrontendsAtOnce(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("multi.sock");
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0",
                "-frontend-addr", "unix://" + socket, "-rules", RULES)) {
            assertEquals(2, proxy.listeningOn().size());
            testbed.docker(proxy.dockerHost(0), "ps").requireOk();
            testbed.docker("unix://" + socket, "ps").requireOk();
        }
    }

    @Test
    void tlsFrontendRequiresATrustedClientCertificate() throws Exception {
        TestCerts certs = TestCerts.shared();
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-rules", RULES,
                "-frontend-tls-cacert", certs.caCert().toString(),
                "-frontend-tls-cert", certs.serverCert().toString(),
                "-frontend-tls-key", certs.serverKey().toString())) {
            String host = "tcp://localhost:" + proxy.port(0);
            Map<String, String> trusted = Map.of("DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", certs.dockerCertPath().toString());
            assertServes(host, trusted);

            Map<String, String> untrusted = Map.of("DOCKER_TLS_VERIFY", "1",
                    "DOCKER_CERT_PATH", certs.untrustedDockerCertPath().toString());
            CliResult refused = testbed.docker(host, untrusted, null, Duration.ofSeconds(30), "ps");
            assertFalse(refused.ok(), refused::toString);

            assertPlainHttpGetsATlsAlert(proxy.port(0));
        }
    }

    @Test
    void tlsFrontendWithoutClientCertificatesAndAPkcs1Key() throws Exception {
        TestCerts certs = TestCerts.shared();
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-rules", RULES,
                "-frontend-tls-cert", certs.serverCert().toString(),
                "-frontend-tls-key", certs.serverKeyPkcs1().toString())) {
            Map<String, String> env = Map.of("DOCKER_TLS", "1", "DOCKER_CERT_PATH", certs.dockerCertPath().toString(),
                    "DOCKER_TLS_VERIFY", "1");
            testbed.docker("tcp://localhost:" + proxy.port(0), env, null, Duration.ofSeconds(30), "ps").requireOk();
        }
    }

    @Test
    void restrictiveRulesOfTheDisplayOnlyTier() throws Exception {
        // The deployment guide's "Low Trust (Display Only)" tier.
        String rules = "GET,HEAD %API_PREFIX_CONTAINERS%(/.*)?\nGET,HEAD %API_PREFIX_IMAGES%(/.*)?";
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-rules", rules)) {
            String host = proxy.dockerHost(0);
            testbed.docker(host, "ps", "-a").requireOk();
            testbed.docker(host, "images").requireOk();
            CliResult run = testbed.docker(host, "run", "--rm", "--network", "none", testbed.image(), "true");
            assertFalse(run.ok());
            assertTrue(run.stderr().contains("forbidden by CetusGuard: POST"), run::toString);
            CliResult rm = testbed.docker(host, "rm", "-f", "cg-does-not-matter");
            assertTrue(rm.stderr().contains("forbidden by CetusGuard: DELETE"), rm::toString);
        }
    }

    @Test
    void deadDaemonGets502AndTheProxyRecoversWhenItReturns(@TempDir Path dir) throws Exception {
        Path backend = dir.resolve("docker.sock");
        try (RunningProxy proxy = RunningProxy.start("-backend-addr", "unix://" + backend,
                "-frontend-addr", "tcp://127.0.0.1:0", "-rules", RULES)) {
            String host = proxy.dockerHost(0);
            CliResult down = testbed.docker(host, "ps");
            assertFalse(down.ok());
            assertTrue(down.stderr().contains("cannot reach the Docker daemon"), down::toString);
            assertEquals(502, rawStatus(proxy.port(0), "GET /v1.41/containers/json HTTP/1.1\r\nHost: x\r\n\r\n"));
            // The daemon "comes back" at the configured path.
            Files.createSymbolicLink(backend, testbed.socket());
            testbed.docker(host, "ps").requireOk();
        }
    }

    @Test
    void ambiguousPathsAre400AndForbiddenOnes403() throws Exception {
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-rules", "GET /v1.41/containers/json")) {
            int port = proxy.port(0);
            assertEquals(200, rawStatus(port, "GET /v1.41/containers/json HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(200, rawStatus(port, "GET /v1.41/images/../containers/json HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(400, rawStatus(port, "GET /v1.41/containers%2fjson HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(400, rawStatus(port, "GET /v1.41/containers/%2e%2e/containers/json HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(400, rawStatus(port, "GET /v1.41//containers/json HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(400, rawStatus(port, "GET /v1.41/containers/json;x=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(403, rawStatus(port, "GET /v1.41/images/json HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(403, rawStatus(port, "POST /v1.41/containers/json HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
            String body = rawResponse(port, "DELETE /v1.41/containers/x HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(body.contains("{\"message\":\"forbidden by CetusGuard: DELETE /v1.41/containers/x\"}"), body);
        }
    }

    @Test
    void aRefusedRequestsBodyIsReadSoTheAnswerArrivesAndTheConnectionStays() throws Exception {
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-rules", "GET /v1.41/containers/json");
             Socket socket = new Socket("127.0.0.1", proxy.port(0))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            String body = "{\"Name\":\"x\"}";
            // Headers first, the body a moment later: what the docker CLI does for `volume create`.
            out.write(("POST /v1.41/volumes/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread.sleep(300);
            out.write(body.getBytes(StandardCharsets.ISO_8859_1));
            out.write("GET /v1.41/containers/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answers.startsWith("HTTP/1.1 403"), answers);
            assertTrue(answers.contains("forbidden by CetusGuard: POST /v1.41/volumes/create"), answers);
            assertTrue(answers.contains("HTTP/1.1 200"), "the connection served the next request: " + answers);
        }
    }

    static int rawStatus(int port, String request) throws Exception {
        String response = rawResponse(port, request);
        return Integer.parseInt(response.substring(9, 12));
    }

    /** One request on a fresh connection; the response is read until the connection closes or 2 s pass. */
    static String rawResponse(int port, String request) throws Exception {
        return RawClient.exchangeUntilClose(port, request, Duration.ofSeconds(2));
    }

    /** What the README promises: a TLS alert record (content type 21, version 3.x), never an HTTP answer. */
    static void assertPlainHttpGetsATlsAlert(int port) throws Exception {
        String response = rawResponse(port, "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n");
        assertFalse(response.contains("HTTP/1."), "plain HTTP must not be served on a TLS frontend: " + response);
        assertTrue(response.length() >= 7 && response.charAt(0) == 21 && response.charAt(1) == 3,
                "expected a TLS alert record, got " + response.chars().limit(16).mapToObj(Integer::toHexString).toList());
    }
}
