package org.cetusguard;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Timer;
import java.util.TimerTask;

/**
 * A plain HTTP/1.1 client over TCP (127.0.0.1) or a Unix socket, with nothing between the test and
 * the proxy: one request per connection ({@code Connection: close}), every exchange bounded by a
 * watchdog that closes the connection when time runs out.
 */
final class RawHttp {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Timer WATCHDOG = new Timer("raw-http-watchdog", true);

    private RawHttp() {
    }

    /** Status line, status, headers (as received) and the body (de-chunked). */
    record Reply(String statusLine, int status, String headers, String body) {
        @Override
        public String toString() {
            return statusLine + " body=" + (body.length() > 500 ? body.substring(0, 500) + "..." : body);
        }
    }

    static Reply tcp(int port, String method, String path) throws IOException {
        return exchange(Connection.tcp(port), method, path);
    }

    static Reply unix(Path socket, String method, String path) throws IOException {
        return exchange(Connection.unix(socket), method, path);
    }

    private static Reply exchange(Connection c, String method, String path) throws IOException {
        TimerTask closer = c.closeAfter(TIMEOUT);
        try (c) {
            c.out.write(request(method, path, true).getBytes(StandardCharsets.ISO_8859_1));
            c.out.flush();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            c.in.transferTo(all);
            return parse(all.toByteArray());
        } catch (IOException e) {
            throw new IOException(method + " " + path + ": " + e.getMessage() + " (timeout " + TIMEOUT.toMillis() + " ms)", e);
        } finally {
            closer.cancel();
        }
    }

    /**
     * Sends a request whose response is a stream (e.g. {@code GET /events}) and returns once the
     * response head has arrived, leaving the connection open. The caller closes it.
     */
    static OpenStream openStream(Connection c, String method, String path) throws IOException {
        TimerTask closer = c.closeAfter(TIMEOUT);
        try {
            c.out.write(request(method, path, false).getBytes(StandardCharsets.ISO_8859_1));
            c.out.flush();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = c.in.read()) >= 0) {
                head.write(b);
                if (head.size() >= 4 && head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                    break;
                }
            }
            closer.cancel();
            String text = head.toString(StandardCharsets.ISO_8859_1);
            return new OpenStream(c, text.isEmpty() ? "" : text.substring(0, Math.max(0, text.indexOf("\r\n"))), text);
        } catch (IOException e) {
            closer.cancel();
            c.close();
            throw e;
        }
    }

    /** A response whose head has been read; the body is still coming. */
    record OpenStream(Connection connection, String statusLine, String head) implements Closeable {
        /** Reads what is left until the server closes the connection or {@code timeout} passes; returns -1 on timeout. */
        long readToEnd(Duration timeout) {
            TimerTask closer = connection.closeAfter(timeout);
            long start = System.nanoTime();
            try {
                connection.in.transferTo(OutputStream.nullOutputStream());
                return Duration.ofNanos(System.nanoTime() - start).toMillis();
            } catch (IOException e) {
                // Reset by the server counts as an end too, unless the watchdog did it.
                return connection.closed ? -1 : Duration.ofNanos(System.nanoTime() - start).toMillis();
            } finally {
                closer.cancel();
            }
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    private static String request(String method, String path, boolean close) {
        StringBuilder b = new StringBuilder();
        b.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: docker\r\nUser-Agent: cetusguard-it\r\n");
        if (method.equals("POST") || method.equals("PUT")) {
            b.append("Content-Type: application/json\r\nContent-Length: 0\r\n");
        }
        if (close) {
            b.append("Connection: close\r\n");
        }
        return b.append("\r\n").toString();
    }

    static Reply parse(byte[] raw) throws IOException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || headEnd < 0) {
            throw new IOException("not an HTTP response: " + (text.length() > 200 ? text.substring(0, 200) : text));
        }
        String statusLine = text.substring(0, text.indexOf("\r\n"));
        int status = Integer.parseInt(statusLine.substring(9, 12));
        String headers = text.substring(0, headEnd);
        String body = text.substring(headEnd + 4);
        if (headers.toLowerCase(Locale.ROOT).contains("\r\ntransfer-encoding: chunked")) {
            body = dechunk(body);
        }
        return new Reply(statusLine, status, headers, new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }

    private static String dechunk(String chunked) throws IOException {
        StringBuilder out = new StringBuilder();
        int pos = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", pos);
            if (eol < 0) {
                throw new IOException("truncated chunked body");
            }
            String size = chunked.substring(pos, eol);
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                return out.toString();
            }
            out.append(chunked, eol + 2, eol + 2 + n);
            pos = eol + 2 + n + 2;
        }
    }

    /** One client connection; closing it is idempotent. */
    static final class Connection implements Closeable {
        final InputStream in;
        final OutputStream out;
        private final Closeable underlying;
        volatile boolean closed;

        private Connection(InputStream in, OutputStream out, Closeable underlying) {
            this.in = in;
            this.out = out;
            this.underlying = underlying;
        }

        static Connection tcp(int port) throws IOException {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) TIMEOUT.toMillis());
                return new Connection(s.getInputStream(), s.getOutputStream(), s);
            } catch (IOException e) {
                s.close();
                throw e;
            }
        }

        static Connection unix(Path socket) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return new Connection(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        }

        TimerTask closeAfter(Duration timeout) {
            TimerTask task = new TimerTask() {
                @Override
                public void run() {
                    close();
                }
            };
            WATCHDOG.schedule(task, timeout.toMillis());
            return task;
        }

        @Override
        public void close() {
            closed = true;
            try {
                underlying.close();
            } catch (IOException ignored) {
                // Best effort.
            }
        }
    }
}
