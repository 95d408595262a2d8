package org.cetusguard.server;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import org.cetusguard.config.Address;
import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.log.Log;
import org.cetusguard.observe.AuditLog;
import org.cetusguard.observe.Metrics;
import org.cetusguard.observe.MetricsEndpoint;
import org.cetusguard.observe.Observer;
import org.cetusguard.observe.PrometheusMetrics;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.proxy.Backend;
import org.cetusguard.proxy.FilteringProxyServlet;
import org.cetusguard.proxy.HijackHandler;
import org.cetusguard.proxy.MemoryBudget;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IO;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * Assembles the proxy: one connector per frontend address, the handler chain
 * (graceful stop → observer → transfer-coding check → streaming idle timeout → hijack handler, which
 * takes attach / exec start upgrades only → proxy servlet, which decides and relays every other
 * request through the gate), the shared backend client, and, when asked for, a separate metrics
 * listener that never serves the proxy.
 */
public final class CetusGuardServer {
    /** How long a stop waits for requests in flight, as the Go original. */
    static final long STOP_TIMEOUT_MS = 10_000;
    /** Idle time allowed between requests on a keep-alive client connection (the Go original's 90 s). */
    static final long CONNECTION_IDLE_TIMEOUT_MS = 90_000;
    /**
     * Worker threads, shared by the frontends and the backend client. Every request and stream is
     * asynchronous, so a few threads serve many clients; each thread costs a stack and a share of the
     * malloc arenas that a 64 MiB container cannot spare. Above the cores, more threads only add
     * hand-offs: measured, 8 serve 16 busy connections and 16 followers on 2 cores without queueing.
     */
    static final int MAX_THREADS = 8;
    /**
     * Connections the kernel queues while the proxy does not accept (a burst, or -max-connections
     * reached). Java's default is 50, past which clients are refused or left retrying their SYN; Go
     * listens with the system's maximum. The kernel caps it at net.core.somaxconn.
     */
    static final int ACCEPT_QUEUE = 1024;
    /** Time allowed for a request line and headers once their first byte is in (the Go original's 10 s). */
    static final long REQUEST_HEADERS_TIMEOUT_MS = 10_000;

    /**
     * The time limits on both sides; tests shorten them to prove what each one does.
     *
     * @param clientIdleMs       a client connection waiting for its next request, or sending its body
     * @param requestHeadersMs   a client sending the line and headers of a request
     * @param daemonHeadersMs    the daemon answering with its response headers
     */
    public record Timeouts(long clientIdleMs, long requestHeadersMs, long daemonHeadersMs) {
        public static final Timeouts DEFAULT = new Timeouts(CONNECTION_IDLE_TIMEOUT_MS, REQUEST_HEADERS_TIMEOUT_MS,
                Backend.RESPONSE_HEADERS_TIMEOUT_MS);
    }

    private final Server server;
    private final RequestGate gate;
    private final List<Address> frontends = new ArrayList<>();
    private final Timeouts timeouts;
    private final Metrics metrics;
    private Connector metricsConnector;

    public CetusGuardServer(Options options, ClientProfiles profiles) throws StartupException {
        this(options, profiles, Timeouts.DEFAULT);
    }

    /** With another idle timeout between requests: tests use a short one to prove streams outlive it. */
    public CetusGuardServer(Options options, ClientProfiles profiles, long connectionIdleTimeoutMs) throws StartupException {
        this(options, profiles, new Timeouts(connectionIdleTimeoutMs, REQUEST_HEADERS_TIMEOUT_MS, Backend.RESPONSE_HEADERS_TIMEOUT_MS));
    }

    public CetusGuardServer(Options options, ClientProfiles profiles, Timeouts timeouts) throws StartupException {
        this.timeouts = timeouts;
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2);
        threads.setName("cetusguard");
        // No thread parked in reserve: with 8 workers a reserved one is an idle stack, not a speed-up.
        threads.setReservedThreads(0);
        // One scheduler and one buffer pool for both sides of the proxy (see Backend.sharedPool).
        ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("cetusguard-scheduler", false);
        ByteBufferPool buffers = Backend.sharedPool();
        server = new Server(threads, scheduler, buffers);
        server.setStopTimeout(STOP_TIMEOUT_MS);
        server.setStopAtShutdown(false);
        server.setErrorHandler(new JsonErrorHandler());
        // Past the limit the frontends stop accepting: further clients wait in the kernel's backlog
        // instead of each costing a connection, buffers and an entry in the selector. (This needs an
        // acceptor thread per connector, see connector().)
        server.addBean(new NetworkConnectionLimit(options.maxConnections(), server));

        Address backendAddress = parse(options.backendAddr(), "backend");
        SslContextFactory.Client backendTls = backendTls(options);
        Backend backend = new Backend(backendAddress, backendTls, server, timeouts.daemonHeadersMs());
        server.addBean(backend);

        // Profiles come validated from ProfileLoader (listeners are frontends), as on every reload.
        gate = new RequestGate(profiles, options.auditOnly());
        if (options.auditOnly()) {
            Log.warning("audit-only mode: requests the rules deny are forwarded anyway and logged");
        }
        PrometheusMetrics prometheus = options.metricsAddr().isEmpty() ? null : new PrometheusMetrics();
        metrics = prometheus == null ? Metrics.NONE : prometheus;
        AuditLog audit = options.auditLog().isEmpty() ? null : new AuditLog(options.auditLog(), System.out);
        ServletContextHandler context = new ServletContextHandler("/", ServletContextHandler.NO_SESSIONS);
        // One budget for what both adapters hold for clients (bodies, image answers, read buffers).
        MemoryBudget budget = MemoryBudget.forHeap();
        ServletHolder proxy = new ServletHolder("cetusguard", new FilteringProxyServlet(gate, backend, budget));
        proxy.setInitParameter("preserveHost", "true");
        proxy.setAsyncSupported(true);
        context.addServlet(proxy, "/*");
        context.setErrorHandler(new JsonErrorHandler());
        Handler proxyChain = new Observer(audit, metrics, new TransferCodingCheck(
                new StreamingIdleTimeout(new HijackHandler(gate, backend, metrics, budget, context))));

        SslContextFactory.Server frontendTls = frontendTls(options);
        for (String addr : options.frontendAddrs()) {
            Address address = parse(addr, "frontend");
            frontends.add(address);
            org.eclipse.jetty.server.AbstractConnector connector = connector(address, frontendTls);
            // Profiles match the listener by this name, spelled exactly as given to -frontend-addr.
            connector.setName(addr);
            server.addConnector(connector);
        }
        if (prometheus != null) {
            Address address = parse(options.metricsAddr(), "metrics");
            if (address.isUnix()) {
                throw new StartupException("the metrics listener must be tcp://host:port");
            }
            org.eclipse.jetty.server.AbstractConnector metricsListener = connector(address, null);
            metricsListener.setName(options.metricsAddr());
            metricsConnector = metricsListener;
            server.addConnector(metricsConnector);
            server.setHandler(new GracefulHandler(new ByListener(metricsConnector, new MetricsEndpoint(prometheus), proxyChain)));
        } else {
            server.setHandler(new GracefulHandler(proxyChain));
        }
    }

    public Metrics metrics() {
        return metrics;
    }

    /** The bound address of the metrics listener, or null when it is off. */
    public URI metricsOn() {
        return metricsConnector == null ? null
                : URI.create("tcp://127.0.0.1:" + ((AbstractNetworkConnector) metricsConnector).getLocalPort());
    }

    public RequestGate gate() {
        return gate;
    }

    public void start() throws StartupException {
        for (Address address : frontends) {
            if (address.isUnix()) {
                UnixSocketFile.prepare(address.path());
            }
        }
        openTcpFrontends();
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly();
            throw new StartupException("cannot start: " + describe(e), e);
        }
        for (Address address : frontends) {
            if (address.isUnix()) {
                UnixSocketFile.restrict(address.path());
            }
        }
        for (URI uri : listeningOn()) {
            Log.info("serve on " + uri);
        }
    }

    /**
     * Binds the TCP frontends one at a time before the server starts, so that a failure (port in use,
     * unknown host) names the frontend. Jetty would bind them too, but its error does not say which.
     */
    private void openTcpFrontends() throws StartupException {
        Connector[] connectors = server.getConnectors();
        for (int i = 0; i < connectors.length; i++) {
            if (connectors[i] instanceof NetworkConnector network) {
                try {
                    network.open();
                } catch (IOException | RuntimeException e) {
                    for (int j = 0; j < i; j++) {
                        // With no acceptor threads, close() leaves the channel to a stop that never comes.
                        if (connectors[j] instanceof ServerConnector opened && opened.getTransport() instanceof Closeable channel) {
                            IO.close(channel);
                        }
                    }
                    String what = i < frontends.size() ? frontends.get(i).toString() : "the metrics listener " + connectors[i].getName();
                    throw new StartupException("cannot listen on " + what + ": " + describe(e), e);
                }
            }
        }
    }

    /** Stops accepting, lets requests in flight finish (bounded), then closes everything. */
    public void stop() {
        stopQuietly();
    }

    public void join() throws InterruptedException {
        server.join();
    }

    /** The addresses actually bound (a tcp port of 0 is replaced by the one the system chose). */
    public List<URI> listeningOn() {
        List<URI> uris = new ArrayList<>();
        for (int i = 0; i < frontends.size(); i++) {
            // Frontend connectors are added first and in order; the metrics one, if any, comes last.
            Address address = frontends.get(i);
            if (address.isUnix()) {
                uris.add(URI.create("unix://" + address.path().toAbsolutePath()));
            } else {
                int port = ((AbstractNetworkConnector) server.getConnectors()[i]).getLocalPort();
                String host = address.host().isEmpty() ? "" : address.host();
                if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
                    host = "[" + host + "]";
                }
                uris.add(URI.create("tcp://" + host + ":" + port));
            }
        }
        return uris;
    }

    /** Sends requests from the metrics listener to the metrics handler and all others to the proxy. */
    private static final class ByListener extends Handler.Abstract {
        private final Connector metricsConnector;
        private final Handler metricsHandler;
        private final Handler proxy;

        ByListener(Connector metricsConnector, Handler metricsHandler, Handler proxy) {
            this.metricsConnector = metricsConnector;
            this.metricsHandler = metricsHandler;
            this.proxy = proxy;
            addBean(metricsHandler);
            addBean(proxy);
        }

        @Override
        public void setServer(Server server) {
            super.setServer(server);
            metricsHandler.setServer(server);
            proxy.setServer(server);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            boolean metricsListener = request.getConnectionMetaData().getConnector() == metricsConnector;
            return (metricsListener ? metricsHandler : proxy).handle(request, response, callback);
        }
    }

    private void stopQuietly() {
        try {
            server.stop();
        } catch (Exception e) {
            Log.error("error while stopping: " + describe(e));
        }
    }

    /**
     * One acceptor thread per connector, blocking in accept(): with none, the selector accepts, and when
     * the connection limit is reached and cleared in quick succession Jetty 12.1 re-registers the
     * listening channel while its cancelled key is still there, gets a CancelledKeyException and closes
     * the listening socket for good (reproduced by ResourceExhaustionTest). An acceptor thread simply
     * waits while the limit holds, and clients queue in the kernel's accept queue ({@link #ACCEPT_QUEUE}).
     */
    private org.eclipse.jetty.server.AbstractConnector connector(Address address, SslContextFactory.Server tls) {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setSendDateHeader(false);
        // Each chunk the daemon sends is written at once: `logs -f` and `/events` lines must not wait
        // in an aggregation buffer.
        http.setOutputAggregationSize(0);
        // One size for every I/O buffer, on both sides, so that they all come from one bucket of the
        // shared pool (see Backend.IO_BUFFER_SIZE).
        http.setInputBufferSize(Backend.IO_BUFFER_SIZE);
        http.setOutputBufferSize(Backend.IO_BUFFER_SIZE);
        ConnectionFactory[] factories;
        if (tls != null) {
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            // Docker clients connect by IP as often as by name; the certificate is checked by TLS, not by Host.
            secure.setSniHostCheck(false);
            http.addCustomizer(secure);
            factories = new ConnectionFactory[] {new SslConnectionFactory(tls, "http/1.1"),
                new RequestHeaderTimeout(http, timeouts.requestHeadersMs())};
        } else {
            factories = new ConnectionFactory[] {new RequestHeaderTimeout(http, timeouts.requestHeadersMs())};
        }
        if (address.isUnix()) {
            UnixDomainServerConnector unix = new UnixDomainServerConnector(server, 1, 1, factories);
            unix.setUnixDomainPath(address.path());
            unix.setIdleTimeout(timeouts.clientIdleMs());
            unix.setAcceptQueueSize(ACCEPT_QUEUE);
            return unix;
        }
        ServerConnector tcp = new ServerConnector(server, 1, 1, factories);
        tcp.setHost(address.host().isEmpty() ? null : address.host());
        tcp.setPort(address.port());
        tcp.setIdleTimeout(timeouts.clientIdleMs());
        tcp.setAcceptQueueSize(ACCEPT_QUEUE);
        return tcp;
    }

    private static SslContextFactory.Server frontendTls(Options options) throws StartupException {
        boolean cert = TlsContexts.present(options.frontendTlsCert());
        boolean key = TlsContexts.present(options.frontendTlsKey());
        if (!cert && !key) {
            if (TlsContexts.present(options.frontendTlsCacert())) {
                throw new StartupException("-frontend-tls-cacert needs -frontend-tls-cert and -frontend-tls-key");
            }
            return null;
        }
        if (!cert || !key) {
            throw new StartupException("frontend TLS needs both -frontend-tls-cert and -frontend-tls-key");
        }
        return TlsContexts.server(options.frontendTlsCacert(), options.frontendTlsCert(), options.frontendTlsKey());
    }

    private static SslContextFactory.Client backendTls(Options options) throws StartupException {
        if (!TlsContexts.present(options.backendTlsCacert()) && !TlsContexts.present(options.backendTlsCert())
                && !TlsContexts.present(options.backendTlsKey())) {
            return null;
        }
        return TlsContexts.client(options.backendTlsCacert(), options.backendTlsCert(), options.backendTlsKey());
    }

    private static Address parse(String addr, String side) throws StartupException {
        try {
            return Address.parse(addr);
        } catch (ConfigException e) {
            throw new StartupException("invalid " + side + " address: " + e.getMessage(), e);
        }
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null ? root.toString() : root.getClass().getSimpleName() + ": " + message;
    }
}
