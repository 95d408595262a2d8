package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The container policy against the real daemon, driven by the docker CLI: each field refused as
 * configured (the CLI prints which and why, and nothing is created), and the same commands without
 * the dangerous part allowed.
 */
class ContainerPolicyIT {
    static final String RULES = String.join("\n",
            "GET,HEAD,POST,PUT,DELETE %API_PREFIX_CONTAINERS%(/.*)?",
            "GET,HEAD,POST %API_PREFIX_EXEC%(/.*)?",
            "GET,HEAD,POST,DELETE %API_PREFIX_VOLUMES%(/.*)?",
            "GET %API_PREFIX_IMAGES%(/.*)?");

    static DockerTestbed testbed;
    static RunningProxy proxy;
    static String host;
    static Path allowedDir;

    @BeforeAll
    static void start() throws Exception {
        testbed = DockerTestbed.get();
        allowedDir = Files.createTempDirectory("cg-policy-allowed");
        proxy = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-rules", RULES, "-log-level", "3",
                "-policy", "deny-privileged\ndeny-host-namespaces\nrestrict-caps\nallow-cap NET_BIND_SERVICE",
                "-policy", "deny-devices", "-policy", "deny-unsafe-security-opts",
                "-policy", "allow-bind " + allowedDir, "-policy", "deny-volumes-from", "-policy", "deny-sysctls",
                "-policy", "deny-cgroup-parent", "-policy", "deny-root-exec",
                "-policy", "force-label org.cetusguard.test=forced",
                "-policy", "restrict-images", "-policy", "allow-image cetusguard-test/.*");
        host = proxy.dockerHost(0);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    static String name() {
        return "cg-pol-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Stream<Arguments> refusedRunOptions() {
        return Stream.of(
                Arguments.of(List.of("--privileged"), "Privileged"),
                Arguments.of(List.of("--pid", "host"), "PidMode"),
                Arguments.of(List.of("--ipc", "host"), "IpcMode"),
                Arguments.of(List.of("--uts", "host"), "UTSMode"),
                Arguments.of(List.of("--userns", "host"), "UsernsMode"),
                Arguments.of(List.of("--cap-add", "SYS_ADMIN"), "CapAdd"),
                Arguments.of(List.of("--cap-add", "ALL"), "CapAdd"),
                Arguments.of(List.of("--device", "/dev/null"), "Devices"),
                Arguments.of(List.of("--device-cgroup-rule", "c 1:3 rwm"), "DeviceCgroupRules"),
                Arguments.of(List.of("--security-opt", "seccomp=unconfined"), "SecurityOpt"),
                Arguments.of(List.of("--security-opt", "apparmor=unconfined"), "SecurityOpt"),
                Arguments.of(List.of("--security-opt", "no-new-privileges=false"), "SecurityOpt"),
                Arguments.of(List.of("-v", "/:/host"), "Binds"),
                Arguments.of(List.of("-v", "/etc:/etc2:ro"), "Binds"),
                Arguments.of(List.of("--mount", "type=bind,src=/etc,dst=/x"), "Mounts"),
                Arguments.of(List.of("--sysctl", "kernel.msgmax=65536"), "Sysctls"),
                Arguments.of(List.of("--cgroup-parent", "/escape"), "CgroupParent"),
                Arguments.of(List.of("--volumes-from", "anything"), "VolumesFrom"));
    }

    @ParameterizedTest
    @MethodSource("refusedRunOptions")
    void dangerousRunOptionsAreRefusedNamingTheField(List<String> options, String field) {
        String c = name();
        List<String> args = new ArrayList<>(List.of("run", "--rm", "--name", c, "--network", "none"));
        args.addAll(options);
        args.addAll(List.of(testbed.image(), "true"));
        CliResult run = testbed.docker(host, args.toArray(new String[0]));
        assertFalse(run.ok(), run::toString);
        assertTrue(run.stderr().contains(field), run::toString);
        CliResult exists = testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "container", "inspect", c);
        assertFalse(exists.ok(), "nothing was created for a refused request");
    }

    @Test
    void harmlessOptionsPassAndLabelsAreForced() throws Exception {
        String c = name();
        Files.writeString(allowedDir.resolve("hello.txt"), "from the host\n");
        try {
            CliResult run = testbed.docker(host, "run", "--name", c, "--network", "none", "--cap-add", "NET_BIND_SERVICE",
                    "-v", allowedDir + ":/data:ro", testbed.image(), "cat", "/data/hello.txt");
            assertEquals("from the host\n", run.requireOk().stdoutText());
            CliResult label = testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f",
                    "{{index .Config.Labels \"org.cetusguard.test\"}}", c).requireOk();
            assertEquals("forced\n", label.stdoutText());
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", c);
        }
    }

    @Test
    void imagesOutsideTheAllowListAreRefused() {
        CliResult run = testbed.docker(host, "run", "--rm", "--network", "none", "registry.example:5000/other/image:1", "true");
        assertFalse(run.ok());
        assertTrue(run.stderr().contains("Image"), run::toString);
    }

    @Test
    void execAsRootIsRefusedAndAsAnotherUserAllowed() {
        String c = name();
        testbed.docker(host, "run", "-d", "--name", c, "--network", "none", testbed.image(), "sleep", "60").requireOk();
        try {
            CliResult root = testbed.docker(host, "exec", c, "id", "-u");
            assertFalse(root.ok());
            assertTrue(root.stderr().contains("User"), root::toString);
            CliResult explicitRoot = testbed.docker(host, "exec", "-u", "0", c, "id", "-u");
            assertFalse(explicitRoot.ok(), explicitRoot::toString);
            CliResult privileged = testbed.docker(host, "exec", "--privileged", "-u", "1000", c, "id", "-u");
            assertTrue(privileged.stderr().contains("Privileged"), privileged::toString);
            assertEquals("1000\n", testbed.docker(host, "exec", "-u", "1000", c, "id", "-u").requireOk().stdoutText());
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", c);
        }
    }

    @Test
    void localBindVolumesOnlyUnderAllowedPaths() {
        String refused = name();
        CliResult etc = testbed.docker(host, "volume", "create", "--opt", "type=none", "--opt", "o=bind",
                "--opt", "device=/etc", refused);
        assertFalse(etc.ok(), etc::toString);
        assertFalse(testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "volume", "inspect", refused).ok());
        String allowed = name();
        try {
            testbed.docker(host, "volume", "create", "--opt", "type=none", "--opt", "o=bind",
                    "--opt", "device=" + allowedDir, allowed).requireOk();
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "volume", "rm", "-f", allowed);
        }
    }

    @Test
    void duplicateKeysCannotHideAField() throws Exception {
        String body = "{\"Image\":\"" + testbed.image() + "\",\"HostConfig\":{\"Privileged\":false,\"privileged\":true}}";
        String response = org.cetusguard.testbed.RawClient.exchangeUntilClose(proxy.port(0),
                "POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body, java.time.Duration.ofSeconds(2));
        assertTrue(response.startsWith("HTTP/1.1 400"), response);
        assertTrue(response.contains("differ only in case"), response);
    }

    @Test
    void anUpgradeHeaderDoesNotBypassThePolicy() throws Exception {
        String body = "{\"Image\":\"" + testbed.image() + "\",\"HostConfig\":{\"Privileged\":true}}";
        String response = org.cetusguard.testbed.RawClient.exchangeUntilClose(proxy.port(0),
                "POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body, java.time.Duration.ofSeconds(2));
        assertTrue(response.startsWith("HTTP/1.1 403"), response);
        assertTrue(response.contains("Privileged"), response);
    }
}
