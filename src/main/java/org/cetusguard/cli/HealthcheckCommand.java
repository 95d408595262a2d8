package org.cetusguard.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;

import org.cetusguard.config.Address;
import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Option;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.server.StartupException;
import org.cetusguard.server.TlsContexts;
import org.cetusguard.text.Escape;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * {@code cetusguard healthcheck [options]}: what the README promises, read from the same options and
 * environment as the proxy beside it. Healthy when both hold:
 * <ul>
 *   <li>the proxy is up: its first frontend answers an HTTP request (any status: a 403 from rules
 *       without /_ping, e.g. -no-builtin-rules, still means it serves), or on a TLS frontend accepts
 *       the connection (without a client certificate nothing more can be told);
 *   <li>the daemon is reachable: {@code GET /_ping} at -backend-addr answers 200, sent directly
 *       (over TLS with the -backend-tls-* options), not through the rules.
 * </ul>
 * Plain JDK sockets, no Jetty server: a container HEALTHCHECK runs it as a second, small JVM, with no
 * shell; the check's own timeout bounds the connections. Exit 0 healthy, 1 not.
 */
final class HealthcheckCommand {
    private static final byte[] PING = "GET /_ping HTTP/1.0\r\nHost: cetusguard\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern HTTP_STATUS = Pattern.compile("HTTP/1\\.[01] [0-9]{3}( .*)?");
    private static final Pattern HTTP_OK = Pattern.compile("HTTP/1\\.[01] 200( .*)?");
    private static final int TLS_TIMEOUT_MS = 10_000;

    private HealthcheckCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException {
        Options options = OptionsParser.parse(args, env);
        if (options.help()) {
            return Commands.printHelp("healthcheck", out);
        }
        Address frontend;
        Address backend;
        try {
            frontend = options.addresses(Option.FRONTEND_ADDR).get(0);
            backend = options.addresses(Option.BACKEND_ADDR).get(0);
        } catch (ConfigException e) {
            return report(out, false, e.getMessage());
        }

        String proxy;
        try {
            if (TlsContexts.present(options.frontendTlsCert())) {
                try (SocketChannel ignored = SocketChannel.open(socketAddress(frontend))) {
                    proxy = "the proxy accepts connections on " + frontend + " (TLS)";
                }
            } else {
                String status = ping(frontend);
                if (!HTTP_STATUS.matcher(status).matches()) {
                    return report(out, false, "the proxy on " + frontend + " does not answer HTTP: " + status);
                }
                proxy = "the proxy answers on " + frontend + " (" + status + ")";
            }
        } catch (IOException | RuntimeException e) {
            return report(out, false, "the proxy on " + frontend + ": " + describe(e));
        }

        String daemon;
        try {
            daemon = TlsContexts.backendConfigured(options) ? pingTls(backend, options) : ping(backend);
        } catch (IOException | StartupException | RuntimeException e) {
            return report(out, false, proxy + "; the daemon at " + backend + ": " + describe(e));
        }
        return report(out, HTTP_OK.matcher(daemon).matches(), proxy + "; the daemon at " + backend + " answers /_ping: " + daemon);
    }

    /** GET /_ping on a fresh connection: the status line, or "no answer". */
    private static String ping(Address address) throws IOException {
        // open(address) picks the protocol family (TCP or Unix).
        try (SocketChannel channel = SocketChannel.open(socketAddress(address))) {
            return exchange(Channels.newInputStream(channel), Channels.newOutputStream(channel));
        }
    }

    /** The same over TLS, verifying the daemon as the proxy does (its CA, or the JVM's trust store; its host name). */
    private static String pingTls(Address address, Options options) throws IOException, StartupException {
        if (address.isUnix()) {
            throw new IOException("the -backend-tls-* options need a tcp:// backend");
        }
        SslContextFactory.Client tls = TlsContexts.backend(options);
        try {
            tls.start();
            try (SSLSocket socket = tls.newSslSocket()) {
                socket.connect(new InetSocketAddress(address.host(), address.port()), TLS_TIMEOUT_MS);
                socket.setSoTimeout(TLS_TIMEOUT_MS);
                return exchange(socket.getInputStream(), socket.getOutputStream());
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            try {
                tls.stop();
            } catch (Exception ignored) {
                // nothing held that outlives the process
            }
        }
    }

    private static String exchange(InputStream in, OutputStream out) throws IOException {
        out.write(PING);
        out.flush();
        byte[] head = new byte[512];
        int n = 0;
        int read;
        while (n < head.length && (read = in.read(head, n, head.length - n)) >= 0) {
            n += read;
            if (new String(head, 0, n, StandardCharsets.US_ASCII).contains("\r\n")) {
                break;
            }
        }
        String text = new String(head, 0, n, StandardCharsets.US_ASCII);
        int end = text.indexOf("\r\n");
        return end < 0 ? "no answer" : Escape.forMessageText(text.substring(0, end));
    }

    private static SocketAddress socketAddress(Address address) {
        if (address.isUnix()) {
            return UnixDomainSocketAddress.of(address.path());
        }
        String host = address.host();
        host = host.isEmpty() || host.equals("0.0.0.0") ? "127.0.0.1" : host.equals("::") ? "::1" : host;
        return new InetSocketAddress(host, address.port());
    }

    private static String describe(Exception e) {
        return Escape.forMessageText(e.getMessage() == null ? e.toString() : e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    private static int report(PrintStream out, boolean healthy, String message) {
        out.println((healthy ? "healthy: " : "unhealthy: ") + message);
        return healthy ? 0 : 1;
    }
}
