package org.cetusguard.proxy;

import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.util.Callback;

/**
 * Ends a relayed stream when its client goes away. While a streamed answer (`/events`, `logs -f`,
 * `wait`) is relayed, nothing reads the client's connection, so a client that disconnects is noticed
 * only at the next write: on a quiet stream, hours later, holding a client connection and a daemon
 * connection meanwhile (the Go original notices at once, through a background read). This watches
 * the client's side for input instead: end of input means the client left; any byte means it sent
 * something a stream that only the client can end cannot be followed by. Either way the exchange with
 * the daemon is aborted, which ends the relayed stream and closes the connection. Nothing is read, so
 * nothing is taken from the HTTP parser; {@link #stop()} hands the connection back to it before the
 * exchange completes.
 */
final class ClientDisconnectWatch implements Callback {
    private enum State { WATCHING, FIRED, STOPPED }

    private final AtomicReference<State> state = new AtomicReference<>(State.WATCHING);
    private final EndPoint endPoint;
    private final Response fromDaemon;

    private ClientDisconnectWatch(EndPoint endPoint, Response fromDaemon) {
        this.endPoint = endPoint;
        this.fromDaemon = fromDaemon;
    }

    /** Starts watching, or returns null when something else already waits for the client's input. */
    static ClientDisconnectWatch start(EndPoint endPoint, Response fromDaemon) {
        ClientDisconnectWatch watch = new ClientDisconnectWatch(endPoint, fromDaemon);
        return endPoint.tryFillInterested(watch) ? watch : null;
    }

    /** The client's connection became readable: it closed, or sent more. */
    @Override
    public void succeeded() {
        if (state.compareAndSet(State.WATCHING, State.FIRED)) {
            fromDaemon.abort(new EofException("the client closed its connection during a relayed stream"));
        }
    }

    @Override
    public void failed(Throwable cause) {
        // stop() moves to STOPPED before it cancels the watch, so a failure seen while still watching is
        // the client's connection failing or closing: that ends the relayed stream too.
        if (state.compareAndSet(State.WATCHING, State.FIRED)) {
            fromDaemon.abort(cause);
        }
    }

    /** Before the exchange completes: withdraw the read interest so that the next request can be read. */
    void stop() {
        if (state.compareAndSet(State.WATCHING, State.STOPPED) && endPoint instanceof AbstractEndPoint abstractEndPoint) {
            abstractEndPoint.getFillInterest().onFail(new CancellationException("relayed stream complete"));
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }
}
