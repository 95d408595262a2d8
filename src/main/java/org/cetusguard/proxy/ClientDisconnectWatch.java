package org.cetusguard.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.cetusguard.jetty.JettyInternals;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.util.Callback;

/**
 * Ends a relayed stream when its client goes away. While a streamed answer (`/events`, `logs -f`,
 * `wait`) is relayed, nothing reads the client's connection, so a client that disconnects would be
 * noticed only at the next write: on a quiet stream, hours later, holding a client connection and a
 * daemon connection meanwhile. The Go original notices at once with a background read of one byte;
 * this does the same on Jetty's terms:
 * <ul>
 *   <li>it asks to be told when the client's connection is readable, and then reads at most one byte;
 *   <li>end of input (or a failed connection) means the client left: the exchange with the daemon is
 *       aborted, which ends the relayed stream and closes both connections;
 *   <li>nothing to read means the wake-up was stale (the selector reports readiness that the HTTP
 *       connection already consumed, seen often under keep-alive load): it watches again;
 *   <li>a byte means the client sent its next request early (pipelining): a healthy exchange, so the
 *       watch ends without aborting, keeps the byte, and gives it back to the HTTP connection in
 *       {@link #stop()}, before the exchange completes and the connection parses its next request.
 * </ul>
 * {@link #stop()} must be called before the exchange completes: Jetty aborts a connection that is
 * still waiting for input when its response ends. The read and {@link #stop()} exclude each other,
 * so a byte is never read after the connection was handed back.
 *
 * <p>A watch starts {@link State#PENDING}: most chunked answers (a container list, an inspect) are
 * over in milliseconds, and registering and withdrawing read interest on each would cost two
 * selector changes and a spurious wake-up per request. {@link DisconnectWatches} arms the watches of
 * the answers still open a moment later: those are the streams.
 */
final class ClientDisconnectWatch implements Callback {
    /** Why a relayed stream was aborted: its client left. The client's doing, not the daemon's failure. */
    static final class ClientLeft extends EofException {
        ClientLeft(Throwable cause) {
            super("the client closed its connection during a relayed stream");
            if (cause != null) {
                initCause(cause);
            }
        }
    }

    private enum State { PENDING, WATCHING, HOLDING, FIRED, STOPPED }

    private final EndPoint endPoint;
    private final Response fromDaemon;
    private final ByteBuffer early = ByteBuffer.allocate(1);
    private final long createdNanos = System.nanoTime();
    private State state = State.PENDING;

    ClientDisconnectWatch(EndPoint endPoint, Response fromDaemon) {
        this.endPoint = endPoint;
        this.fromDaemon = fromDaemon;
    }

    long createdNanos() {
        return createdNanos;
    }

    /**
     * Starts watching, unless the exchange already ended or something else waits for the client's
     * input (then this watch simply stays out of the way).
     */
    synchronized void arm() {
        if (state == State.PENDING) {
            state = endPoint.tryFillInterested(this) ? State.WATCHING : State.STOPPED;
        }
    }

    /** The client's connection looks readable: find out what it holds. */
    @Override
    public void succeeded() {
        Throwable left = null;
        synchronized (this) {
            if (state != State.WATCHING) {
                return;
            }
            try {
                early.clear();
                int read = endPoint.fill(early.flip());
                if (read == 0) {
                    if (!endPoint.tryFillInterested(this)) {
                        state = State.STOPPED;
                    }
                    return;
                }
                if (read > 0) {
                    state = State.HOLDING;
                    return;
                }
                left = new ClientLeft(null);
            } catch (IOException e) {
                left = new ClientLeft(e);
            }
            state = State.FIRED;
        }
        fromDaemon.abort(left);
    }

    @Override
    public void failed(Throwable cause) {
        // stop() moves to STOPPED before it withdraws the interest, so a failure seen while still watching
        // is the client's connection failing or closing: that ends the relayed stream too.
        synchronized (this) {
            if (state != State.WATCHING) {
                return;
            }
            state = State.FIRED;
        }
        fromDaemon.abort(new ClientLeft(cause));
    }

    /**
     * Before the exchange completes: withdraw the read interest, and hand a byte read early back to the
     * connection's own HTTP parser, so that the next request is read whole.
     */
    synchronized void stop() {
        State was = state;
        state = State.STOPPED;
        if (was == State.WATCHING) {
            JettyInternals.cancelFillInterest(endPoint);
        } else if (was == State.HOLDING && !JettyInternals.unread(endPoint, early)) {
            endPoint.close(new EofException("cannot hand a pipelined byte back to the connection"));
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
