package org.cetusguard.testbed;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * A second Docker daemon of our own, for tests that stop, kill and restart the daemon: the shared one
 * at /var/run/docker.sock serves other tests and must never be touched. Everything of this one lives
 * under {@link #DIR} (data root, exec root with its own containerd, pid file, socket, log), it has no
 * networking of its own, and it is only ever stopped by the pid of the process started here.
 *
 * <p>Needs root and {@code dockerd}. When it cannot be started the calling test is skipped, or fails
 * when the environment variable {@code CI} is set (like {@link DockerTestbed}).
 */
public final class PrivateDockerd implements AutoCloseable {
    /** Not under /tmp/cg-bench (the benchmarks' daemon) nor /var/run (the shared one). */
    public static final Path DIR = Path.of("/tmp/cg-attack-dockerd");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Path socket = DIR.resolve("docker.sock");
    private Process process;

    private PrivateDockerd() {
    }

    /** Starts a private daemon (skipping or failing the calling test when it cannot). */
    public static PrivateDockerd start() {
        PrivateDockerd d = new PrivateDockerd();
        try {
            if (!DockerTestbed.isRoot()) {
                throw new IOException("not root");
            }
            Files.createDirectories(DIR);
            Files.writeString(DIR.resolve("daemon.json"), "{}\n"); // not /etc/docker/daemon.json
            d.stopLeftover();
            d.startProcess();
        } catch (IOException e) {
            d.close();
            unavailable("cannot start a private dockerd under " + DIR + ": " + e.getMessage());
        }
        return d;
    }

    public Path socket() {
        return socket;
    }

    /** The -backend-addr / DOCKER_HOST of this daemon. */
    public String address() {
        return "unix://" + socket;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    /** Starts it again after {@link #stop()} or {@link #kill()}. */
    public void restart() throws IOException {
        if (running()) {
            throw new IllegalStateException("already running");
        }
        startProcess();
    }

    /** SIGTERM, as `systemctl stop docker` does: the daemon stops its containers and removes its socket. */
    public void stop() throws IOException {
        if (!running()) {
            return;
        }
        process.destroy();
        waitForExit();
    }

    /**
     * SIGKILL to the daemon and its own containerd, as a crash of the whole service (`systemctl kill -s
     * KILL docker` kills its cgroup): the socket file stays behind, nobody listens on it. (Killing dockerd
     * alone leaves its containerd running, and the next dockerd then times out waiting for it.)
     */
    public void kill() throws IOException {
        if (!running()) {
            return;
        }
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        waitForExit();
        for (ProcessHandle child : children) {
            child.onExit().orTimeout(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS).exceptionally(t -> null).join();
        }
    }

    @Override
    public void close() {
        try {
            stop();
            unmountDataRoot();
        } catch (IOException e) {
            System.err.println("[private-dockerd] " + e.getMessage());
        }
    }

    /** dockerd makes its data root a mount of its own; one killed outright leaves it behind. */
    private static void unmountDataRoot() throws IOException {
        String dataRoot = DIR.resolve("data").toString();
        for (int i = 0; i < 5 && Files.readString(Path.of("/proc/mounts")).contains(" " + dataRoot + " "); i++) {
            try {
                new ProcessBuilder("umount", dataRoot).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    private void startProcess() throws IOException {
        if (!Files.exists(socket)) {
            // nothing to do
        } else if (ping(socket)) {
            throw new IOException(socket + " already answers: another daemon uses this directory");
        } else {
            Files.delete(socket); // left by a killed daemon
        }
        List<String> command = List.of("dockerd",
                "--config-file", DIR.resolve("daemon.json").toString(),
                "--data-root", DIR.resolve("data").toString(),
                "--exec-root", DIR.resolve("exec").toString(),
                "--pidfile", DIR.resolve("dockerd.pid").toString(),
                "-H", address(),
                "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false",
                "--shutdown-timeout=2");
        File log = DIR.resolve("dockerd.log").toFile();
        process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .redirectErrorStream(true)
                .start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!ping(socket)) {
            if (!process.isAlive()) {
                throw new IOException("dockerd exited with " + process.exitValue() + "; see " + log);
            }
            if (System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IOException("dockerd did not answer within " + START_TIMEOUT.toSeconds() + " s; see " + log);
            }
            sleep(100);
        }
    }

    private void waitForExit() throws IOException {
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IOException("dockerd pid " + process.pid() + " did not stop within " + STOP_TIMEOUT.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** A daemon of ours left by an aborted run (same pid file, a dockerd using our directory): stop it. */
    private void stopLeftover() throws IOException {
        Path pidFile = DIR.resolve("dockerd.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        String text = Files.readString(pidFile).trim();
        ProcessHandle old = text.matches("[0-9]+") ? ProcessHandle.of(Long.parseLong(text)).orElse(null) : null;
        boolean ours = old != null && old.isAlive()
                && old.info().commandLine().map(c -> c.contains("dockerd") && c.contains(DIR.toString())).orElse(false);
        if (ours) {
            System.err.println("[private-dockerd] stopping the daemon left by an earlier run, pid " + old.pid());
            old.destroy();
            old.onExit().orTimeout(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS).exceptionally(t -> null).join();
        }
        Files.deleteIfExists(pidFile);
    }

    private static boolean ping(Path socket) {
        try {
            return DockerTestbed.unixHttp(socket, "GET", "/_ping", Duration.ofSeconds(2)).status() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void unavailable(String reason) {
        String ci = System.getenv("CI");
        if (ci != null && !ci.isEmpty()) {
            throw new AssertionError("private dockerd not available, and CI=" + ci + " so this fails: " + reason);
        }
        Assumptions.abort("private dockerd not available: " + reason);
    }
}
