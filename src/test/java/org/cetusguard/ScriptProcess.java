package org.cetusguard;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The real program run as a subprocess (normally through {@code bin/cetusguard}), with its
 * standard output and error captured. Every wait is bounded; {@link #close()} kills what is still
 * running, so tests call it from {@code finally} or {@code @AfterEach}.
 *
 * <p>The child's environment is the test JVM's minus everything that configures CetusGuard or the
 * start script (CETUSGUARD_*, DOCKER_HOST, CONTAINER_HOST, JAVA_OPTS), so only what the test
 * passes counts.
 */
final class ScriptProcess implements AutoCloseable {
    /** The project's base directory: Maven runs the tests there. */
    static final Path PROJECT = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    /** The start script of the checkout. */
    static final Path SCRIPT = PROJECT.resolve("bin/cetusguard");

    private static final Duration POLL = Duration.ofMillis(50);

    private final List<String> command;
    private final Process process;
    private final Pump out;
    private final Pump err;

    private ScriptProcess(List<String> command, Process process) {
        this.command = command;
        this.process = process;
        this.out = new Pump(process.getInputStream(), "stdout of " + process.pid());
        this.err = new Pump(process.getErrorStream(), "stderr of " + process.pid());
    }

    /** Runs {@code script args...}; {@code env} adds variables, and a null value removes one. */
    static ScriptProcess start(Path script, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        return startCommand(command, env, null);
    }

    /** {@link #start} with the checkout's {@code bin/cetusguard}. */
    static ScriptProcess start(Map<String, String> env, String... args) {
        return start(SCRIPT, env, args);
    }

    static ScriptProcess start(String... args) {
        return start(SCRIPT, Map.of(), args);
    }

    /** Any command, in {@code dir} (null: the project), with the cleaned environment plus {@code env}. */
    static ScriptProcess startCommand(List<String> command, Map<String, String> env, Path dir) {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.directory((dir == null ? PROJECT : dir).toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Map<String, String> childEnv = pb.environment();
        childEnv.keySet().removeIf(k -> k.startsWith("CETUSGUARD_") || k.equals("DOCKER_HOST")
                || k.equals("CONTAINER_HOST") || k.equals("JAVA_OPTS"));
        env.forEach((k, v) -> {
            if (v == null) {
                childEnv.remove(k);
            } else {
                childEnv.put(k, v);
            }
        });
        try {
            return new ScriptProcess(List.copyOf(command), pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String stdout() {
        return out.text();
    }

    String stderr() {
        return err.text();
    }

    /** Waits for the process to end; fails (and kills it) when it does not within {@code timeout}. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                String state = describe();
                close();
                throw new AssertionError("still running after " + timeout.toMillis() + " ms (killed): " + state);
            }
            // The pipes reach EOF once the process is gone (nothing else holds them).
            out.join(5_000);
            err.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new AssertionError("interrupted", e);
        }
        return process.exitValue();
    }

    /** Waits until standard output contains {@code needle}; fails if the process ends first or time runs out. */
    void awaitStdout(String needle, Duration timeout) {
        await("stdout containing \"" + needle + "\"", p -> p.stdout().contains(needle), timeout);
    }

    void awaitStderr(String needle, Duration timeout) {
        await("stderr containing \"" + needle + "\"", p -> p.stderr().contains(needle), timeout);
    }

    /** Waits until a TCP connection to 127.0.0.1:{@code port} is accepted while this process runs. */
    void awaitTcp(int port, Duration timeout) {
        await("a listener on 127.0.0.1:" + port, p -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
                return true;
            } catch (IOException e) {
                return false;
            }
        }, timeout);
    }

    /** Waits until a connection to the Unix socket {@code path} is accepted while this process runs. */
    void awaitUnix(Path path, Duration timeout) {
        await("a listener on unix://" + path, p -> {
            if (!Files.exists(path)) {
                return false;
            }
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(path));
                return true;
            } catch (IOException e) {
                return false;
            }
        }, timeout);
    }

    private void await(String what, Predicate<ScriptProcess> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.test(this)) {
                // Still ours: the condition may be met by something else if the process died meanwhile.
                if (process.isAlive()) {
                    return;
                }
            }
            if (!process.isAlive()) {
                awaitExit(Duration.ofSeconds(5));
                throw new AssertionError("exited before " + what + ": " + describe());
            }
            if (System.nanoTime() > deadline) {
                String state = describe();
                close();
                throw new AssertionError("no " + what + " within " + timeout.toMillis() + " ms (killed): " + state);
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** Sends a signal by name (TERM, INT, ...) with the shell's kill builtin. */
    void signal(String name) {
        try {
            Process kill = new ProcessBuilder("sh", "-c", "kill -s " + name + " " + process.pid())
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                kill.destroyForcibly();
                throw new AssertionError("kill -s " + name + " " + process.pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** SIGTERM, then the exit code; a proxy with nothing in flight must be gone quickly. */
    int terminate(Duration timeout) {
        if (process.isAlive()) {
            signal("TERM");
        }
        return awaitExit(timeout);
    }

    /** The command line, as /proc shows it (the script execs java, so this is the JVM's). */
    List<String> procCmdline() throws IOException {
        byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(process.pid()), "cmdline"));
        List<String> args = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        return args;
    }

    String describe() {
        String state = process.isAlive() ? "running" : "exit code " + process.exitValue();
        return String.join(" ", command) + " (pid " + process.pid() + ", " + state + ")\n--- stdout ---\n"
                + shorten(stdout()) + "--- stderr ---\n" + shorten(stderr()) + "---";
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    /** A free port on 127.0.0.1 (bound once, then released for the program to take). */
    static int freeLoopbackPort() {
        return freePort(InetAddress.getLoopbackAddress());
    }

    /** A port free on all interfaces, for {@code tcp://:PORT}. */
    static int freeWildcardPort() {
        return freePort(null);
    }

    /**
     * A port that binds now. Preferably one below the kernel's ephemeral range: between this check
     * and the program's bind, any outgoing connection on the machine may take an ephemeral port
     * (the one binding port 0 returns), but never one outside that range.
     */
    private static int freePort(InetAddress host) {
        int low = ephemeralLow();
        java.util.Random random = new java.util.Random();
        for (int attempt = 0; attempt < 50 && low > 11_000; attempt++) {
            int port = 10_000 + random.nextInt(low - 10_000);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port));
                return port;
            } catch (IOException taken) {
                // Try another.
            }
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(host, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The project version as Maven packaged it (target/maven-archiver/pom.properties). */
    static String projectVersion() throws IOException {
        Path properties = PROJECT.resolve("target/maven-archiver/pom.properties");
        java.util.Properties p = new java.util.Properties();
        try (InputStream in = Files.newInputStream(properties)) {
            p.load(in);
        }
        String version = p.getProperty("version");
        if (version == null || version.isBlank()) {
            throw new IllegalStateException("no version in " + properties);
        }
        return version;
    }

    private static String shorten(String s) {
        final int max = 6000;
        String body = s.length() <= max ? s : s.substring(0, max / 2) + "\n... " + (s.length() - max) + " chars left out ...\n"
                + s.substring(s.length() - max / 2);
        return body.isEmpty() || body.endsWith("\n") ? body : body + "\n";
    }

    /** Reads a stream to its end on its own thread, so no pipe fills up and stalls the process. */
    private static final class Pump extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Pump(InputStream in, String name) {
            super(name);
            this.in = in;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] chunk = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    synchronized (buf) {
                        buf.write(chunk, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // The process was killed.
            }
        }

        String text() {
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
