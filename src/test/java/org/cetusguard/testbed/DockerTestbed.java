package org.cetusguard.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Timer;
import java.util.TimerTask;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * The local Docker daemon and test image that integration tests run against.
 *
 * <p>{@link #get()} makes sure, once per JVM, that a daemon answers on {@code /var/run/docker.sock}
 * and that the image {@value #IMAGE} exists, running {@code src/test/scripts/testbed.sh} when it
 * has to (and may). When the test bed cannot be had, the calling test is skipped with the reason,
 * or fails with it when the environment variable {@code CI} is set.
 *
 * <p>Use it from a {@code @BeforeAll} (skips or fails the whole class) or from a test.
 */
public final class DockerTestbed {

    /** The image every test container runs: a static busybox, made locally by testbed.sh. */
    public static final String IMAGE = "cetusguard-test/busybox:latest";
    /** The daemon's socket. */
    public static final Path SOCKET = Path.of("/var/run/docker.sock");
    /** DOCKER_HOST for the daemon directly, without any proxy in between. */
    public static final String DIRECT_DOCKER_HOST = "unix://" + SOCKET;
    /** Timeout of {@link #docker(String, String...)}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private static final String SCRIPT = "src/test/scripts/testbed.sh";
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(5);
    private static final Timer WATCHDOG = new Timer("docker-testbed-watchdog", true);

    private static boolean initialized;
    private static DockerTestbed instance;
    private static String unavailableReason;

    private final String dockerCli;

    private DockerTestbed(String dockerCli) {
        this.dockerCli = dockerCli;
    }

    /**
     * The test bed, set up on the first call (cached for the JVM). Skips the calling test when no
     * daemon can be had, or fails it when env {@code CI} is set.
     */
    public static synchronized DockerTestbed get() {
        if (!initialized) {
            initialized = true;
            try {
                instance = setUp();
            } catch (Unavailable e) {
                unavailableReason = e.getMessage();
                System.err.println("[testbed] Docker daemon not available: " + unavailableReason);
            }
        }
        if (instance == null) {
            unavailable(unavailableReason);
        }
        return instance;
    }

    /** The daemon's Unix socket. */
    public Path socket() {
        return SOCKET;
    }

    /** The test image, {@value #IMAGE}. */
    public String image() {
        return IMAGE;
    }

    /** Path of the docker CLI binary the tests use (28.x in /usr/local/bin when present). */
    public String dockerCli() {
        return dockerCli;
    }

    /** Whether the daemon answers GET /_ping with 200 right now. */
    public boolean ping() {
        try {
            return unixHttp(SOCKET, "GET", "/_ping", PING_TIMEOUT).status() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@link #docker(String, Map, byte[], Duration, String...)} with no extra env, no stdin, 60 s timeout. */
    public CliResult docker(String dockerHost, String... args) {
        return docker(dockerHost, Map.of(), null, DEFAULT_TIMEOUT, args);
    }

    /**
     * Runs the docker CLI and waits for it.
     *
     * @param dockerHost DOCKER_HOST for the CLI, e.g. {@code tcp://127.0.0.1:23456} or
     *                   {@code unix:///tmp/x.sock}; null leaves it unset
     * @param extraEnv   more variables (e.g. DOCKER_TLS_VERIFY, DOCKER_CERT_PATH); a null value removes one
     * @param stdin      bytes fed to the CLI's standard input, which is then closed; null closes it at once
     * @param timeout    the CLI is killed when it runs longer ({@link CliResult#timedOut()})
     * @param args       the CLI's arguments, e.g. {@code "run", "--rm", "--network", "none", image(), "true"}
     */
    public CliResult docker(String dockerHost, Map<String, String> extraEnv, byte[] stdin, Duration timeout,
                            String... args) {
        List<String> command = new ArrayList<>();
        command.add(dockerCli);
        command.addAll(List.of(args));
        Path config = null;
        try {
            config = Files.createTempDirectory("cetusguard-docker-config");
            ProcessBuilder pb = new ProcessBuilder(command);
            Map<String, String> env = pb.environment();
            // No DOCKER_* from the caller's environment: only what the test says.
            env.keySet().removeIf(k -> k.startsWith("DOCKER_"));
            if (dockerHost != null) {
                env.put("DOCKER_HOST", dockerHost);
            }
            env.put("DOCKER_CONFIG", config.toString());
            env.put("DOCKER_CLI_HINTS", "false");
            if (extraEnv != null) {
                extraEnv.forEach((k, v) -> {
                    if (v == null) {
                        env.remove(k);
                    } else {
                        env.put(k, v);
                    }
                });
            }
            List<String> shownEnv = new ArrayList<>();
            new TreeMap<>(env).forEach((k, v) -> {
                if (k.startsWith("DOCKER_") && !k.equals("DOCKER_CONFIG") && !k.equals("DOCKER_CLI_HINTS")) {
                    shownEnv.add(k + "=" + v);
                }
            });
            return run(pb, command, shownEnv, stdin, timeout);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } finally {
            deleteTree(config);
        }
    }

    // ------------------------------------------------------------------------------------------

    private static CliResult run(ProcessBuilder pb, List<String> command, List<String> shownEnv, byte[] stdin,
                                 Duration timeout) throws IOException {
        long start = System.nanoTime();
        Process p = pb.start();
        Pump out = new Pump(p.getInputStream(), "stdout");
        Pump err = new Pump(p.getErrorStream(), "stderr");
        Thread writer = null;
        if (stdin == null) {
            p.getOutputStream().close();
        } else {
            writer = new Thread(() -> {
                try (OutputStream os = p.getOutputStream()) {
                    os.write(stdin);
                } catch (IOException ignored) {
                    // The CLI may exit (or close its stdin) before reading it all.
                }
            }, "docker-cli-stdin");
            writer.setDaemon(true);
            writer.start();
        }
        boolean timedOut = false;
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            out.join(10_000);
            err.join(10_000);
            if (writer != null) {
                writer.join(1_000);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
        int exit = timedOut ? -1 : p.exitValue();
        return new CliResult(List.copyOf(command), List.copyOf(shownEnv), exit, out.bytes(),
            new String(err.bytes(), StandardCharsets.UTF_8), timedOut, Duration.ofNanos(System.nanoTime() - start));
    }

    /** Reads a stream to its end on its own thread, so no pipe can fill up and stall the process. */
    private static final class Pump extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Pump(InputStream in, String name) {
            super("docker-cli-" + name);
            this.in = in;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] chunk = new byte[65536];
            try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    synchronized (buf) {
                        buf.write(chunk, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // Stream closed when the process was killed.
            }
        }

        byte[] bytes() {
            synchronized (buf) {
                return buf.toByteArray();
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    private static final class Unavailable extends Exception {
        Unavailable(String message) {
            super(message);
        }
    }

    private static void unavailable(String reason) {
        String ci = System.getenv("CI");
        if (ci != null && !ci.isEmpty()) {
            throw new AssertionError("Docker daemon not available, and CI=" + ci
                + " so this fails instead of being skipped: " + reason);
        }
        Assumptions.abort("Docker daemon not available: " + reason);
    }

    private static DockerTestbed setUp() throws Unavailable {
        boolean ranScript = false;
        String pingError = pingError();
        if (pingError != null) {
            if (!isRoot()) {
                throw new Unavailable("nothing answers GET /_ping on " + SOCKET + " (" + pingError
                    + "), and this JVM is not root so it cannot start a daemon; run `sudo bash " + SCRIPT
                    + "` (or start Docker) first");
            }
            System.err.println("[testbed] no daemon answers on " + SOCKET + " (" + pingError + "); running " + SCRIPT);
            runScript();
            ranScript = true;
            pingError = pingError();
            if (pingError != null) {
                throw new Unavailable(SCRIPT + " ran, but still nothing answers GET /_ping on " + SOCKET + " ("
                    + pingError + ")");
            }
        }
        if (!imageExists()) {
            if (ranScript) {
                throw new Unavailable(SCRIPT + " ran, but image " + IMAGE + " is still absent");
            }
            System.err.println("[testbed] image " + IMAGE + " absent; running " + SCRIPT);
            runScript();
            if (!imageExists()) {
                throw new Unavailable(SCRIPT + " ran, but image " + IMAGE + " is still absent");
            }
        }
        String cli = findDockerCli();
        if (cli == null) {
            throw new Unavailable("no docker CLI binary (neither /usr/local/bin/docker nor `docker` on PATH);"
                + " install docker.io");
        }
        return new DockerTestbed(cli);
    }

    /** Null when the daemon answers GET /_ping with 200, else why not. */
    private static String pingError() {
        try {
            HttpReply r = unixHttp(SOCKET, "GET", "/_ping", PING_TIMEOUT);
            return r.status() == 200 ? null : "GET /_ping answered " + r.statusLine();
        } catch (IOException e) {
            String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (String.valueOf(e.getMessage()).contains("Permission denied")) {
                msg += "; this user may not use the socket (is it in the socket's group, e.g. docker?)";
            }
            return msg;
        }
    }

    private static boolean imageExists() throws Unavailable {
        try {
            HttpReply r = unixHttp(SOCKET, "GET", "/images/" + IMAGE + "/json", PING_TIMEOUT);
            if (r.status() == 200) {
                return true;
            }
            if (r.status() == 404) {
                return false;
            }
            throw new Unavailable("GET /images/" + IMAGE + "/json answered " + r.statusLine());
        } catch (IOException e) {
            throw new Unavailable("cannot ask the daemon for image " + IMAGE + ": " + e);
        }
    }

    static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** The docker CLI: $TESTBED_DOCKER_CLI, else /usr/local/bin/docker (28.x), else `docker` on PATH. */
    static String findDockerCli() {
        String forced = System.getenv("TESTBED_DOCKER_CLI");
        if (forced != null && !forced.isEmpty()) {
            return forced;
        }
        Path local = Path.of("/usr/local/bin/docker");
        if (Files.isExecutable(local)) {
            return local.toString();
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, "docker");
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return null;
    }

    /** testbed.sh, looked for from the working directory (the project's base dir under Maven) upwards. */
    static Path findScript() throws Unavailable {
        String forced = System.getProperty("cetusguard.testbed.script");
        if (forced != null && !forced.isEmpty()) {
            return Path.of(forced);
        }
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path candidate = d.resolve(SCRIPT);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new Unavailable("cannot find " + SCRIPT + " in " + dir + " or above it");
    }

    private static void runScript() throws Unavailable {
        Path script = findScript();
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "up")
            .directory(script.toAbsolutePath().getParent().toFile())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Deque<String> tail = new ArrayDeque<>();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new Unavailable("cannot run bash " + script + ": " + e.getMessage());
        }
        Thread reader = new Thread(() -> {
            try (var lines = p.inputReader(StandardCharsets.UTF_8)) {
                String line;
                while ((line = lines.readLine()) != null) {
                    System.err.println(line);
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > 20) {
                            tail.removeFirst();
                        }
                    }
                }
            } catch (IOException ignored) {
                // Process killed.
            }
        }, "testbed-script-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(SCRIPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new Unavailable(script + " did not finish within " + SCRIPT_TIMEOUT.toMinutes() + " min");
            }
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while running " + script);
        }
        if (p.exitValue() != 0) {
            String last;
            synchronized (tail) {
                last = String.join("\n", tail);
            }
            throw new Unavailable("bash " + script + " exited " + p.exitValue() + "; its last lines:\n" + last);
        }
    }

    // ------------------------------------------------------------------------------------------

    /** Status and body of one raw HTTP/1.1 exchange. */
    record HttpReply(String statusLine, int status, byte[] raw) {
    }

    /**
     * One HTTP/1.1 request with {@code Connection: close} over a Unix socket, read to EOF.
     * Only the status line is parsed; {@code raw} is the whole response.
     */
    static HttpReply unixHttp(Path socket, String method, String path, Duration timeout) throws IOException {
        if (!Files.exists(socket)) {
            throw new IOException(socket + " does not exist");
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            TimerTask closer = new TimerTask() {
                @Override
                public void run() {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // Best effort.
                    }
                }
            };
            WATCHDOG.schedule(closer, timeout.toMillis());
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                String request = method + " " + path + " HTTP/1.1\r\nHost: docker\r\nUser-Agent: cetusguard-testbed\r\n"
                    + "Connection: close\r\n\r\n";
                ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                ByteArrayOutputStream resp = new ByteArrayOutputStream();
                ByteBuffer in = ByteBuffer.allocate(8192);
                while (ch.read(in) >= 0) {
                    resp.write(in.array(), 0, in.position());
                    in.clear();
                    if (resp.size() > (1 << 20)) {
                        break;
                    }
                }
                byte[] raw = resp.toByteArray();
                String text = new String(raw, StandardCharsets.ISO_8859_1);
                int eol = text.indexOf("\r\n");
                String statusLine = eol >= 0 ? text.substring(0, eol) : text;
                String[] parts = statusLine.split(" ", 3);
                if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                    throw new IOException("not an HTTP response from " + socket + ": " + statusLine);
                }
                try {
                    return new HttpReply(statusLine, Integer.parseInt(parts[1]), raw);
                } catch (NumberFormatException e) {
                    throw new IOException("bad status line from " + socket + ": " + statusLine);
                }
            } catch (java.nio.channels.AsynchronousCloseException e) {
                throw new IOException("no answer from " + socket + " within " + timeout.toMillis() + " ms", e);
            } finally {
                closer.cancel();
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Left in the temp dir.
                }
            });
        } catch (IOException ignored) {
            // Left in the temp dir.
        }
    }
}
