package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy in front of Podman's API service: the libpod API (the %API_PREFIX_LIBPOD_*% rules) and
 * the Docker-compatible API with the docker CLI. Starts its own rootful {@code podman system
 * service} with its own storage under a temporary directory (nothing of a Podman already on the
 * machine is touched) and imports a static-busybox image into it.
 *
 * <p>Skipped, with the reason, when podman is not installed ({@code apt-get install podman}), when
 * not root, or when there is no static busybox; Podman is optional, so this skips under CI too.
 * examples/podman.sh does the same by hand.
 */
class PodmanThroughProxyIT {
    static final String RULES = String.join("\n",
            "GET %API_PREFIX_LIBPOD_CONTAINERS%/json",
            "GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?");
    static final String IMAGE = "localhost/cetusguard-test/busybox:latest";
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    static Path state;
    static Process service;
    static RunningProxy proxy;
    static String podman;
    static HttpClient http = HttpClient.newHttpClient();
    static String base;

    /** Why the tests cannot run here, or null. */
    static String skipReason;

    @BeforeAll
    static void start() throws Exception {
        // A failed assumption here would abort the class before any test, and the report would say
        // "Tests run: 0" without a reason; each test is skipped instead, with it (see skipUnlessAvailable).
        podman = onPath("podman");
        Path busybox = staticBusybox();
        skipReason = podman == null ? "podman is not installed (Debian: apt-get install podman): skipping the Podman tests"
                : !isRoot() ? "not root: skipping the Podman tests (they run a rootful podman service)"
                : busybox == null ? "no static busybox (apt-get install busybox-static): skipping the Podman tests"
                : null;
        if (skipReason != null) {
            System.err.println("PodmanThroughProxyIT: " + skipReason);
            return;
        }

        state = Files.createTempDirectory("cg-it-podman");
        Path conf = state.resolve("containers.conf");
        // default_ulimits: the sandbox cannot raise rlimits further; no network for containers.
        Files.writeString(conf, "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
                + "netns = \"none\"\n[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n");
        Path socket = state.resolve("podman.sock");
        ProcessBuilder pb = new ProcessBuilder(podmanArgs("system", "service", "--time=0", "unix://" + socket))
                .redirectErrorStream(true).redirectOutput(state.resolve("service.log").toFile());
        pb.environment().put("CONTAINERS_CONF", conf.toString());
        service = pb.start();

        proxy = RunningProxy.start("-backend-addr", "unix://" + socket, "-frontend-addr", "tcp://127.0.0.1:0",
                "-rules", RULES, "-log-level", "3");
        base = "http://127.0.0.1:" + proxy.port(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (status("GET", "/v4.0.0/libpod/_ping") != 200) {
            if (!service.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("podman system service does not answer through the proxy; its log:\n"
                        + Files.readString(state.resolve("service.log")));
            }
            Thread.sleep(200);
        }
        importBusybox(busybox);
    }

    @BeforeEach
    void skipUnlessAvailable() {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (service != null) {
            run(podmanArgs("rm", "-a", "-f"), null);
            run(podmanArgs("rmi", "-a", "-f"), null);
            service.destroy();
            service.waitFor(10, TimeUnit.SECONDS);
            // conmon keeps an exec session's monitor for 5 minutes: end those of this storage.
            String storage = state.resolve("storage").toString();
            ProcessHandle.allProcesses()
                    .filter(p -> p.info().command().orElse("").endsWith("conmon"))
                    .filter(p -> String.join(" ", p.info().arguments().orElse(new String[0])).contains(storage))
                    .forEach(ProcessHandle::destroy);
        }
        if (state != null) {
            try (Stream<Path> paths = Files.walk(state)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void libpodEndpointsFollowTheRules() throws Exception {
        assertEquals(200, status("GET", "/v4.0.0/libpod/_ping"), "built-in %API_PREFIX_LIBPOD_PING%");
        assertEquals(200, status("GET", "/v4.0.0/libpod/info"), "built-in %API_PREFIX_LIBPOD_INFO%");
        assertEquals(200, status("GET", "/v4.0.0/libpod/version"), "built-in %API_PREFIX_LIBPOD_VERSION%");
        assertEquals(200, status("GET", "/v4.0.0/libpod/containers/json"), "rule %API_PREFIX_LIBPOD_CONTAINERS%/json");
        assertEquals(403, status("GET", "/v4.0.0/libpod/images/json"), "no rule for libpod images");
        assertEquals(403, status("DELETE", "/v4.0.0/libpod/containers/x"), "no rule for DELETE");
        assertEquals(403, status("GET", "/libpod/info"), "%API_PREFIX_LIBPOD% needs a version");
    }

    @Test
    void dockerCliAgainstPodmansDockerApi() throws Exception {
        String cli = dockerCli();
        Assumptions.assumeTrue(cli != null, "no docker CLI: skipping the Docker-compatible API test");
        String host = "tcp://127.0.0.1:" + proxy.port(0);
        assertTrue(docker(cli, host, null, "version", "--format", "{{range .Server.Components}}{{.Name}} {{end}}")
                .contains("Podman Engine"));
        docker(cli, host, null, "ps", "-a");
        assertEquals("2", docker(cli, host, "a\nb\n", "run", "--rm", "-i", "--network", "none", IMAGE, "wc", "-l").trim());
        Result denied = run(List.of(cli, "volume", "create", "cg-it-podman-vol"), null, Map.of("DOCKER_HOST", host));
        assertTrue(denied.exit != 0 && denied.output.contains("forbidden by CetusGuard: POST /v"), denied.output);
    }

    // ------------------------------------------------------------------------------------------

    static int status(String method, String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).method(method,
                HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    static List<String> podmanArgs(String... args) {
        List<String> command = new ArrayList<>(List.of(podman, "--root", state.resolve("storage").toString(),
                "--runroot", state.resolve("run").toString()));
        command.addAll(List.of(args));
        return command;
    }

    /** A static busybox with the applets the test uses, imported with `podman import`. */
    static void importBusybox(Path busybox) throws IOException, InterruptedException {
        Path root = Files.createDirectories(state.resolve("rootfs"));
        Path bin = Files.createDirectories(root.resolve("bin"));
        for (String d : List.of("etc", "tmp", "proc", "sys", "dev", "root")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.copy(busybox, bin.resolve("busybox"));
        bin.resolve("busybox").toFile().setExecutable(true, false);
        for (String applet : List.of("sh", "wc", "cat", "echo", "sleep", "true")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
        Path tar = state.resolve("rootfs.tar");
        Result t = run(List.of("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", root.toString(), "-cf",
                tar.toString(), "."), null);
        assertEquals(0, t.exit, t.output);
        Result imported = run(podmanArgs("import", "--change", "CMD [\"/bin/sh\"]", tar.toString(),
                "cetusguard-test/busybox:latest"), null);
        assertEquals(0, imported.exit, imported.output);
    }

    static String docker(String cli, String host, String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(cli));
        command.addAll(List.of(args));
        Result r = run(command, stdin, Map.of("DOCKER_HOST", host));
        assertEquals(0, r.exit, () -> String.join(" ", command) + ": " + r.output);
        return r.stdout;
    }

    record Result(int exit, String stdout, String output) {
    }

    static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        return run(command, stdin, Map.of());
    }

    static Result run(List<String> command, String stdin, Map<String, String> env)
            throws IOException, InterruptedException {
        Path config = Files.createTempDirectory("cg-it-podman-docker-config");
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
            pb.environment().put("DOCKER_CONFIG", config.toString());
            pb.environment().put("CONTAINERS_CONF", state.resolve("containers.conf").toString());
            pb.environment().putAll(env);
            Process p = pb.start();
            CompletableFuture<String> out = read(p.getInputStream());
            CompletableFuture<String> err = read(p.getErrorStream());
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + ": timed out");
            }
            String stdout = out.join();
            return new Result(p.exitValue(), stdout, stdout + err.join());
        } finally {
            Files.deleteIfExists(config.resolve("config.json"));
            Files.deleteIfExists(config);
        }
    }

    static CompletableFuture<String> read(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                return buf.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static String onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    static String dockerCli() {
        String forced = System.getenv("TESTBED_DOCKER_CLI");
        if (forced != null && !forced.isEmpty()) {
            return forced;
        }
        return Files.isExecutable(Path.of("/usr/local/bin/docker")) ? "/usr/local/bin/docker" : onPath("docker");
    }

    static boolean isRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    static Path staticBusybox() throws IOException, InterruptedException {
        for (String b : List.of("/bin/busybox", "/usr/bin/busybox")) {
            Path p = Path.of(b);
            if (Files.isExecutable(p)) {
                ProcessBuilder lddCommand = new ProcessBuilder("ldd", b).redirectErrorStream(true);
                lddCommand.environment().put("LC_ALL", "C");
                Process ldd = lddCommand.start();
                String out = new String(ldd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                ldd.waitFor();
                if (out.contains("not a dynamic") || out.contains("statically linked")) {
                    return p;
                }
            }
        }
        return null;
    }
}
