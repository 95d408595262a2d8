package org.cetusguard.testbed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * What this JVM (which runs the proxy in-process) holds: open file descriptors by kind, and threads.
 * Linux only (/proc).
 */
public final class ProcessProbe {
    private ProcessProbe() {
    }

    /** Counts of this process's open descriptors. */
    public record Fds(int total, int tcp, int unix, int other) {
        @Override
        public String toString() {
            return total + " fds (tcp " + tcp + ", unix " + unix + ", other " + other + ")";
        }
    }

    public static boolean available() {
        return Files.isDirectory(Path.of("/proc/self/fd"));
    }

    public static Fds fds() {
        Set<String> tcpInodes = inodes("/proc/net/tcp", 9);
        tcpInodes.addAll(inodes("/proc/net/tcp6", 9));
        Set<String> unixInodes = inodes("/proc/net/unix", 6);
        int total = 0;
        int tcp = 0;
        int unix = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile (or the directory stream's own fd)
                }
                total++;
                if (target.startsWith("socket:[")) {
                    String inode = target.substring(8, target.length() - 1);
                    if (tcpInodes.contains(inode)) {
                        tcp++;
                    } else if (unixInodes.contains(inode)) {
                        unix++;
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc/self/fd", e);
        }
        return new Fds(total, tcp, unix, total - tcp - unix);
    }

    /**
     * Sockets of this host that some process still holds (TIME_WAIT and other kernel-only leftovers
     * have no inode) on a connection whose local or remote port is {@code port}, listeners excepted.
     */
    public static int tcpConnectionsOnPort(int port) {
        String hex = String.format(":%04X", port);
        int count = 0;
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String[] row : rows(file)) {
                boolean listening = row[3].equals("0A");
                boolean held = row.length > 9 && !row[9].equals("0");
                if (!listening && held && (row[1].endsWith(hex) || row[2].endsWith(hex))) {
                    count++;
                }
            }
        }
        return count;
    }

    public static int threads() {
        return Thread.getAllStackTraces().size();
    }

    /** Threads of the proxies running in this JVM (their pool threads are named {@code cetusguard-*}). */
    public static int proxyThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("cetusguard")).count();
    }

    /** Names of the proxy's threads and what each is doing, for messages. */
    public static String describeProxyThreads() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (e.getKey().getName().startsWith("cetusguard")) {
                StackTraceElement[] st = e.getValue();
                b.append("\n  ").append(e.getKey().getName()).append(' ').append(e.getKey().getState());
                for (int i = 0; i < Math.min(4, st.length); i++) {
                    b.append(" < ").append(st[i].getClassName().replaceAll(".*\\.", "")).append('.').append(st[i].getMethodName());
                }
            }
        }
        return b.toString();
    }

    /**
     * Threads of the proxy's pool (named {@code cetusguard-*}) that are doing something: neither parked
     * waiting for a job, nor waiting in a selector, nor a connector's acceptor. A proxy that holds a thread per slow client shows it here.
     */
    public static int busyProxyThreads() {
        int busy = 0;
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (!e.getKey().getName().startsWith("cetusguard")) {
                continue;
            }
            boolean waiting = false;
            for (StackTraceElement frame : e.getValue()) {
                String m = frame.getClassName() + "." + frame.getMethodName();
                // idle in the pool, waiting in a selector, reserved for the next task, a connector's acceptor
                // (one per frontend, blocking in accept() by design), or the scheduler waiting for its next task
                if (m.contains("idleJobPoll") || m.contains("EPoll.wait") || m.contains("ManagedSelector.nioSelect")
                        || m.contains("ReservedThread") || m.contains("AbstractConnector$Acceptor")
                        || m.contains("ScheduledThreadPoolExecutor$DelayedWorkQueue.take")) {
                    waiting = true;
                    break;
                }
            }
            if (!waiting && e.getKey().getState() != Thread.State.TERMINATED) {
                busy++;
            }
        }
        return busy;
    }

    /** Polls {@code condition} every 50 ms until it holds or {@code timeoutMs} passes; returns its last value. */
    public static boolean eventually(long timeoutMs, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return condition.getAsBoolean();
            }
        }
    }

    private static Set<String> inodes(String file, int column) {
        Set<String> result = new HashSet<>();
        for (String[] row : rows(file)) {
            if (row.length > column) {
                result.add(row[column]);
            }
        }
        return result;
    }

    private static List<String[]> rows(String file) {
        try {
            return Files.readAllLines(Path.of(file)).stream().skip(1).map(l -> l.trim().split("\\s+")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
