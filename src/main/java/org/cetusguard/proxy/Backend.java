package org.cetusguard.proxy;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.cetusguard.config.Address;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.UpgradeProtocolHandler;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;

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

    private final HttpClient client;
    private final Transport transport;
    private final String origin;

    public Backend(Address address, SslContextFactory.Client tls, Executor executor) {
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setConnectTimeout(java.time.Duration.ofSeconds(30));
        if (tls != null) {
            connector.setSslContextFactory(tls);
        }
        client = new HttpClient(new HttpClientTransportOverHTTP(connector));
        client.setExecutor(executor);
        // Everything the daemon says is relayed as is: no redirects followed, no cookies kept,
        // no content decoded, no User-Agent of ours added, no protocol handled but the tcp upgrade.
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setUserAgentField(null);
        client.setIdleTimeout(POOL_IDLE_TIMEOUT_MS);
        // Long-lived streams each hold a connection; a low cap would queue every later request behind them.
        client.setMaxConnectionsPerDestination(4096);
        addBean(client);

        String scheme = tls != null ? "https" : "http";
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

    /** The absolute URI for a canonical target (encoded path plus optional query). */
    public String uri(String target) {
        return origin + target;
    }

    /** Points a request at the daemon's transport and gives it the streaming idle timeout. */
    public Request prepare(Request request) {
        if (transport != null) {
            request.transport(transport);
        }
        return request.idleTimeout(STREAM_IDLE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
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
