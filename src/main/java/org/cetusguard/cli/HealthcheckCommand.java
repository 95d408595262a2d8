package org.cetusguard.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.cetusguard.config.Address;
import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.server.TlsContexts;

/**
 * {@code cetusguard healthcheck [options]}: sends {@code GET /_ping} through the proxy's first frontend
 * (read from the same options and environment as the proxy), which reaches the daemon, so it fails
 * both when the proxy is down and when the daemon is unreachable (502). On a TLS frontend it can only
 * check that the port accepts connections, and then pings a Unix-socket daemon directly. Plain JDK
 * sockets, no Jetty: a container HEALTHCHECK runs it as a second, small JVM, with no shell.
 * Exit 0 healthy, 1 not.
 */
final class HealthcheckCommand {
    private static final byte[] PING = "GET /_ping HTTP/1.0\r\nHost: cetusguard\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private HealthcheckCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException {
        Options options = OptionsParser.parse(args, env);
        Address frontend = Address.parse(options.frontendAddrs().get(0));
        boolean tls = TlsContexts.present(options.frontendTlsCert());
        try {
            if (!tls) {
                String status = ping(socketAddress(frontend));
                return report(out, status.matches("HTTP/1\\.[01] 200( .*)?"), "GET /_ping through " + frontend + ": " + status);
            }
            try (SocketChannel ignored = SocketChannel.open(socketAddress(frontend))) {
                // Listening is all that can be told without a client certificate.
            }
            Address backend = Address.parse(options.backendAddr());
            if (!backend.isUnix()) {
                return report(out, true, frontend + " accepts connections (TLS frontend; the daemon was not probed)");
            }
            String status = ping(socketAddress(backend));
            return report(out, status.matches("HTTP/1\\.[01] 200( .*)?"), frontend + " accepts connections; daemon /_ping: " + status);
        } catch (IOException | RuntimeException e) {
            return report(out, false, frontend + ": " + e);
        }
    }

    /** The status line of a GET /_ping, on a fresh connection. */
    private static String ping(SocketAddress address) throws IOException {
        // open(address) picks the protocol family (TCP or Unix); the health check's own timeout bounds it.
        try (SocketChannel channel = SocketChannel.open(address)) {
            channel.write(ByteBuffer.wrap(PING));
            ByteBuffer in = ByteBuffer.allocate(512);
            while (in.hasRemaining() && channel.read(in) >= 0) {
                if (new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII).contains("\r\n")) {
                    break;
                }
            }
            String head = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII);
            int end = head.indexOf("\r\n");
            return end < 0 ? "no answer" : head.substring(0, end);
        }
    }

    private static SocketAddress socketAddress(Address address) {
        if (address.isUnix()) {
            return UnixDomainSocketAddress.of(address.path());
        }
        String host = address.host();
        host = host.isEmpty() || host.equals("0.0.0.0") ? "127.0.0.1" : host.equals("::") ? "::1" : host;
        return new InetSocketAddress(host, address.port());
    }

    private static int report(PrintStream out, boolean healthy, String message) {
        out.println((healthy ? "healthy: " : "unhealthy: ") + message);
        return healthy ? 0 : 1;
    }
}
