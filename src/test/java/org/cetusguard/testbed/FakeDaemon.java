package org.cetusguard.testbed;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.cetusguard.text.Escape;

/**
 * A stand-in for the Docker daemon on a Unix socket that records, byte for byte, every request the
 * proxy sends it, and answers as told by its {@link Mode}.
 *
 * <p>It parses strictly, the way a hardened HTTP/1.1 server would: CRLF line ends only, origin-form
 * targets only, no obsolete line folding, no whitespace before a colon, at most one Content-Length,
 * never Content-Length together with Transfer-Encoding, Transfer-Encoding exactly {@code chunked},
 * no chunk extensions. Whatever the proxy sends that breaks one of those is a {@link #problems()
 * problem}: a proxy that re-frames every request must never produce one. A request whose bytes stop
 * before its end is counted in {@link #incomplete()}, not in {@link #received()}.
 *
 * <p>Every answer carries {@code X-Fake-Daemon: <sequence number>}, so a client can tell an answer
 * from the daemon from one the proxy made up.
 */
public final class FakeDaemon implements AutoCloseable {
    /** How the next requests are answered. */
    public enum Mode {
        /** 200 with a small JSON body (101 and an echo tunnel for {@code Upgrade: tcp}). */
        ANSWER,
        /** Read the request, never answer, keep the connection open. */
        HANG,
        /** Wait {@link #delayMs} before answering as ANSWER. */
        DELAY,
        /** Announce Content-Length 100000, send a few bytes, close. */
        TRUNCATE_LENGTH,
        /** Chunked: send one chunk, close without the last chunk. */
        TRUNCATE_CHUNKED,
        /** Chunked headers at once, then a line every 100 ms until the peer goes away. */
        STREAM,
        /** Like STREAM but a line only every {@link #delayMs}: a quiet event stream or `logs -f`. */
        QUIET_STREAM,
        /** Chunked: three lines 200 ms apart, then the last chunk; the connection stays usable. */
        SHORT_STREAM,
        /** As ANSWER, but the body chunked, as the daemon sends container lists and inspects. */
        CHUNKED
    }

    /** One complete request as it arrived. */
    public record Received(int sequence, String method, String target, List<String[]> headers, byte[] body, String raw) {
        /** The value of the first header with that name (case-insensitive), or null. */
        public String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        public String line() {
            return method + " " + target;
        }

        @Override
        public String toString() {
            return line();
        }
    }

    private static final Pattern REQUEST_LINE = Pattern.compile("([A-Z]+) (\\S+) HTTP/1\\.1");
    private static final Pattern HEADER = Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \\t]*(.*?)[ \\t]*");
    private static final int MAX_LINE = 64 * 1024;

    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger incomplete = new AtomicInteger();
    private final AtomicInteger chunks = new AtomicInteger();
    private final AtomicInteger sequence = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private volatile Mode mode = Mode.ANSWER;
    private volatile long delayMs;
    private volatile boolean closed;

    private FakeDaemon(Path socket) throws IOException {
        this.socket = socket;
        Files.deleteIfExists(socket);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket), 4096); // a real daemon's backlog (somaxconn), not Java's 50
        acceptor = new Thread(this::acceptLoop, "fake-daemon-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on {@code socket} (replaced if it exists). */
    public static FakeDaemon start(Path socket) throws IOException {
        return new FakeDaemon(socket);
    }

    public Path socket() {
        return socket;
    }

    /** The -backend-addr for a proxy in front of this daemon. */
    public String address() {
        return "unix://" + socket;
    }

    public void mode(Mode mode) {
        this.mode = mode;
    }

    public void delayMs(long delayMs) {
        this.delayMs = delayMs;
    }

    /** Complete requests received so far, in order. */
    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Protocol violations in what the proxy sent. */
    public List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    /** Requests whose bytes stopped before their end (the proxy gave up on them). */
    public int incomplete() {
        return incomplete.get();
    }

    /** Chunks of chunked request bodies read whole, of complete and incomplete requests alike. */
    public int chunksRead() {
        return chunks.get();
    }

    /** Connections accepted since start. */
    public int accepted() {
        return accepted.get();
    }

    /** Connections from the proxy open right now. */
    public int openConnections() {
        return (int) open.stream().filter(SocketChannel::isOpen).count();
    }

    /** Forgets what was recorded (not the open connections). */
    public void clear() {
        received.clear();
        problems.clear();
        incomplete.set(0);
        chunks.set(0);
    }

    /** Closes every connection from the proxy at once, as a crashing daemon would. */
    public void dropConnections() {
        for (SocketChannel ch : open) {
            closeQuietly(ch);
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        dropConnections();
        try {
            acceptor.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(socket);
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            open.add(ch);
            Thread t = new Thread(() -> serve(ch), "fake-daemon-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
            OutputStream out = Channels.newOutputStream(ch);
            while (true) {
                Parsed request = readRequest(in);
                if (request == null) {
                    return; // clean end between requests
                }
                int n = sequence.incrementAndGet();
                Received r = new Received(n, request.method, request.target, request.headers, request.body,
                        new String(request.raw.toByteArray(), StandardCharsets.ISO_8859_1));
                received.add(r);
                if (!answer(r, ch, in, out)) {
                    return;
                }
            }
        } catch (IOException e) {
            // Peer went away; whatever was half-read was counted by readRequest.
        } finally {
            open.remove(ch);
        }
    }

    /** Returns false when the connection must end after this answer. */
    private boolean answer(Received r, SocketChannel ch, InputStream in, OutputStream out) throws IOException {
        String upgrade = r.header("Upgrade");
        String connection = r.header("Connection");
        boolean hijack = upgrade != null && connection != null && upgrade.toLowerCase(Locale.ROOT).contains("tcp")
                && connection.toLowerCase(Locale.ROOT).contains("upgrade");
        Mode m = mode;
        switch (m) {
            case HANG:
                // Never answer; wait for the proxy to give up.
                while (in.read() >= 0) {
                    // discard
                }
                return false;
            case DELAY:
                sleep(delayMs);
                break;
            case TRUNCATE_LENGTH:
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
                        + "X-Fake-Daemon: " + r.sequence() + "\r\n\r\n{\"partial\":");
                return false;
            case TRUNCATE_CHUNKED:
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                        + "X-Fake-Daemon: " + r.sequence() + "\r\n\r\n6\r\nline1\n\r\n");
                sleep(200);
                return false;
            case STREAM:
            case QUIET_STREAM:
                write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                        + "X-Fake-Daemon: " + r.sequence() + "\r\n\r\n");
                // Like the real daemon (Go's background read): notice at once when the proxy hangs up.
                // (On the channel itself: its stream wrappers would lock out the writer while reading.)
                Thread watcher = new Thread(() -> {
                    try {
                        while (ch.read(java.nio.ByteBuffer.allocate(256)) >= 0) {
                            // a proxy never sends more here
                        }
                    } catch (IOException ignored) {
                        // closed
                    }
                    closeQuietly(ch);
                }, "fake-daemon-stream-watch");
                watcher.setDaemon(true);
                watcher.start();
                for (int i = 0; !closed; i++) {
                    sleep(m == Mode.STREAM ? 100 : delayMs);
                    String line = "{\"event\":" + i + "}\n";
                    write(out, Integer.toHexString(line.length()) + "\r\n" + line + "\r\n");
                }
                return false;
            default:
                break;
        }
        if (m == Mode.SHORT_STREAM) {
            write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                    + "X-Fake-Daemon: " + r.sequence() + "\r\n\r\n");
            for (int i = 0; i < 3; i++) {
                sleep(200);
                String line = "{\"event\":" + i + "}\n";
                write(out, Integer.toHexString(line.length()) + "\r\n" + line + "\r\n");
            }
            write(out, "0\r\n\r\n");
            return true;
        }
        if (hijack) {
            write(out, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                    + "Connection: Upgrade\r\nUpgrade: tcp\r\nX-Fake-Daemon: " + r.sequence() + "\r\n\r\n");
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
            return false;
        }
        String body = "{\"fake\":\"daemon\",\"seq\":" + r.sequence() + "}\n";
        if (m == Mode.CHUNKED) {
            write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                    + "X-Fake-Daemon: " + r.sequence() + "\r\n\r\n" + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n");
            return true;
        }
        String head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                + "\r\nX-Fake-Daemon: " + r.sequence() + "\r\n\r\n";
        write(out, r.method().equals("HEAD") ? head : head + body);
        return true;
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------

    private static final class Parsed {
        final ByteArrayOutputStream raw = new ByteArrayOutputStream();
        String method;
        String target;
        final List<String[]> headers = new ArrayList<>();
        byte[] body = new byte[0];
    }

    /** Null at a clean end of stream before any byte of a request. */
    private Parsed readRequest(InputStream in) throws IOException {
        Parsed p = new Parsed();
        String requestLine;
        try {
            requestLine = readLine(in, p, true);
            if (requestLine == null) {
                return null;
            }
            Matcher m = REQUEST_LINE.matcher(requestLine);
            if (!m.matches()) {
                problem("bad request line: " + Escape.forMessageText(requestLine));
                p.method = "?";
                p.target = requestLine;
            } else {
                p.method = m.group(1);
                p.target = m.group(2);
                if (!p.target.startsWith("/")) {
                    problem("target not in origin-form: " + Escape.forMessageText(p.target));
                }
            }
            while (true) {
                String line = readLine(in, p, false);
                if (line.isEmpty()) {
                    break;
                }
                if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                    problem("obsolete line folding: " + Escape.forMessageText(line));
                    continue;
                }
                Matcher h = HEADER.matcher(line);
                if (!h.matches()) {
                    problem("bad header line: " + Escape.forMessageText(line));
                    continue;
                }
                p.headers.add(new String[] {h.group(1), h.group(2)});
            }
            p.body = readBody(in, p);
            return p;
        } catch (EOFException e) {
            incomplete.incrementAndGet();
            throw e;
        }
    }

    private byte[] readBody(InputStream in, Parsed p) throws IOException {
        List<String> lengths = new ArrayList<>();
        List<String> encodings = new ArrayList<>();
        for (String[] h : p.headers) {
            if (h[0].equalsIgnoreCase("Content-Length")) {
                lengths.add(h[1]);
            } else if (h[0].equalsIgnoreCase("Transfer-Encoding")) {
                encodings.add(h[1]);
            }
        }
        if (!lengths.isEmpty() && !encodings.isEmpty()) {
            problem("Content-Length and Transfer-Encoding together");
        }
        if (lengths.size() > 1) {
            problem("several Content-Length headers: " + lengths);
        }
        if (!encodings.isEmpty()) {
            if (encodings.size() != 1 || !encodings.get(0).equals("chunked")) {
                problem("Transfer-Encoding other than one 'chunked': " + encodings);
            }
            return readChunked(in, p);
        }
        if (lengths.isEmpty()) {
            return new byte[0];
        }
        String value = lengths.get(0);
        if (!value.matches("[0-9]{1,18}")) {
            problem("bad Content-Length: " + Escape.forMessageText(value));
            return new byte[0];
        }
        return readExactly(in, p, Long.parseLong(value));
    }

    private byte[] readChunked(InputStream in, Parsed p) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in, p, false);
            if (!sizeLine.matches("[0-9a-fA-F]{1,15}")) {
                problem("bad chunk size line: " + Escape.forMessageText(sizeLine));
                if (!sizeLine.matches("[0-9a-fA-F]{1,15};.*")) {
                    throw new EOFException("cannot frame the body");
                }
                sizeLine = sizeLine.substring(0, sizeLine.indexOf(';'));
            }
            long size = Long.parseLong(sizeLine, 16);
            if (size == 0) {
                while (!readLine(in, p, false).isEmpty()) {
                    problem("trailer field forwarded");
                }
                return body.toByteArray();
            }
            body.writeBytes(readExactly(in, p, size));
            chunks.incrementAndGet();
            if (!readLine(in, p, false).isEmpty()) {
                problem("chunk data longer than its size");
            }
        }
    }

    private static byte[] readExactly(InputStream in, Parsed p, long length) throws IOException {
        if (length > 64L * 1024 * 1024) {
            throw new EOFException("body too large for a test");
        }
        byte[] bytes = in.readNBytes((int) length);
        p.raw.writeBytes(bytes);
        if (bytes.length < length) {
            throw new EOFException("body cut short");
        }
        return bytes;
    }

    /** A line without its CRLF. Null at EOF before any byte when {@code first}; EOFException otherwise. */
    private String readLine(InputStream in, Parsed p, boolean first) throws IOException {
        StringBuilder line = new StringBuilder();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (first && line.length() == 0 && previous < 0) {
                    return null;
                }
                throw new EOFException("connection closed inside a request");
            }
            p.raw.write(b);
            if (b == '\n') {
                if (previous != '\r') {
                    problem("bare LF line ending after: " + Escape.forMessageText(line.toString()));
                    return line.toString();
                }
                line.setLength(line.length() - 1);
                return line.toString();
            }
            if (previous == '\r') {
                problem("bare CR inside a line: " + Escape.forMessageText(line.toString()));
            }
            if (b == 0) {
                problem("NUL byte in a line");
            }
            line.append((char) b);
            previous = b;
            if (line.length() > MAX_LINE) {
                throw new EOFException("line too long");
            }
        }
    }

    private void problem(String what) {
        problems.add(what);
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }
}
