package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, findings 3 to 6, against the real daemon with the docker CLI as the client: each way a
 * container reached the host through a policy that looked complete. Every test starts the proxy it
 * needs, so each finding stands on its own.
 */
class HostAccessIT {
    static final String RULES = String.join("\n",
            "GET,HEAD,POST,DELETE %API_PREFIX_CONTAINERS%(/.*)?",
            "GET %API_PREFIX_IMAGES%(/.*)?");
    /** What conf/examples/watchtower.rules recommended before deny-host-access existed. */
    static final String OLD_RECOMMENDATION = "deny-privileged\ndeny-host-namespaces\nrestrict-binds\ndeny-devices";

    static DockerTestbed testbed;
    final List<String> containers = new ArrayList<>();
    RunningProxy proxy;

    @BeforeAll
    static void daemon() {
        testbed = DockerTestbed.get();
    }

    @AfterEach
    void cleanUp() {
        for (String c : containers) {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", c);
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    String start(String... policy) throws Exception {
        List<String> args = new ArrayList<>(List.of("-frontend-addr", "tcp://127.0.0.1:0", "-rules", RULES, "-log-level", "3"));
        for (String setting : policy) {
            args.addAll(List.of("-policy", setting));
        }
        proxy = RunningProxy.start(args.toArray(new String[0]));
        return proxy.dockerHost(0);
    }

    String name() {
        String c = "cg-host-" + UUID.randomUUID().toString().substring(0, 8);
        containers.add(c);
        return c;
    }

    CliResult run(String host, String... args) {
        List<String> all = new ArrayList<>(List.of("run", "--rm", "--name", name(), "--network", "none"));
        all.addAll(List.of(args));
        return testbed.docker(host, all.toArray(new String[0]));
    }

    void assertRefused(CliResult result, String field) {
        assertFalse(result.ok(), result::toString);
        assertTrue(result.stderr().contains(field), result::toString);
    }

    RawClient.Response create(String body) throws Exception {
        return create(name(), body);
    }

    RawClient.Response create(String container, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (RawClient client = RawClient.connect(proxy.port(0))) {
            client.send("POST /v1.41/containers/create?name=" + container + " HTTP/1.1\r\nHost: docker\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n");
            client.send(bytes);
            RawClient.Response response = client.read(Duration.ofSeconds(30));
            assertNotNull(response);
            return response;
        }
    }

    String cgroupnsMode(String container) {
        return testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f", "{{.HostConfig.CgroupnsMode}}", container)
                .requireOk().stdoutText().strip();
    }

    String imageId() {
        return testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "image", "inspect", "-f", "{{.Id}}", testbed.image())
                .requireOk().stdoutText().strip();
    }

    /** Finding 3: container A plants a link to / in an allowed directory, container B binds the link. */
    @Test
    void aSymlinkBelowAnAllowedDirectoryDoesNotReachTheHost() throws Exception {
        Path dir = Files.createTempDirectory("cg-bind-escape");
        try {
            String host = start(OLD_RECOMMENDATION, "allow-bind " + dir);
            run(host, "-v", dir + ":/d", testbed.image(), "ln", "-s", "/", "/d/esc").requireOk();
            assertTrue(Files.isSymbolicLink(dir.resolve("esc")), "the container could plant the link");

            assertRefused(run(host, "-v", dir + "/esc:/host:ro", testbed.image(), "cat", "/host/etc/hostname"), "Binds");
            assertRefused(run(host, "--mount", "type=bind,src=" + dir + "/esc/etc,dst=/host,readonly", testbed.image(), "true"),
                    "Mounts");
            // The allowed directory itself still binds.
            run(host, "-v", dir + ":/d:ro", testbed.image(), "test", "-L", "/d/esc").requireOk();
        } finally {
            Files.deleteIfExists(dir.resolve("esc")); // the link itself, never what it points to
            Files.deleteIfExists(dir);
        }
    }

    /** Finding 4: an image-ID prefix is judged by the image the daemon would run, not by its text. */
    @Test
    void anImageIdPrefixIsJudgedByTheImageItNames() throws Exception {
        String id = imageId();
        String prefix = id.substring("sha256:".length(), "sha256:".length() + 12);

        String host = start("allow-image %IMAGE_COMPONENT%");
        assertRefused(testbed.docker(host, "create", "--name", name(), "--network", "none", prefix, "true"), "Image");
        for (String spelling : List.of(prefix, id, id.substring("sha256:".length()))) {
            RawClient.Response refused = create("{\"Image\":\"" + spelling + "\",\"HostConfig\":{\"NetworkMode\":\"none\"}}");
            assertEquals(403, refused.status(), spelling + ": " + refused);
        }
        proxy.close();

        // The same prefix is fine where the image's own name is allowed.
        host = start("allow-image cetusguard-test/busybox");
        testbed.docker(host, "create", "--name", name(), "--network", "none", prefix, "true").requireOk();
        RawClient.Response byDigest = create("{\"Image\":\"" + id + "\",\"HostConfig\":{\"NetworkMode\":\"none\"}}");
        assertEquals(201, byDigest.status(), byDigest::toString);
        // An image the daemon does not have is judged by its normalised name: library/busybox is not allowed.
        RawClient.Response unknown = create("{\"Image\":\"busybox\",\"HostConfig\":{\"NetworkMode\":\"none\"}}");
        assertEquals(403, unknown.status(), unknown::toString);
    }

    /** Finding 5: one setting covers what the old recommendation forgot (capabilities, here). */
    @Test
    void denyHostAccessRefusesCapabilitiesBeyondTheDefaultsAndTheRest() throws Exception {
        String host = start("deny-host-access");
        assertRefused(run(host, "--cap-add", "DAC_READ_SEARCH", testbed.image(), "true"), "CapAdd");
        assertRefused(run(host, "--privileged", testbed.image(), "true"), "Privileged");
        assertRefused(run(host, "--pid", "host", testbed.image(), "true"), "PidMode");
        assertRefused(run(host, "-v", "/etc:/x:ro", testbed.image(), "true"), "Binds");
        assertRefused(run(host, "--device", "/dev/null", testbed.image(), "true"), "Devices");
        assertRefused(run(host, "--security-opt", "seccomp=unconfined", testbed.image(), "true"), "SecurityOpt");
        assertRefused(run(host, "--sysctl", "net.ipv4.ip_forward=1", testbed.image(), "true"), "Sysctls");
        assertRefused(run(host, "--runtime", "io.containerd.runc.v2", testbed.image(), "true"), "Runtime");
        // A capability Docker grants anyway is no escape, and ordinary containers run.
        assertEquals("ok\n", run(host, "--cap-add", "NET_BIND_SERVICE", testbed.image(), "echo", "ok").requireOk().stdoutText());
    }

    /** Finding 6: on a cgroup v1 daemon the default cgroup namespace is the host's. */
    @Test
    void denyHostNamespacesGivesEveryContainerAPrivateCgroupNamespace() throws Exception {
        String host = start("deny-host-namespaces");
        String c = name();
        testbed.docker(host, "create", "--name", c, "--network", "none", testbed.image(), "true").requireOk();
        assertEquals("private", cgroupnsMode(c));
        assertRefused(run(host, "--cgroupns", "host", testbed.image(), "true"), "CgroupnsMode");
        run(host, "--cgroupns", "private", testbed.image(), "true").requireOk();
        // An empty mode is the daemon's default too: the proxy replaces it.
        String raw = name();
        RawClient.Response empty = create(raw, "{\"Image\":\"" + testbed.image()
                + "\",\"HostConfig\":{\"NetworkMode\":\"none\",\"CgroupnsMode\":\"\"}}");
        assertEquals(201, empty.status(), empty::toString);
        assertEquals("private", cgroupnsMode(raw));
    }
}
