package org.cetusguard.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.cetusguard.rules.RuleException;
import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.RunningProxy;
import org.cetusguard.testbed.TestCerts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One proxy, several trust tiers: the client's identity picks its rules and policy. */
class ClientProfilesIT {
    static DockerTestbed testbed;
    static Path examples;

    @BeforeAll
    static void daemon() {
        testbed = DockerTestbed.get();
        examples = Path.of(System.getProperty("user.dir"), "conf", "examples");
    }

    @Test
    void theDeploymentGuidesThreeTiersOnOneProxy(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("management.sock");
        Path profiles = dir.resolve("profiles.conf");
        Files.writeString(profiles, String.join("\n",
                "[profile management]",
                "match listener unix://" + socket,
                "rules-file " + examples.resolve("management.rules"),
                "policy deny-privileged",
                "",
                "[profile monitoring]",
                "match source 127.0.0.2",
                "rules-file " + examples.resolve("monitoring.rules"),
                "policy deny-root-exec",
                ""));
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-frontend-addr", "unix://" + socket,
                "-profiles-file", profiles.toString(), "-rules-file", examples.resolve("display-only.rules").toString())) {
            String management = "unix://" + socket;
            String display = proxy.dockerHost(0);
            int port = proxy.port(0);

            // Management (Portainer on its own socket): runs containers, but not privileged ones.
            assertEquals("hi\n", testbed.docker(management, "run", "--rm", "--network", "none", testbed.image(), "echo", "hi")
                    .requireOk().stdoutText());
            CliResult privileged = testbed.docker(management, "run", "--rm", "--privileged", "--network", "none", testbed.image(), "true");
            assertTrue(privileged.stderr().contains("Privileged"), privileged::toString);

            // Display only (everyone else): lists, never creates.
            testbed.docker(display, "ps").requireOk();
            CliResult run = testbed.docker(display, "run", "--rm", "--network", "none", testbed.image(), "true");
            assertTrue(run.stderr().contains("forbidden by CetusGuard: POST"), run::toString);

            // Monitoring (a fixed source address): may create an exec, which display may not.
            String exec = "POST /v1.41/containers/none/exec HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
            assertTrue(send(InetAddress.getByName("127.0.0.2"), port, exec).startsWith("HTTP/1.1 403"),
                    "deny-root-exec refuses an exec without a user");
            String asUser = "{\"User\":\"1000\",\"Cmd\":[\"true\"]}";
            String execAsUser = "POST /v1.41/containers/cg-none-such/exec HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + asUser.length() + "\r\nConnection: close\r\n\r\n" + asUser;
            assertTrue(send(InetAddress.getByName("127.0.0.2"), port, execAsUser).startsWith("HTTP/1.1 404"),
                    "monitoring's exec reaches the daemon (which has no such container)");
            assertTrue(send(InetAddress.getByName("127.0.0.1"), port, execAsUser).startsWith("HTTP/1.1 403"),
                    "display may not create execs");
        }
    }

    @Test
    void verifiedCertificateSubjectSelectsTheProfile(@TempDir Path dir) throws Exception {
        TestCerts certs = TestCerts.shared();
        Path profiles = dir.resolve("profiles.conf");
        Files.writeString(profiles, "[profile portainer]\nmatch cert-subject CN=cetusguard-test-client\nrule GET %API_PREFIX_CONTAINERS%/json\n");
        Path other = otherClient(certs, dir.resolve("other"));
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-profiles-file", profiles.toString(),
                "-frontend-tls-cacert", certs.caCert().toString(), "-frontend-tls-cert", certs.serverCert().toString(),
                "-frontend-tls-key", certs.serverKey().toString())) {
            String host = "tcp://localhost:" + proxy.port(0);
            Map<String, String> portainer = Map.of("DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", certs.dockerCertPath().toString());
            testbed.docker(host, portainer, null, Duration.ofSeconds(30), "ps").requireOk();
            Map<String, String> someoneElse = Map.of("DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", other.toString());
            testbed.docker(host, someoneElse, null, Duration.ofSeconds(30), "version").requireOk();
            CliResult ps = testbed.docker(host, someoneElse, null, Duration.ofSeconds(30), "ps");
            assertTrue(ps.stderr().contains("forbidden by CetusGuard"), ps::toString);
        }
    }

    @Test
    void unixPeerCredentialsSelectTheProfile(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("uid.sock");
        Path profiles = dir.resolve("profiles.conf");
        Files.writeString(profiles, String.join("\n",
                "[profile someone]", "match unix-uid 4242", "rule GET %API_PREFIX_IMAGES%/json", "",
                "[profile root]", "match unix-uid 0", "rule GET %API_PREFIX_CONTAINERS%/json", ""));
        try (RunningProxy proxy = RunningProxy.start("-frontend-addr", "unix://" + socket, "-profiles-file", profiles.toString())) {
            testbed.docker("unix://" + socket, "ps").requireOk();
            CliResult images = testbed.docker("unix://" + socket, "images");
            assertTrue(images.stderr().contains("forbidden by CetusGuard"), images::toString);
        }
    }

    @Test
    void aProfileForAnUnknownListenerStopsStartup(@TempDir Path dir) throws Exception {
        Path profiles = dir.resolve("profiles.conf");
        Files.writeString(profiles, "[profile x]\nmatch listener tcp://:9999\nrule GET /x\n");
        // Refused where the profiles are loaded, as on every reload (ReloadValidationIT).
        RuleException e = assertThrows(RuleException.class,
                () -> RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-profiles-file", profiles.toString()));
        assertTrue(e.getMessage().contains("tcp://:9999"), e.getMessage());
    }

    /** A second client certificate from the same (trusted) CA, with another subject. */
    static Path otherClient(TestCerts certs, Path dir) throws Exception {
        Files.createDirectories(dir);
        run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=someone-else", "-keyout", "key.pem", "-out", "req.pem");
        Files.writeString(dir.resolve("ext.cnf"), "extendedKeyUsage = clientAuth\n");
        run(dir, "openssl", "x509", "-req", "-in", "req.pem", "-CA", certs.caCert().toString(), "-CAkey", certs.caKey().toString(),
                "-CAcreateserial", "-CAserial", dir.resolve("ca.srl").toString(), "-days", "2", "-extfile", "ext.cnf", "-out", "cert.pem");
        Files.copy(certs.caCert(), dir.resolve("ca.pem"));
        return dir;
    }

    static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
    }

    /** One request from a chosen local address (all of 127/8 is loopback on Linux). */
    static String send(InetAddress from, int port, String request) throws Exception {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            socket.setSoTimeout(10000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
