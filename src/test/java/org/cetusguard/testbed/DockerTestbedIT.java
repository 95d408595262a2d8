package org.cetusguard.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test bed itself: daemon, image, docker CLI runner and TLS material. */
class DockerTestbedIT {

    private static final String DIRECT = DockerTestbed.DIRECT_DOCKER_HOST;

    @Test
    void daemonPings() throws IOException {
        DockerTestbed tb = DockerTestbed.get();
        assertTrue(tb.ping(), "GET /_ping on " + tb.socket());
        assertEquals(200, DockerTestbed.unixHttp(tb.socket(), "GET", "/images/" + tb.image() + "/json",
            Duration.ofSeconds(5)).status(), "image " + tb.image() + " exists");
        assertTrue(Files.isExecutable(Path.of(tb.dockerCli())), tb.dockerCli());
    }

    @Test
    void containerRunsAndPrintsHello() {
        DockerTestbed tb = DockerTestbed.get();
        CliResult r = tb.docker(DIRECT, "run", "--rm", "--network", "none", tb.image(), "echo", "hello");
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("hello\n", r.stdoutText(), r::toString);
    }

    @Test
    void exitCodeOfTheContainerComesBack() {
        DockerTestbed tb = DockerTestbed.get();
        CliResult r = tb.docker(DIRECT, "run", "--rm", "--network", "none", tb.image(), "sh", "-c", "echo oops >&2; exit 3");
        assertEquals(3, r.exitCode(), r::toString);
        assertTrue(r.stderr().contains("oops"), r::toString);
        assertFalse(r.ok());
    }

    @Test
    void stdinReachesTheContainerAndEofEndsIt() throws Exception {
        DockerTestbed tb = DockerTestbed.get();
        byte[] data = new byte[300_000];
        new Random(42).nextBytes(data);
        CliResult r = tb.docker(DIRECT, Map.of(), data, Duration.ofSeconds(60),
            "run", "--rm", "-i", "--network", "none", tb.image(), "md5sum");
        assertEquals(0, r.exitCode(), r::toString);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        assertEquals(expected, r.stdoutText().split("\\s+")[0], r::toString);
    }

    @Test
    void bigOutputIsReadFully() {
        DockerTestbed tb = DockerTestbed.get();
        CliResult r = tb.docker(DIRECT, "run", "--rm", "--network", "none", tb.image(),
            "sh", "-c", "dd if=/dev/zero bs=1000 count=3000 2>/dev/null; echo end >&2");
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals(3_000_000, r.stdout().length, r::toString);
        assertEquals("end\n", r.stderr(), r::toString);
    }

    @Test
    void cliIsKilledOnTimeout() {
        DockerTestbed tb = DockerTestbed.get();
        CliResult r = tb.docker(DIRECT, Map.of(), null, Duration.ofSeconds(2), "events");
        assertTrue(r.timedOut(), r::toString);
        assertEquals(-1, r.exitCode(), r::toString);
        assertTrue(r.elapsed().compareTo(Duration.ofSeconds(20)) < 0, r::toString);
        assertThrows(AssertionError.class, r::requireOk);
    }

    @Test
    void extraEnvReachesTheCli() {
        DockerTestbed tb = DockerTestbed.get();
        // DOCKER_API_VERSION pins the API version the CLI speaks.
        CliResult r = tb.docker(DIRECT, Map.of("DOCKER_API_VERSION", "1.40"), null, Duration.ofSeconds(30),
            "version", "--format", "{{.Client.APIVersion}}");
        assertEquals(0, r.exitCode(), r::toString);
        assertEquals("1.40", r.stdoutText().trim(), r::toString);
    }

    @Test
    void badDockerHostFailsWithoutHanging() {
        DockerTestbed tb = DockerTestbed.get();
        CliResult r = tb.docker("unix:///nonexistent/docker.sock", "version");
        assertNotEquals(0, r.exitCode(), r::toString);
        assertFalse(r.timedOut(), r::toString);
    }

    // ------------------------------------------------------------------------------------------ certs

    @Test
    void certsVerifyWithOpenssl(@TempDir Path dir) throws Exception {
        TestCerts c = TestCerts.create(dir);
        for (Path p : List.of(c.caCert(), c.clientCert(), c.clientKey(), c.serverCert(), c.serverKey(),
            c.serverKeyPkcs1(), c.clientKeyPkcs1(), c.untrustedCaCert(), c.untrustedClientCert(),
            c.untrustedClientKey(), c.untrustedClientKeyPkcs1(), c.untrustedDockerCertPath().resolve("ca.pem"))) {
            assertTrue(Files.isRegularFile(p), p + " exists");
        }
        // DOCKER_CERT_PATH layout.
        assertEquals(c.caCert(), c.dockerCertPath().resolve("ca.pem"));
        assertEquals(c.clientCert(), c.dockerCertPath().resolve("cert.pem"));
        assertEquals(c.clientKey(), c.dockerCertPath().resolve("key.pem"));

        assertEquals(0, openssl(dir, "verify", "-CAfile", "ca.pem", "cert.pem"));
        assertEquals(0, openssl(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "cert.pem"));
        assertEquals(0, openssl(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "server-cert.pem"));
        assertEquals(0, openssl(dir, "verify", "-CAfile", "untrusted-ca.pem", "untrusted/cert.pem"));
        assertNotEquals(0, openssl(dir, "verify", "-CAfile", "ca.pem", "untrusted/cert.pem"),
            "the untrusted client's cert must not verify against the CA");
        assertNotEquals(0, openssl(dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslserver", "cert.pem"),
            "the client cert is not a server cert");

        String san = TestCerts.openssl(dir, "x509", "-in", "server-cert.pem", "-noout", "-text");
        assertTrue(san.contains("DNS:localhost"), san);
        assertTrue(san.contains("IP Address:127.0.0.1"), san);
        assertTrue(san.contains("CN = localhost") || san.contains("CN=localhost"), san);

        // Both key forms hold the same key.
        String pkcs8 = TestCerts.openssl(dir, "pkey", "-in", "server-key.pem", "-pubout");
        String pkcs1 = TestCerts.openssl(dir, "pkey", "-in", "server-key-pkcs1.pem", "-pubout");
        assertEquals(pkcs8, pkcs1);
        assertTrue(Files.readString(c.clientKey()).startsWith("-----BEGIN PRIVATE KEY-----"));
        assertTrue(Files.readString(c.clientKeyPkcs1()).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    }

    @Test
    void certsWorkForJavaTlsWithClientAuth(@TempDir Path dir) throws Exception {
        TestCerts c = TestCerts.create(dir);
        assertEquals("hello over TLS", tlsExchange(c, c.clientKeyStore()));
        ExecutionException e = assertThrows(ExecutionException.class, () -> tlsExchange(c, c.untrustedClientKeyStore()),
            "the server must reject a client cert from the unrelated CA");
        assertInstanceOf(javax.net.ssl.SSLException.class, e.getCause(), e::toString);
    }

    @Test
    void sharedCertsAreMadeOnce() {
        assertTrue(TestCerts.shared() == TestCerts.shared());
        assertTrue(Files.isRegularFile(TestCerts.shared().serverCert()));
    }

    /** Server needs client auth; returns what the client read, or throws ExecutionException(server's failure). */
    private static String tlsExchange(TestCerts c, KeyStore clientKeys) throws Exception {
        SSLContext serverCtx = context(c.serverKeyStore(), c.trustStore());
        SSLContext clientCtx = context(clientKeys, c.trustStore());
        try (SSLServerSocket server = (SSLServerSocket) serverCtx.getServerSocketFactory()
            .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(true);
            server.setSoTimeout(10_000);
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.setSoTimeout(10_000);
                    s.startHandshake();
                    s.getOutputStream().write("hello over TLS".getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            String read = null;
            try (SSLSocket s = (SSLSocket) clientCtx.getSocketFactory().createSocket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 10_000);
                s.setSoTimeout(10_000);
                javax.net.ssl.SSLParameters params = s.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS"); // checks the SAN 127.0.0.1
                s.setSSLParameters(params);
                s.startHandshake();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (InputStream in = s.getInputStream()) {
                    in.transferTo(out);
                }
                read = out.toString(StandardCharsets.UTF_8);
            } catch (IOException clientSide) {
                // With TLS 1.3 the client may only learn of the rejection late; the server's reason is what counts.
                read = null;
            }
            served.get(20, TimeUnit.SECONDS);
            return read;
        }
    }

    private static SSLContext context(KeyStore keys, KeyStore trust) throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, TestCerts.PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static int openssl(Path dir, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(concat("openssl", args)).directory(dir.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        p.getOutputStream().close();
        p.getInputStream().transferTo(System.out);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue();
    }

    private static List<String> concat(String first, String... rest) {
        List<String> l = new java.util.ArrayList<>();
        l.add(first);
        l.addAll(List.of(rest));
        return l;
    }
}
