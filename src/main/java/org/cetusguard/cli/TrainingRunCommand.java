package org.cetusguard.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.log.Log;
import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.rules.RuleException;
import org.cetusguard.server.CetusGuardServer;
import org.cetusguard.server.StartupException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code cetusguard training-run}: runs the proxy for a moment, on loopback, in front of a stand-in
 * daemon on a private Unix socket, and sends it the requests a proxy serves all day (a ping, a list and
 * an inspect, a stream, a refused request, a container create that the policy reads). Nothing else is
 * reached. Its purpose is the class-data archive: run under {@code -XX:DumpLoadedClassList}, it records
 * the classes the proxy loads up to its first answers, which the build ships and bin/cetusguard turns
 * into an archive so that the proxy starts and answers in a fraction of the time. Exit 0, or 1 when an
 * answer was not the expected one.
 */
final class TrainingRunCommand {
    private record Exchange(String request, int status) {
    }

    private static final String CREATE = "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":{\"Binds\":[]}}";

    private static final List<Exchange> EXCHANGES = List.of(
            new Exchange("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n", 200),
            new Exchange("GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: docker\r\n\r\n", 200),
            new Exchange("GET /v1.41/containers/web/json HTTP/1.1\r\nHost: docker\r\n\r\n", 200),
            new Exchange("GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n", 200),
            new Exchange("DELETE /v1.41/containers/web HTTP/1.1\r\nHost: docker\r\n\r\n", 403),
            new Exchange("POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + CREATE.length() + "\r\n\r\n" + CREATE, 201));

    private TrainingRunCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException, RuleException {
        if (java.util.Arrays.stream(args).anyMatch(arg -> arg.matches("--?h(elp)?"))) {
            return Commands.printHelp("training-run", out);
        }
        if (args.length > 0) {
            throw new ConfigException("training-run takes no options: it configures the proxy it runs itself");
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("cetusguard-training");
        } catch (IOException e) {
            throw new ConfigException("cannot make a directory for the stand-in daemon's socket: " + e.getMessage());
        }
        Path socket = dir.resolve("docker.sock");
        Server daemon = standInDaemon(socket);
        CetusGuardServer proxy = null;
        int level = Log.level();
        Log.setLevel(Log.ERROR);
        try {
            daemon.start();
            Options options = OptionsParser.parse(new String[] {"-backend-addr", "unix://" + socket,
                "-frontend-addr", "tcp://127.0.0.1:0", "-rules", "GET %API_PREFIX_CONTAINERS%(/.*)?\nGET %API_PREFIX_EVENTS%\n"
                + "POST %API_PREFIX_CONTAINERS%/create", "-policy", "deny-host-access"}, Map.of());
            proxy = new CetusGuardServer(options, ProfileLoader.load(options));
            proxy.start();
            URI frontend = proxy.listeningOn().get(0);
            int failed = 0;
            try (Socket client = new Socket(frontend.getHost(), frontend.getPort())) {
                client.setSoTimeout(10_000);
                for (Exchange exchange : EXCHANGES) {
                    int status = exchange(client, exchange.request());
                    if (status != exchange.status()) {
                        out.println("training-run: " + exchange.request().lines().findFirst().orElse("") + " -> " + status
                                + ", expected " + exchange.status());
                        failed++;
                    }
                }
            }
            out.println("training-run: " + (EXCHANGES.size() - failed) + " of " + EXCHANGES.size() + " answers as expected");
            return failed == 0 ? 0 : 1;
        } catch (StartupException | IOException e) {
            out.println("training-run: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            out.println("training-run: the stand-in daemon failed: " + e);
            return 1;
        } finally {
            Log.setLevel(level);
            if (proxy != null) {
                proxy.stop();
            }
            try {
                daemon.stop();
                Files.deleteIfExists(socket);
                Files.deleteIfExists(dir);
            } catch (Exception e) {
                // a tool about to exit
            }
        }
    }

    /** Sends one request on the keep-alive connection and reads its whole answer; returns the status. */
    private static int exchange(Socket client, String request) throws IOException {
        OutputStream toProxy = client.getOutputStream();
        toProxy.write(request.getBytes(StandardCharsets.US_ASCII));
        toProxy.flush();
        InputStream fromProxy = client.getInputStream();
        String statusLine = line(fromProxy);
        long length = -1;
        boolean chunked = false;
        for (String header = line(fromProxy); !header.isEmpty(); header = line(fromProxy)) {
            String lower = header.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            for (long size = Long.parseLong(line(fromProxy).trim(), 16); size > 0; size = Long.parseLong(line(fromProxy).trim(), 16)) {
                fromProxy.readNBytes((int) size);
                line(fromProxy);
            }
            line(fromProxy);
        } else if (length > 0) {
            fromProxy.readNBytes((int) length);
        }
        return Integer.parseInt(statusLine.split(" ")[1]);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the proxy closed the connection");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    /** Answers as the daemon would, in the shapes that matter: a fixed length, chunks, a stream that ends. */
    private static Server standInDaemon(Path socket) {
        Server server = new Server(new QueuedThreadPool(4, 1));
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(socket);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = Request.getPathInContext(request);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                if (path.endsWith("/_ping")) {
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                    response.write(true, ByteBuffer.wrap("OK".getBytes(StandardCharsets.US_ASCII)), callback);
                } else if (path.endsWith("/create")) {
                    response.setStatus(201);
                    response.write(false, ByteBuffer.wrap("{\"Id\":\"0123456789ab\",".getBytes(StandardCharsets.US_ASCII)),
                            Callback.from(() -> response.write(true,
                                    ByteBuffer.wrap("\"Warnings\":[]}\n".getBytes(StandardCharsets.US_ASCII)), callback), callback::failed));
                } else {
                    // No length, two writes: chunked, as the daemon sends lists, inspects and streams.
                    response.write(false, ByteBuffer.wrap("[{\"Id\":\"0123456789ab\"},".getBytes(StandardCharsets.US_ASCII)),
                            Callback.from(() -> response.write(true,
                                    ByteBuffer.wrap("{\"Id\":\"ba9876543210\"}]\n".getBytes(StandardCharsets.US_ASCII)), callback), callback::failed));
                }
                return true;
            }
        });
        return server;
    }
}
