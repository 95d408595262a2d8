package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real docker CLI, through the proxy over TCP, against the real daemon: every everyday command
 * of a CI agent or management tool, with rules that allow exactly what those commands call.
 */
class DockerCliThroughProxyIT {
    /** What a CI agent needs: containers, exec, images, build, events; no volumes or networks changed. */
    static final String CI_AGENT_RULES = String.join("\n",
            "GET %API_PREFIX_EVENTS%",
            "GET,HEAD,POST,PUT,DELETE %API_PREFIX_CONTAINERS%(/.*)?",
            "GET,HEAD,POST %API_PREFIX_EXEC%(/.*)?",
            "GET,HEAD,POST,DELETE %API_PREFIX_IMAGES%(/.*)?",
            "POST %API_PREFIX_BUILD%",
            "GET,HEAD %API_PREFIX_VOLUMES%(/.*)?",
            "GET,HEAD %API_PREFIX_NETWORKS%(/.*)?",
            "GET %API_PREFIX_SYSTEM%/df");

    static DockerTestbed testbed;
    static RunningProxy proxy;
    static String host;

    @BeforeAll
    static void start() throws Exception {
        testbed = DockerTestbed.get();
        proxy = RunningProxy.start("-backend-addr", DockerTestbed.DIRECT_DOCKER_HOST,
                "-frontend-addr", "tcp://127.0.0.1:0", "-rules", CI_AGENT_RULES, "-log-level", "3");
        host = proxy.dockerHost(0);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    static String name(String prefix) {
        return "cg-it-" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    CliResult docker(String... args) {
        return testbed.docker(host, args);
    }

    @Test
    void versionShowsTheDaemon() {
        CliResult result = docker("version", "--format", "{{.Server.Version}}").requireOk();
        String direct = testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "version", "--format", "{{.Server.Version}}")
                .requireOk().stdoutText();
        assertEquals(direct.trim(), result.stdoutText().trim());
    }

    @Test
    void runPrintsOutputAndKeepsExitCode() {
        CliResult hello = docker("run", "--rm", "--network", "none", testbed.image(), "echo", "hello").requireOk();
        assertEquals("hello\n", hello.stdoutText());
        CliResult failing = docker("run", "--rm", "--network", "none", testbed.image(), "sh", "-c", "exit 7");
        assertEquals(7, failing.exitCode(), failing::toString);
    }

    @Test
    void psAndInspectSeeARunningContainer() {
        String c = name("ps");
        docker("run", "-d", "--name", c, "--network", "none", testbed.image(), "sleep", "60").requireOk();
        try {
            assertTrue(docker("ps", "--format", "{{.Names}}").requireOk().stdoutText().contains(c));
            assertEquals("true\n", docker("inspect", "-f", "{{.State.Running}}", c).requireOk().stdoutText());
        } finally {
            docker("rm", "-f", c);
        }
    }

    @Test
    void logsAndFollowedLogsArriveWhole() {
        String c = name("logs");
        docker("run", "-d", "--name", c, "--network", "none", testbed.image(),
                "sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 0.2; done").requireOk();
        try {
            // Follow from the start: the stream ends when the container exits, with every line in it.
            CliResult followed = testbed.docker(host, Map.of(), null, Duration.ofSeconds(30), "logs", "-f", c).requireOk();
            assertEquals("line 1\nline 2\nline 3\nline 4\nline 5\n", followed.stdoutText());
            assertEquals(followed.stdoutText(), docker("logs", c).requireOk().stdoutText());
        } finally {
            docker("rm", "-f", c);
        }
    }

    @Test
    void eventsStreamShowsContainerLifecycle() {
        Instant since = Instant.now().minusSeconds(1);
        String c = name("events");
        docker("run", "--rm", "--name", c, "--network", "none", testbed.image(), "true").requireOk();
        CliResult events = docker("events", "--since", String.valueOf(since.getEpochSecond()),
                "--until", String.valueOf(Instant.now().getEpochSecond() + 1),
                "--filter", "container=" + c, "--format", "{{.Action}}").requireOk();
        assertTrue(events.stdoutText().contains("start"), events::toString);
        assertTrue(events.stdoutText().contains("die"), events::toString);
    }

    @Test
    void statsOfARunningContainer() {
        String c = name("stats");
        docker("run", "-d", "--name", c, "--network", "none", testbed.image(), "sleep", "60").requireOk();
        try {
            CliResult stats = docker("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", c).requireOk();
            assertEquals(c + " 1\n", stats.stdoutText());
        } finally {
            docker("rm", "-f", c);
        }
    }

    @Test
    void copyBothWays(@TempDir Path dir) throws Exception {
        String c = name("cp");
        docker("run", "-d", "--name", c, "--network", "none", testbed.image(), "sleep", "60").requireOk();
        try {
            byte[] payload = new byte[3 * 1024 * 1024 + 17];
            new Random(42).nextBytes(payload);
            Path in = dir.resolve("in.bin");
            Files.write(in, payload);
            docker("cp", in.toString(), c + ":/tmp/in.bin").requireOk();
            assertEquals(payload.length + "\n",
                    docker("exec", c, "sh", "-c", "wc -c < /tmp/in.bin").requireOk().stdoutText().trim() + "\n");
            Path out = dir.resolve("out.bin");
            docker("cp", c + ":/tmp/in.bin", out.toString()).requireOk();
            assertArrayEquals(payload, Files.readAllBytes(out));
        } finally {
            docker("rm", "-f", c);
        }
    }

    @Test
    void exportStreamsTheFilesystem(@TempDir Path dir) throws Exception {
        String c = name("export");
        docker("create", "--name", c, "--network", "none", testbed.image(), "true").requireOk();
        try {
            Path tar = dir.resolve("fs.tar");
            docker("export", "-o", tar.toString(), c).requireOk();
            Path direct = dir.resolve("direct.tar");
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "export", "-o", direct.toString(), c).requireOk();
            assertEquals(Files.size(direct), Files.size(tar));
            assertTrue(Files.size(tar) > 1_000_000, "a busybox root file system is larger than 1 MB");
        } finally {
            docker("rm", "-f", c);
        }
    }

    @Test
    void saveAndLoadAnImage(@TempDir Path dir) throws Exception {
        String tag = "cetusguard-test/saved:" + name("tag").substring(6);
        testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "tag", testbed.image(), tag).requireOk();
        try {
            Path tar = dir.resolve("image.tar");
            docker("save", "-o", tar.toString(), tag).requireOk();
            assertTrue(Files.size(tar) > 1_000_000);
            docker("rmi", tag).requireOk();
            assertFalse(docker("image", "inspect", tag).ok());
            CliResult load = docker("load", "-i", tar.toString()).requireOk();
            assertTrue(load.stdoutText().contains(tag), load::toString);
            docker("image", "inspect", tag).requireOk();
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rmi", "-f", tag);
        }
    }

    @Test
    void classicBuildWithALargeContext(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("Dockerfile"), "FROM " + testbed.image() + "\n"
                + "COPY blob /blob\nRUN wc -c < /blob > /size\nCMD cat /size\n");
        byte[] blob = new byte[8 * 1024 * 1024];
        new Random(7).nextBytes(blob);
        Files.write(dir.resolve("blob"), blob);
        String tag = "cetusguard-test/built:" + name("b").substring(6);
        try {
            testbed.docker(host, Map.of("DOCKER_BUILDKIT", "0"), null, Duration.ofSeconds(120),
                    "build", "--network", "none", "-t", tag, dir.toString()).requireOk();
            CliResult run = docker("run", "--rm", "--network", "none", tag).requireOk();
            assertEquals(String.valueOf(blob.length), run.stdoutText().trim());
        } finally {
            testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rmi", "-f", tag);
        }
    }

    @Test
    void deniedOperationsFailInTheCliWithTheReason() {
        // Networks are read-only for this client.
        CliResult create = docker("network", "create", "--internal", name("net"));
        assertFalse(create.ok(), create::toString);
        assertTrue(create.stderr().contains("forbidden by CetusGuard: POST"), create::toString);
        CliResult volume = docker("volume", "create", name("vol"));
        assertFalse(volume.ok());
        assertTrue(volume.stderr().contains("forbidden by CetusGuard"), volume::toString);
    }

    @Test
    void daemonErrorsReachTheClientUnchanged() {
        CliResult proxied = docker("container", "inspect", "cg-it-no-such-container");
        CliResult direct = testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "container", "inspect", "cg-it-no-such-container");
        assertEquals(direct.exitCode(), proxied.exitCode());
        assertTrue(proxied.stderr().contains("No such"), proxied::toString);
        assertEquals(direct.stderr(), proxied.stderr());
    }

    @Test
    void pipedStdinEndsTheSession() {
        CliResult lines = testbed.docker(host, Map.of(), "a\nb\n".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30),
                "run", "-i", "--rm", "--network", "none", testbed.image(), "wc", "-l").requireOk();
        assertEquals("2", lines.stdoutText().trim());
    }
}
