package org.cetusguard.testbed;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon's Unix socket re-offered on loopback TCP by a dumb byte relay (no HTTP, no rules): a baseline
 * for "what does this client do against a daemon reached over plain TCP", without the proxy.
 * Each direction copies until end of input, then half-closes its destination, as a TCP daemon would.
 */
public final class TcpToUnixRelay implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path socket;
    private final Thread acceptor;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();

    public TcpToUnixRelay(Path socket) throws IOException {
        this.socket = socket;
        server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        acceptor = new Thread(this::accept, "tcp-to-unix-relay");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** DOCKER_HOST for the relay. */
    public String dockerHost() throws IOException {
        return "tcp://127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    private void accept() {
        while (server.isOpen()) {
            try {
                SocketChannel client = server.accept();
                SocketChannel daemon = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    daemon.connect(UnixDomainSocketAddress.of(socket));
                } catch (IOException e) {
                    closeQuietly(daemon);
                    closeQuietly(client);
                    continue;
                }
                open.add(client);
                open.add(daemon);
                AtomicInteger directionsDone = new AtomicInteger();
                copy(client, daemon, directionsDone);
                copy(daemon, client, directionsDone);
            } catch (IOException e) {
                // Closed, or the daemon refused: the client sees its connection close.
            }
        }
    }

    private void copy(SocketChannel from, SocketChannel to, AtomicInteger directionsDone) {
        Thread t = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buffer) >= 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        to.write(buffer);
                    }
                    buffer.clear();
                }
                to.shutdownOutput();
                if (directionsDone.incrementAndGet() < 2) {
                    return;
                }
            } catch (IOException e) {
                // Reset or closed: the whole connection goes.
            }
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }, "tcp-to-unix-relay-copy");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Best effort.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        open.forEach(TcpToUnixRelay::closeQuietly);
    }
}
