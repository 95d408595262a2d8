package org.cetusguard.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import org.cetusguard.log.Log;
import org.cetusguard.observe.Metrics;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * The raw byte stream of a hijacked attach or exec, after the 101: two {@link Pipe}s, one installed
 * on the client's connection and one on the daemon's, each copying what its side reads to the other
 * side, asynchronously and through one pooled buffer at a time. End of input on one side becomes a
 * half-close (shutdownOutput) of the other, so the container sees stdin end and the client sees the
 * output end, exactly as without the proxy.
 */
final class Tunnel {
    /** Bytes in flight per direction; small and fixed, whatever the stream's length. */
    static final int BUFFER_SIZE = 16 * 1024;

    private final Pipe fromClient;
    private final Pipe fromDaemon;
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final Metrics metrics;

    Tunnel(EndPoint client, EndPoint daemon, Executor executor, ByteBufferPool pool, Metrics metrics) {
        this.metrics = metrics;
        fromClient = new Pipe("client", client, executor, pool);
        fromDaemon = new Pipe("daemon", daemon, executor, pool);
        fromClient.peer = fromDaemon;
        fromDaemon.peer = fromClient;
    }

    /** The connection to install on the client's endpoint (after the 101 is written). */
    Connection clientConnection() {
        return fromClient;
    }

    /** The connection to install on the daemon's endpoint. */
    Connection daemonConnection() {
        return fromDaemon;
    }

    /**
     * Copying starts only once both connections are installed: before that, daemon bytes written to the
     * client could overtake the 101 still being written on the client's connection.
     */
    private void onOpened() {
        if (opened.incrementAndGet() == 2) {
            metrics.sessionOpened();
            fromClient.start();
            fromDaemon.start();
        }
    }

    final class Pipe extends AbstractConnection implements Connection.UpgradeTo {
        private final String name;
        private final ByteBufferPool pool;
        private final Copier copier = new Copier();
        private Pipe peer;
        /** Bytes its side sent before the upgrade finished, read ahead by the HTTP connection. */
        private ByteBuffer readAhead;

        Pipe(String name, EndPoint endPoint, Executor executor, ByteBufferPool pool) {
            super(endPoint, executor);
            this.name = name;
            this.pool = pool;
        }

        @Override
        public void onUpgradeTo(ByteBuffer buffer) {
            if (BufferUtil.hasContent(buffer)) {
                readAhead = BufferUtil.copy(buffer);
            }
        }

        @Override
        public void onOpen() {
            super.onOpen();
            // An interactive session may be quiet for minutes; only a vanished peer should end it.
            getEndPoint().setIdleTimeout(Backend.STREAM_IDLE_TIMEOUT_MS);
            onOpened();
        }

        private void start() {
            ByteBuffer pending = readAhead;
            readAhead = null;
            if (pending == null) {
                fillInterested();
                return;
            }
            peer.getEndPoint().write(Callback.from(this::fillInterested, this::fail), pending);
        }

        @Override
        public void onFillable() {
            copier.iterate();
        }

        @Override
        public void onClose(Throwable cause) {
            super.onClose(cause);
            if (closed.incrementAndGet() == 2 && opened.get() == 2) {
                metrics.sessionClosed();
            }
            // A side that is gone entirely (not half-closed) takes the other with it.
            peer.getEndPoint().close(cause);
        }

        private void fail(Throwable cause) {
            if (Log.enabled(Log.DEBUG)) {
                Log.debug("hijacked stream closed on the " + name + " side: " + cause);
            }
            getEndPoint().close(cause);
            peer.getEndPoint().close(cause);
        }

        @Override
        public String toConnectionString() {
            return "Tunnel.Pipe[from " + name + "]";
        }

        /** Read what is there, write it to the peer, repeat; on end of input, half-close the peer. */
        private final class Copier extends IteratingCallback {
            private RetainableByteBuffer buffer;

            @Override
            protected Action process() throws IOException {
                if (buffer == null) {
                    buffer = pool.acquire(BUFFER_SIZE, true);
                }
                ByteBuffer bytes = buffer.getByteBuffer();
                BufferUtil.clear(bytes);
                int filled = getEndPoint().fill(bytes);
                if (filled > 0) {
                    peer.getEndPoint().write(this, bytes);
                    return Action.SCHEDULED;
                }
                release();
                if (filled == 0) {
                    fillInterested(this);
                    return Action.SCHEDULED;
                }
                peer.getEndPoint().shutdownOutput();
                return Action.SUCCEEDED;
            }

            @Override
            protected void onCompleteFailure(Throwable cause) {
                release();
                fail(cause);
            }

            private void release() {
                if (buffer != null) {
                    buffer.release();
                    buffer = null;
                }
            }

            @Override
            public InvocationType getInvocationType() {
                return InvocationType.NON_BLOCKING;
            }
        }
    }
}
