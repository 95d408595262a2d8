package org.cetusguard.server;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import org.cetusguard.config.Address;
import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.proxy.Backend;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.IO;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Where the proxy listens: one connector per {@code -frontend-addr} (TCP or Unix, plain or TLS), named
 * exactly as given so that profiles can match the listener, and the metrics listener when asked for.
 * Opens them one at a time so that a failure names the address, keeps a Unix socket file private, and
 * says where each one ended up bound.
 */
final class Frontends {
    /**
     * Connections the kernel queues while the proxy does not accept (a burst, or -max-connections
     * reached). Java's default is 50, past which clients are refused or left retrying their SYN; Go
     * listens with the system's maximum. The kernel caps it at net.core.somaxconn.
     */
    static final int ACCEPT_QUEUE = 1024;

    private final Server server;
    private final Timeouts timeouts;
    private final List<Address> addresses = new ArrayList<>();
    private final List<AbstractConnector> frontends = new ArrayList<>();
    private AbstractNetworkConnector metricsListener;

    /** Adds the connectors to {@code server}: the frontends in the order given, then the metrics listener, if any. */
    Frontends(Server server, Options options, Timeouts timeouts) throws StartupException {
        this.server = server;
        this.timeouts = timeouts;
        SslContextFactory.Server tls = TlsContexts.frontend(options);
        for (String addr : options.frontendAddrs()) {
            Address address = parse(addr, "frontend");
            AbstractConnector connector = connector(address, tls);
            // Profiles match the listener by this name, spelled exactly as given to -frontend-addr.
            connector.setName(addr);
            addresses.add(address);
            frontends.add(connector);
            server.addConnector(connector);
        }
        if (!options.metricsAddr().isEmpty()) {
            Address address = parse(options.metricsAddr(), "metrics");
            if (address.isUnix()) {
                throw new StartupException("the metrics listener must be tcp://host:port");
            }
            metricsListener = (AbstractNetworkConnector) connector(address, null);
            metricsListener.setName(options.metricsAddr());
            server.addConnector(metricsListener);
        }
    }

    /** The metrics listener's connector, or null when it is off. */
    Connector metricsListener() {
        return metricsListener;
    }

    /**
     * Before the server starts: makes each Unix socket path free to bind (a stale socket is replaced,
     * anything else refused), then binds the TCP listeners one at a time, so that a failure (port in use,
     * unknown host) names the address; Jetty would bind them too, but its error does not say which.
     * On a failure the listeners bound before it are closed again.
     */
    void open() throws StartupException {
        for (Address address : addresses) {
            if (address.isUnix()) {
                UnixSocketFile.prepare(address.path());
            }
        }
        List<NetworkConnector> opened = new ArrayList<>();
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof NetworkConnector network) {
                try {
                    network.open();
                    opened.add(network);
                } catch (IOException | RuntimeException e) {
                    for (NetworkConnector earlier : opened) {
                        // With no acceptor threads, close() leaves the channel to a stop that never comes.
                        if (earlier instanceof ServerConnector tcp && tcp.getTransport() instanceof Closeable channel) {
                            IO.close(channel);
                        }
                    }
                    String what = connector == metricsListener ? "the metrics listener " + connector.getName()
                            : addresses.get(frontends.indexOf(connector)).toString();
                    throw new StartupException("cannot listen on " + what + ": " + StartupException.reason(e), e);
                }
            }
        }
    }

    /** Once the server runs: owner and group may connect to a Unix frontend, others may not. */
    void restrictUnixSockets() throws StartupException {
        for (Address address : addresses) {
            if (address.isUnix()) {
                UnixSocketFile.restrict(address.path());
            }
        }
    }

    /** The frontends' addresses as bound (a tcp port of 0 is replaced by the one the system chose), in order. */
    List<URI> listeningOn() {
        List<URI> uris = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            Address address = addresses.get(i);
            if (address.isUnix()) {
                uris.add(URI.create("unix://" + address.path().toAbsolutePath()));
            } else {
                int port = ((AbstractNetworkConnector) frontends.get(i)).getLocalPort();
                String host = address.host();
                if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
                    host = "[" + host + "]";
                }
                uris.add(URI.create("tcp://" + host + ":" + port));
            }
        }
        return uris;
    }

    /** The bound address of the metrics listener, or null when it is off. */
    URI metricsOn() {
        return metricsListener == null ? null : URI.create("tcp://127.0.0.1:" + metricsListener.getLocalPort());
    }

    /**
     * One acceptor thread per connector, blocking in accept(): with none, the selector accepts, and when
     * the connection limit is reached and cleared in quick succession Jetty 12.1 re-registers the
     * listening channel while its cancelled key is still there, gets a CancelledKeyException and closes
     * the listening socket for good (reproduced by ResourceExhaustionTest). An acceptor thread simply
     * waits while the limit holds, and clients queue in the kernel's accept queue ({@link #ACCEPT_QUEUE}).
     */
    private AbstractConnector connector(Address address, SslContextFactory.Server tls) {
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

    static Address parse(String addr, String side) throws StartupException {
        try {
            return Address.parse(addr);
        } catch (ConfigException e) {
            throw new StartupException("invalid " + side + " address: " + e.getMessage(), e);
        }
    }
}
