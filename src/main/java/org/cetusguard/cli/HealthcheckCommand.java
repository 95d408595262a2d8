package org.cetusguard.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.cetusguard.config.Address;
import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.proxy.Backend;
import org.cetusguard.server.StartupException;
import org.cetusguard.server.TlsContexts;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code cetusguard healthcheck [options]}: ready means the proxy listens on its first frontend and the
 * daemon answers {@code /_ping} at the backend address, both read from the same options and
 * environment as the proxy itself. Needs no shell, so a container HEALTHCHECK can run it directly.
 * Exit 0 ready, 1 not.
 */
final class HealthcheckCommand {
    private static final int TIMEOUT_MS = 5000;

    private HealthcheckCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException {
        Options options = OptionsParser.parse(args, env);
        Address frontend = Address.parse(options.frontendAddrs().get(0));
        try {
            connect(frontend);
        } catch (IOException e) {
            out.println("unhealthy: nothing listens on " + frontend + ": " + e.getMessage());
            return 1;
        }
        try {
            int status = pingBackend(options);
            if (status != 200) {
                out.println("unhealthy: the daemon answered /_ping with " + status);
                return 1;
            }
        } catch (Exception e) {
            out.println("unhealthy: the daemon at " + options.backendAddr() + " does not answer: " + e.getMessage());
            return 1;
        }
        out.println("healthy");
        return 0;
    }

    private static void connect(Address frontend) throws IOException {
        if (frontend.isUnix()) {
            try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                channel.connect(UnixDomainSocketAddress.of(frontend.path()));
            }
            return;
        }
        String host = frontend.host().isEmpty() ? "127.0.0.1" : frontend.host();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, frontend.port()), TIMEOUT_MS);
        }
    }

    private static int pingBackend(Options options) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(4, 1);
        Backend backend = new Backend(Address.parse(options.backendAddr()), backendTls(options), threads);
        threads.start();
        backend.start();
        try {
            ContentResponse response = backend.prepare(backend.httpClient().newRequest(backend.uri("/_ping")))
                    .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).send();
            return response.getStatus();
        } finally {
            backend.stop();
            threads.stop();
        }
    }

    private static org.eclipse.jetty.util.ssl.SslContextFactory.Client backendTls(Options options) throws StartupException {
        if (!TlsContexts.present(options.backendTlsCacert()) && !TlsContexts.present(options.backendTlsCert())) {
            return null;
        }
        return TlsContexts.client(options.backendTlsCacert(), options.backendTlsCert(), options.backendTlsKey());
    }
}
