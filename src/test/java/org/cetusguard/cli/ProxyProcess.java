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

    /** Starts the proxy on a free loopback port (given as -frontend-addr) and waits until it answers. */
    static ProxyProcess start(Path dir, Map<String, String> env, String... args) throws Exception {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(script().toString(), "-frontend-addr", "tcp://127.0.0.1:" + port));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "stdout", ".log");
        Path err = Files.createTempFile(dir, "stderr", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("CETUSGUARD_") || k.equals("DOCKER_HOST"));
        builder.environment().putAll(env);
        ProxyProcess proxy = new ProxyProcess(builder.start(), out, err, port);
        proxy.awaitListening(Duration.ofSeconds(20));
        return proxy;
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
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
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

    private void awaitListening(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("cetusguard exited " + process.exitValue() + ": " + stderr());
            }
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(25);
            }
        }
        throw new AssertionError("cetusguard did not listen within " + timeout);
    }

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
