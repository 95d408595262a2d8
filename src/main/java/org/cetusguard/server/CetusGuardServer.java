package org.cetusguard.server;

import java.net.URI;
import java.util.List;

import org.cetusguard.config.Options;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.log.Log;
import org.cetusguard.observe.Metrics;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.proxy.Backend;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The proxy's lifecycle: the Jetty server with its threads, scheduler and buffers, the handlers
 * ({@link ProxyHandlers}) and the listeners ({@link Frontends}) put together, started, stopped.
 */
public final class CetusGuardServer {
    /** How long a stop waits for requests in flight, as the Go original. */
    static final long STOP_TIMEOUT_MS = 10_000;
    /**
     * Worker threads, shared by the frontends and the backend client. Every request and stream is
     * asynchronous, so a few threads serve many clients; each thread costs a stack and a share of the
     * malloc arenas that a 64 MiB container cannot spare. Above the cores, more threads only add
     * hand-offs: measured, 8 serve 16 busy connections and 16 followers on 2 cores without queueing.
     */
    static final int MAX_THREADS = 8;

    private final Server server;
    private final QueuedThreadPool threads;
    private final ProxyHandlers handlers;
    private final Frontends frontends;

    public CetusGuardServer(Options options, ClientProfiles profiles) throws StartupException {
        this(options, profiles, Timeouts.DEFAULT);
    }

    public CetusGuardServer(Options options, ClientProfiles profiles, Timeouts timeouts) throws StartupException {
        threads = new QueuedThreadPool(MAX_THREADS, 2);
        threads.setName("cetusguard");
        // No thread parked in reserve: with 8 workers a reserved one is an idle stack, not a speed-up.
        threads.setReservedThreads(0);
        // One scheduler and one buffer pool for both sides of the proxy (see Backend.sharedPool).
        ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("cetusguard-scheduler", false);
        server = new Server(threads, scheduler, Backend.sharedPool());
        server.setStopTimeout(STOP_TIMEOUT_MS);
        server.setStopAtShutdown(false);
        server.setErrorHandler(new JsonErrorHandler());
        // Past the limit the frontends stop accepting: further clients wait in the kernel's backlog
        // instead of each costing a connection, buffers and an entry in the selector. (This needs an
        // acceptor thread per connector, see Frontends.connector.)
        server.addBean(new NetworkConnectionLimit(options.maxConnections(), server));

        handlers = new ProxyHandlers(server, options, profiles, timeouts);
        frontends = new Frontends(server, options, timeouts);
        server.setHandler(handlers.forListeners(frontends.metricsListener()));
    }

    public Metrics metrics() {
        return handlers.metrics();
    }

    public RequestGate gate() {
        return handlers.gate();
    }

    /** The addresses actually bound (a tcp port of 0 is replaced by the one the system chose). */
    public List<URI> listeningOn() {
        return frontends.listeningOn();
    }

    /** The bound address of the metrics listener, or null when it is off. */
    public URI metricsOn() {
        return frontends.metricsOn();
    }

    /**
     * Worker threads running a job that is neither waiting for work nor one of the long-lived tasks
     * Jetty leases threads for (acceptors, selectors): 0 when nothing is being served. A proxy that
     * held a thread per waiting client would show it here.
     */
    public int busyWorkerThreads() {
        return threads.getUtilizedThreads();
    }

    public void start() throws StartupException {
        frontends.open();
        try {
            server.start();
        } catch (Exception e) {
            stop();
            throw new StartupException("cannot start: " + StartupException.reason(e), e);
        }
        frontends.restrictUnixSockets();
        for (URI uri : listeningOn()) {
            Log.info("serve on " + uri);
        }
    }

    /** Stops accepting, lets requests in flight finish (bounded), then closes everything. */
    public void stop() {
        try {
            server.stop();
        } catch (Exception e) {
            Log.error("error while stopping: " + StartupException.reason(e));
        }
    }

    public void join() throws InterruptedException {
        server.join();
    }
}
