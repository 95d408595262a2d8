package org.cetusguard.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** bin/cetusguard as a real process (signals and stdout are what these tests are about). */
final class ProxyProcess implements AutoCloseable {
    final Process process;
    final Path stdout;
    final Path stderr;
    final int port;

    private ProxyProcess(Process process, Path stdout, Path stderr, int port) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.port = port;
    }

    /**
     * Starts the proxy with a loopback frontend of its own on port 0 (given as the first -frontend-addr)
     * and waits until it serves; the port is the one its "serve on" line names, so no port is picked
     * first and bound later.
     */
    static ProxyProcess start(Path dir, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(script().toString(), "-frontend-addr", "tcp://127.0.0.1:0"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "stdout", ".log");
        Path err = Files.createTempFile(dir, "stderr", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("CETUSGUARD_") || k.equals("DOCKER_HOST"));
        builder.environment().putAll(env);
        Process process = builder.start();
        try {
            return new ProxyProcess(process, out, err, awaitServing(process, out, err, Duration.ofSeconds(20)));
        } catch (Exception | AssertionError e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** The arguments of a start that need a port of the test's choosing (a second frontend, the metrics listener). */
    interface ArgumentsForPort {
        String[] arguments(int port) throws Exception;
    }

    /**
     * {@link #start} with a port the test must know before the start: a free one is picked, and when
     * another process takes it before the proxy binds it (the proxy then stops with "Address already
     * in use"), another one is picked, a few times.
     */
    static ProxyProcess startOnFreePort(Path dir, Map<String, String> env, ArgumentsForPort args) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return start(dir, env, args.arguments(freePort()));
            } catch (PortTaken taken) {
                if (attempt == 5) {
                    throw taken;
                }
            }
        }
    }

    /** The proxy stopped at startup because a port it was given was taken meanwhile. */
    static final class PortTaken extends AssertionError {
        PortTaken(String message) {
            super(message);
        }
    }

    static Path script() {
        return Path.of(System.getProperty("user.dir"), "bin", "cetusguard");
    }

    /** Runs a cetusguard tool (check, lint, suggest-rules, healthcheck) to completion. */
    static Result tool(byte[] stdin, String... args) throws Exception {
        return tool(Map.of(), stdin, args);
    }

    /** The same with these environment variables (and none other of CetusGuard's). */
    static Result tool(Map<String, String> env, byte[] stdin, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(script().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(k -> k.startsWith("CETUSGUARD_") || k.equals("DOCKER_HOST"));
        builder.environment().putAll(env);
        Process p = builder.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin);
        }
        p.getOutputStream().close();
        // Both pipes drained at once: a child that fills one while the other is read would never end.
        java.util.concurrent.CompletableFuture<byte[]> errRead = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = errRead.get(30, java.util.concurrent.TimeUnit.SECONDS);
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("tool did not finish: " + command);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    String dockerHost() {
        return "tcp://127.0.0.1:" + port;
    }

    String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    void signal(String name) throws Exception {
        new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start().waitFor();
    }

    /** Waits until {@code text} shows up in the given log, bounded. */
    void awaitLog(Path log, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no \"" + text + "\" in " + log + ":\n" + Files.readString(log, StandardCharsets.UTF_8));
    }

    /** Waits for the first "serve on tcp://127.0.0.1:PORT" line (printed once every listener is bound) and returns PORT. */
    private static int awaitServing(Process process, Path out, Path err, Duration timeout) throws Exception {
        java.util.regex.Pattern serving = java.util.regex.Pattern.compile("serve on tcp://127\\.0\\.0\\.1:([0-9]+)\n");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            java.util.regex.Matcher m = serving.matcher(Files.readString(out, StandardCharsets.UTF_8));
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            if (process.waitFor(25, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                String stderr = Files.readString(err, StandardCharsets.UTF_8);
                String message = "cetusguard exited " + process.exitValue() + ": " + stderr;
                throw stderr.contains("Address already in use") ? new PortTaken(message) : new AssertionError(message);
            }
        }
        throw new AssertionError("cetusguard did not serve within " + timeout + ": " + Files.readString(err, StandardCharsets.UTF_8));
    }

    /** A loopback port free now; for a start, see {@link #startOnFreePort}. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
