package org.cetusguard.proxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Arms the {@link ClientDisconnectWatch} of each relayed answer that is still open {@link #ARM_AFTER_MS}
 * after its headers: a stream, whose client may leave while nothing is written to it. Answers that
 * end sooner (nearly all) never touch the client's connection. One sweep task, scheduled only while
 * watches wait, does the arming for all of them, so a request costs an entry in a map and no timer.
 */
final class DisconnectWatches {
    /** Long enough for ordinary chunked answers to end, short enough that a leaving client is noticed at once. */
    static final long ARM_AFTER_MS = 250;

    private final Scheduler scheduler;
    private final Map<ClientDisconnectWatch, Boolean> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean sweeping = new AtomicBoolean();

    DisconnectWatches(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** A watch for this exchange, armed later if the exchange is still open; stop it before the exchange completes. */
    ClientDisconnectWatch watch(EndPoint client, Response fromDaemon) {
        ClientDisconnectWatch watch = new ClientDisconnectWatch(client, fromDaemon);
        pending.put(watch, Boolean.TRUE);
        if (sweeping.compareAndSet(false, true)) {
            scheduler.schedule(this::sweep, ARM_AFTER_MS, TimeUnit.MILLISECONDS);
        }
        return watch;
    }

    /** Before the exchange completes: the watch ends, armed or not (see {@link ClientDisconnectWatch#stop()}). */
    void stop(ClientDisconnectWatch watch) {
        pending.remove(watch);
        watch.stop();
    }

    private void sweep() {
        long due = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(ARM_AFTER_MS);
        for (ClientDisconnectWatch watch : pending.keySet()) {
            if (watch.createdNanos() - due <= 0) {
                pending.remove(watch);
                watch.arm();
            }
        }
        sweeping.set(false);
        // A watch added while this sweep ran may have found it still running: look again for it.
        if (!pending.isEmpty() && sweeping.compareAndSet(false, true)) {
            scheduler.schedule(this::sweep, ARM_AFTER_MS, TimeUnit.MILLISECONDS);
        }
    }
}
