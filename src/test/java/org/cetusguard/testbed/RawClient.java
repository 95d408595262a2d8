package org.cetusguard.testbed;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A client that writes exactly the bytes it is given to a TCP frontend and reads HTTP/1.1 answers
 * back without any interpretation beyond framing: nothing is normalised on the way out, so hostile
 * requests reach the proxy as written.
 */
public final class RawClient implements AutoCloseable {
    /** One answer. {@code complete} is false when the connection ended inside its body. */
    public record Response(int status, String statusLine, List<String[]> headers, byte[] body, boolean complete) {
        public String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** Whether the Docker daemon (the fake one) produced this answer, rather than the proxy. */
        public boolean fromDaemon() {
            return header("X-Fake-Daemon") != null;
        }

        @Override
        public String toString() {
            return statusLine + (complete ? "" : " (truncated)") + " " + bodyText().trim();
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean chunkEndPending;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static RawClient connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setTcpNoDelay(true);
        s.setSoTimeout(5_000);
        return new RawClient(s);
    }

    /**
     * One request on a fresh connection, asked to close after it ({@code Connection: close} added to
     * its headers): everything that arrives until the proxy closes or {@code timeout} passes, as text.
     */
    public static String exchangeUntilClose(int port, String request, Duration timeout) throws IOException {
        try (RawClient client = connect(port)) {
            client.send(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
            return new String(client.readUntilClose(timeout), StandardCharsets.ISO_8859_1);
        }
    }

    /** The bytes that arrive until the proxy closes the connection (or resets it) or {@code timeout} passes. */
    public byte[] readUntilClose(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                socket.setSoTimeout((int) left);
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                bytes.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException enough) {
            // keep what arrived
        } catch (IOException reset) {
            // a reset ends the connection like EOF
        }
        return bytes.toByteArray();
    }

    public RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Whether some answer bytes have arrived and not been read yet. */
    public boolean hasInput() throws IOException {
        return in.available() > 0;
    }

    /** Half-closes the sending side (the proxy sees end of input). */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    public Socket socket() {
        return socket;
    }

    /**
     * The next answer (skipping 100 Continue), or null when the connection ends before its first
     * byte. Throws SocketTimeoutException when nothing complete arrives within {@code timeout}.
     *
     * @param head whether the request was a HEAD (the answer then has no body whatever its headers say)
     */
    public Response read(Duration timeout, boolean head) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        while (true) {
            String statusLine = readLine(true);
            if (statusLine == null) {
                return null;
            }
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP status line: " + org.cetusguard.text.Escape.forMessageText(statusLine));
            }
            int status = Integer.parseInt(parts[1]);
            List<String[]> headers = new ArrayList<>();
            String line;
            while (!(line = readLine(false)).isEmpty()) {
                int colon = line.indexOf(':');
                headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
            }
            if (status == 100) {
                continue;
            }
            Response shell = new Response(status, statusLine, headers, new byte[0], true);
            if (head || status == 101 || status == 204 || status == 304) {
                return shell;
            }
            String length = shell.header("Content-Length");
            String encoding = shell.header("Transfer-Encoding");
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            boolean complete = true;
            try {
                if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
                    readChunked(body);
                } else if (length != null) {
                    byte[] bytes = in.readNBytes(Integer.parseInt(length));
                    body.writeBytes(bytes);
                    complete = bytes.length == Integer.parseInt(length);
                } else {
                    body.writeBytes(in.readAllBytes()); // until close
                }
            } catch (EOFException e) {
                complete = false;
            }
            return new Response(status, statusLine, headers, body.toByteArray(), complete);
        }
    }

    public Response read(Duration timeout) throws IOException {
        return read(timeout, false);
    }

    /** Only the status line and headers of the next answer (its body is left to {@link #readChunk}). */
    public Response readHead(Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        String statusLine = readLine(true);
        if (statusLine == null) {
            return null;
        }
        List<String[]> headers = new ArrayList<>();
        String line;
        while (!(line = readLine(false)).isEmpty()) {
            int colon = line.indexOf(':');
            headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
        }
        return new Response(Integer.parseInt(statusLine.split(" ", 3)[1]), statusLine, headers, new byte[0], false);
    }

    /**
     * The data of the next chunk of a chunked body, null after the last chunk. Throws EOFException when
     * the connection ends inside the body (a truncated answer), SocketTimeoutException when nothing
     * arrives in time.
     */
    public byte[] readChunk(Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        if (chunkEndPending) {
            // The CRLF that ends the previous chunk's data; read only now, because a server may send it
            // together with the next chunk (Jetty does), so a stream cut after some data has none.
            readLine(false);
            chunkEndPending = false;
        }
        String sizeLine = readLine(false);
        int size = Integer.parseInt(sizeLine.split(";", 2)[0].trim(), 16);
        if (size == 0) {
            while (!readLine(false).isEmpty()) {
                // trailers
            }
            return null;
        }
        byte[] data = in.readNBytes(size);
        if (data.length < size) {
            throw new EOFException("connection closed inside a chunk");
        }
        chunkEndPending = true;
        return data;
    }

    /** Exactly {@code n} raw bytes (fewer if the connection ends first), e.g. from a hijacked stream. */
    public byte[] readBytes(int n, Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        return in.readNBytes(n);
    }

    /** What a connection does after the answers a client expected. */
    public enum After {
        /** Silent and still open. */
        OPEN,
        /** Closed (or reset) by the proxy. */
        CLOSED,
        /** More bytes arrived: an answer nobody asked for. */
        EXTRA_BYTES
    }

    /** Waits up to {@code timeout} for the proxy to close the connection; reports unexpected bytes. */
    public After after(Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
        try {
            return in.read() < 0 ? After.CLOSED : After.EXTRA_BYTES;
        } catch (SocketTimeoutException e) {
            return After.OPEN;
        } catch (IOException e) {
            return After.CLOSED; // reset
        }
    }

    /** Drains and drops whatever arrives; true when the proxy closes the connection within {@code timeout}. */
    public boolean closedWithin(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] buffer = new byte[4096];
        try {
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) left);
                if (in.read(buffer) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    private void readChunked(ByteArrayOutputStream body) throws IOException {
        while (true) {
            String sizeLine = readLine(false);
            int semicolon = sizeLine.indexOf(';');
            int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                while (!readLine(false).isEmpty()) {
                    // trailers
                }
                return;
            }
            byte[] bytes = in.readNBytes(size);
            body.writeBytes(bytes);
            if (bytes.length < size) {
                throw new EOFException();
            }
            readLine(false);
        }
    }

    private String readLine(boolean first) throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                b = -1; // a reset ends the connection like EOF
            }
            if (b < 0) {
                if (first && line.length() == 0) {
                    return null;
                }
                throw new EOFException("connection closed inside a response");
            }
            if (b == '\n') {
                int n = line.length();
                if (n > 0 && line.charAt(n - 1) == '\r') {
                    line.setLength(n - 1);
                }
                return line.toString();
            }
            line.append((char) b);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }
}
