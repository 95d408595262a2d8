package org.cetusguard.proxy;

import java.io.EOFException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;

import org.cetusguard.config.Address;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.UpgradeProtocolHandler;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The one HTTP client that talks to the daemon, shared by the proxy servlet and the hijack handler so
 * that both pool and reuse the same backend connections. It speaks HTTP/1.1 only (the Docker API's
 * protocol), over a Unix socket or TCP, with or without TLS.
 */
public final class Backend extends ContainerLifeCycle {
    /** How long a pooled keep-alive connection to the daemon may sit unused (the Go original's 90 s). */
    static final long POOL_IDLE_TIMEOUT_MS = 90_000;
    /**
     * How long an exchange in progress may be silent. Event streams, `logs -f` and interactive sessions
     * are legitimately quiet for long stretches; this only reaps sessions whose peer vanished.
     */
    public static final long STREAM_IDLE_TIMEOUT_MS = TimeUnit.HOURS.toMillis(12);
    /**
     * How long the daemon may take to send the response headers once it has the whole request. Streams
     * (`/events`, `logs -f`, `wait`, attach, pull and build progress) get their headers at once, so this
     * only bounds calls that answer when their work is done: `stop?t=N` (N plus the kill), commit,
     * prune and `system df` on a large host. Ten minutes is far above what those take for the tools
     * this proxy fronts, and it bounds how long a hung daemon holds a client connection and a daemon
     * connection: until the daemon's headers come, nothing reads the client's side, so a client that
     * gives up is not noticed before this fires.
     */
    public static final long RESPONSE_HEADERS_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(10);

    /**
     * Read and write size of every I/O buffer, towards the daemon and towards the clients, in KiB: the
     * system property {@code cetusguard.ioBufferKiB} (4 to 256), 16 by default. Large bodies (exports,
     * image loads, build contexts) move one buffer per round trip, so 64 KiB moves them ~1.5x faster at
     * half the CPU; but every connection that is reading holds one, which a 64 MiB container feels under
     * many parallel clients. conf/jvm.options sets 64 for the fast tuning, the small one keeps 16.
     */
    public static final int IO_BUFFER_SIZE = ioBufferSize();

    private static int ioBufferSize() {
        Integer kib = Integer.getInteger("cetusguard.ioBufferKiB");
        return (kib == null || kib < 4 || kib > 256 ? 16 : kib) * 1024;
    }

    /**
     * The one buffer pool of the process, shared by the frontends and this client. It keeps every buffer
     * it was given back (no cap on idle buffers): a capped pool drops its surplus direct buffers, which
     * then live on unreachable until a full GC, so direct memory climbs to its limit and RSS with it.
     * Uncapped, the pool holds what the busiest moment needed and reuses it; that peak is bounded by
     * the connections in flight and, hard, by -XX:MaxDirectMemorySize.
     */
    public static ByteBufferPool sharedPool() {
        return new ArrayByteBufferPool(0, 4096, Math.max(IO_BUFFER_SIZE, 64 * 1024), Integer.MAX_VALUE, -1, -1);
    }

    private final HttpClient client;
    private final Transport transport;
    private final Path socket;
    private final String origin;
    private final long responseHeadersTimeoutMs;

    /**
     * @param components the server whose threads, scheduler and buffer pool the client shares
     * @param responseHeadersTimeoutMs see {@link #RESPONSE_HEADERS_TIMEOUT_MS}; tests use a short one
     */
    public Backend(Address address, SslContextFactory.Client tls, Server components, long responseHeadersTimeoutMs) {
        this.responseHeadersTimeoutMs = responseHeadersTimeoutMs;
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setConnectTimeout(java.time.Duration.ofSeconds(30));
        if (tls != null) {
            connector.setSslContextFactory(tls);
        } else {
            // A plain backend: keep the connector from starting a TLS factory of its own, which loads
            // the JDK's trust store (measured: ~10 MiB of a 64 MiB container for nothing).
            SslContextFactory.Client unused = new SslContextFactory.Client();
            connector.setSslContextFactory(unused);
            connector.unmanage(unused);
        }
        HttpClientTransportOverHTTP httpTransport = new HttpClientTransportOverHTTP(connector);
        // The daemon's answers are handled on the selector thread that read them, without a hand-off to a
        // worker (measured: a sixth less CPU per small request). Every response listener must therefore
        // never block: the servlet writes to its clients asynchronously (FilteringProxyServlet commits
        // headers and sends errors accordingly), the hijack relay writes with callbacks.
        httpTransport.setInvocationType(Invocable.InvocationType.NON_BLOCKING);
        client = new HttpClient(httpTransport);
        client.setExecutor(components.getThreadPool());
        client.setScheduler(components.getScheduler());
        client.setByteBufferPool(components.getByteBufferPool());
        // Everything the daemon says is relayed as is: no redirects followed, no cookies kept,
        // no content decoded, no User-Agent of ours added, no protocol handled but the tcp upgrade.
        // A body the proxy sends as decided bytes carries the client's Content-Type or none, never
        // one of ours (the client's default would be application/octet-stream).
        client.setDefaultRequestContentType(null);
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setUserAgentField(null);
        client.setIdleTimeout(POOL_IDLE_TIMEOUT_MS);
        client.setRequestBufferSize(IO_BUFFER_SIZE);
        client.setResponseBufferSize(IO_BUFFER_SIZE);
        // Long-lived streams each hold a connection; a low cap would queue every later request behind them.
        client.setMaxConnectionsPerDestination(4096);
        addBean(client);

        String scheme = tls != null ? "https" : "http";
        socket = address.isUnix() ? address.path() : null;
        if (address.isUnix()) {
            transport = new Transport.TCPUnix(address.path());
            // With a Unix transport the host is only a pool key: no name is resolved.
            origin = scheme + "://localhost";
        } else {
            transport = null;
            origin = scheme + "://" + hostForUri(address.host()) + ":" + address.port();
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        client.getContentDecoderFactories().clear();
        client.getProtocolHandlers().clear();
        client.getProtocolHandlers().put(new TcpUpgradeProtocolHandler());
    }

    public HttpClient httpClient() {
        return client;
    }

    /** The server's scheduler, which this client shares. */
    public Scheduler scheduler() {
        return client.getScheduler();
    }

    /** The absolute URI for a canonical target (encoded path plus optional query). */
    public String uri(String target) {
        return origin + target;
    }

    /**
     * Points a request at the daemon's transport and gives it the streaming idle timeout and the
     * response-headers timeout (counted from the end of the request body, so slow uploads do not count).
     * A request aborted by the latter fails with a TimeoutException, which the proxy answers 504.
     */
    public Request prepare(Request request) {
        if (transport != null) {
            request.transport(transport);
        }
        HeadersDeadline deadline = new HeadersDeadline();
        request.onRequestSuccess(sent -> deadline.arm(sent, client.getScheduler(), responseHeadersTimeoutMs));
        request.onResponseBegin(response -> deadline.disarm());
        request.onComplete(result -> deadline.disarm());
        return request.idleTimeout(STREAM_IDLE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Why the daemon could not be reached, in a few words fit for the client's error message: the
     * operator learns the rest from the log, a client learns no path and no exception text.
     */
    public String unreachable(Throwable failure) {
        if (socket != null && !Files.exists(socket)) {
            return "its socket does not exist";
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            if (t instanceof SSLException) {
                return "TLS failed";
            }
            if (t instanceof EOFException || t instanceof ClosedChannelException) {
                return "it closed the connection";
            }
        }
        return "connection failed";
    }

    /**
     * Aborts an exchange whose response has not begun within the timeout after its request was sent.
     * The response may begin before the request's success is notified (a fast daemon), so disarming
     * first must keep a later arm() from starting the clock: a stream would otherwise be cut.
     */
    private static final class HeadersDeadline {
        private static final Object DONE = new Object();
        /** null: not armed yet; a Scheduler.Task: armed; DONE: the response began, or the exchange ended. */
        private final AtomicReference<Object> state = new AtomicReference<>();

        void arm(Request request, Scheduler scheduler, long timeoutMs) {
            Scheduler.Task task = scheduler.schedule(() -> {
                Object armed = state.get();
                if (armed instanceof Scheduler.Task && state.compareAndSet(armed, DONE)) {
                    request.abort(new TimeoutException("no response headers from the daemon within " + timeoutMs + " ms"));
                }
            }, timeoutMs, TimeUnit.MILLISECONDS);
            if (!state.compareAndSet(null, task)) {
                task.cancel();
            }
        }

        void disarm() {
            if (state.getAndSet(DONE) instanceof Scheduler.Task task) {
                task.cancel();
            }
        }
    }

    private static String hostForUri(String host) {
        if (host.isEmpty()) {
            return "127.0.0.1";
        }
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** Jetty's handler accepts websocket and h2c upgrades only; the Docker API upgrades to "tcp". */
    static final class TcpUpgradeProtocolHandler extends UpgradeProtocolHandler {
        @Override
        protected boolean acceptHeaders(Request request, Response response) {
            HttpField upgrade = response.getHeaders().getField(HttpHeader.UPGRADE);
            if (upgrade == null) {
                upgrade = request.getHeaders().getField(HttpHeader.UPGRADE);
            }
            return upgrade != null && upgrade.contains("tcp");
        }
    }
}
