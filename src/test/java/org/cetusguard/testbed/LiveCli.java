package org.cetusguard.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A docker CLI (or a command wrapping one, such as {@code script} for a terminal) that a test drives
 * while it runs: stdin stays open until the test writes and closes it, stdout is watched as it arrives,
 * and the process can be killed with SIGKILL ({@code docker attach} ignores SIGTERM).
 *
 * <p>The environment is built as {@link DockerTestbed#docker} builds it: no DOCKER_* from the caller,
 * a fresh DOCKER_CONFIG, DOCKER_HOST and the extra variables the test gives.
 */
public final class LiveCli implements AutoCloseable {
    private final List<String> command;
    private final List<String> shownEnv;
    private final Process process;
    private final Path config;
    private final OutputStream stdin;
    private final Sink stdout;
    private final Sink stderr;
    private final long started = System.nanoTime();

    private LiveCli(List<String> command, List<String> shownEnv, Process process, Path config, boolean keepStdout) {
        this.command = command;
        this.shownEnv = shownEnv;
        this.process = process;
        this.config = config;
        this.stdin = process.getOutputStream();
        this.stdout = new Sink(process.getInputStream(), "stdout", keepStdout);
        this.stderr = new Sink(process.getErrorStream(), "stderr", true);
    }

    /** Starts the docker CLI with {@code args}. */
    public static LiveCli docker(DockerTestbed testbed, String dockerHost, Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(testbed.dockerCli());
        command.addAll(List.of(args));
        return start(command, dockerHost, env, true);
    }

    /**
     * Runs {@code shellCommand} under {@code script}, in a new pseudo-terminal: what {@code docker -t}
     * needs on its stdin. Use {@link #sh(String...)} to quote words into the command.
     */
    public static LiveCli inTerminal(String dockerHost, Map<String, String> env, String shellCommand) {
        return start(List.of(scriptBinary(), "-qec", shellCommand, "/dev/null"), dockerHost, env, true);
    }

    /** Path of util-linux's {@code script} (Debian: package bsdutils, which is essential), or null. */
    public static String scriptBinary() {
        for (String candidate : List.of("/usr/bin/script", "/bin/script")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Starts {@code command}; with {@code keepStdout} false, stdout is only counted (for streams too
     * large to keep).
     */
    public static LiveCli start(List<String> command, String dockerHost, Map<String, String> env, boolean keepStdout) {
        Path config = null;
        try {
            config = Files.createTempDirectory("cetusguard-docker-config");
            ProcessBuilder pb = new ProcessBuilder(command);
            Map<String, String> environment = pb.environment();
            environment.keySet().removeIf(k -> k.startsWith("DOCKER_"));
            if (dockerHost != null) {
                environment.put("DOCKER_HOST", dockerHost);
            }
            environment.put("DOCKER_CONFIG", config.toString());
            environment.put("DOCKER_CLI_HINTS", "false");
            environment.put("SHELL", "/bin/sh");
            if (env != null) {
                env.forEach((k, v) -> {
                    if (v == null) {
                        environment.remove(k);
                    } else {
                        environment.put(k, v);
                    }
                });
            }
            List<String> shown = new ArrayList<>();
            new TreeMap<>(environment).forEach((k, v) -> {
                if (k.startsWith("DOCKER_") && !k.equals("DOCKER_CONFIG") && !k.equals("DOCKER_CLI_HINTS")) {
                    shown.add(k + "=" + v);
                }
            });
            return new LiveCli(List.copyOf(command), shown, pb.start(), config, keepStdout);
        } catch (IOException e) {
            deleteTree(config);
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Quotes each word for a POSIX shell and joins them with spaces. */
    public static String sh(String... words) {
        StringBuilder out = new StringBuilder();
        for (String word : words) {
            if (out.length() > 0) {
                out.append(' ');
            }
            out.append('\'').append(word.replace("'", "'\\''")).append('\'');
        }
        return out.toString();
    }

    /** Writes to the process's stdin and flushes. */
    public LiveCli write(byte[] bytes) {
        try {
            stdin.write(bytes);
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to the stdin of " + String.join(" ", command) + "; " + this, e);
        }
        return this;
    }

    public LiveCli write(String text) {
        return write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Closes stdin: end of input for the CLI. */
    public LiveCli closeStdin() {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // Already gone with the process.
        }
        return this;
    }

    /** Waits until stdout contains {@code needle}; false when the time runs out or stdout ends first. */
    public boolean awaitStdout(String needle, Duration timeout) {
        return stdout.await(needle, timeout);
    }

    /** Waits for the process to exit; false when it is still running after {@code timeout}. */
    public boolean awaitExit(Duration timeout) {
        try {
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (exited) {
                stdout.join(5_000);
                stderr.join(5_000);
            }
            return exited;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the process and everything it started with SIGKILL, and waits for it. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            stdout.join(5_000);
            stderr.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The exit code; the process must have exited. */
    public int exitCode() {
        return process.exitValue();
    }

    public byte[] stdout() {
        return stdout.bytes();
    }

    public String stdoutText() {
        return new String(stdout(), StandardCharsets.UTF_8);
    }

    /** How many bytes arrived on stdout (kept or only counted). */
    public long stdoutCount() {
        return stdout.count();
    }

    /** Nanosecond timestamps ({@link System#nanoTime()}) at which each line of stdout was complete. */
    public List<Long> lineArrivals() {
        return stdout.lineArrivals();
    }

    public String stderr() {
        return new String(stderr.bytes(), StandardCharsets.UTF_8);
    }

    /** What happened so far, for assertion messages. */
    public CliResult result() {
        boolean alive = process.isAlive();
        return new CliResult(command, shownEnv, alive ? -1 : process.exitValue(), stdout(), stderr(), alive,
                Duration.ofNanos(System.nanoTime() - started));
    }

    @Override
    public String toString() {
        return result().toString();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
        closeStdin();
        deleteTree(config);
    }

    /** Reads one of the process's outputs to its end on its own thread. */
    private static final class Sink extends Thread {
        private final InputStream in;
        private final boolean keep;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final List<Long> lineArrivals = new ArrayList<>();
        private long count;
        private boolean ended;

        Sink(InputStream in, String name, boolean keep) {
            super("live-cli-" + name);
            this.in = in;
            this.keep = keep;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] chunk = new byte[65536];
            try (in) {
                int n;
                while ((n = in.read(chunk)) >= 0) {
                    long now = System.nanoTime();
                    synchronized (this) {
                        count += n;
                        if (keep) {
                            buf.write(chunk, 0, n);
                            for (int i = 0; i < n; i++) {
                                if (chunk[i] == '\n') {
                                    lineArrivals.add(now);
                                }
                            }
                        }
                        notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // Closed when the process was killed.
            } finally {
                synchronized (this) {
                    ended = true;
                    notifyAll();
                }
            }
        }

        synchronized boolean await(String needle, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                if (buf.toString(StandardCharsets.UTF_8).contains(needle)) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (ended || left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }

        synchronized byte[] bytes() {
            return buf.toByteArray();
        }

        synchronized long count() {
            return count;
        }

        synchronized List<Long> lineArrivals() {
            return List.copyOf(lineArrivals);
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
