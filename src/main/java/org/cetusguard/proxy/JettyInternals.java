package org.cetusguard.proxy;

import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;

import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;

/**
 * What the proxy relies on below the public contract of the servlet API and of Jetty's middle-man
 * servlet, kept here so that a Jetty upgrade that changes it fails in one place: JettyInternalsTest
 * checks each item against the Jetty in use.
 */
final class JettyInternals {
    /**
     * The request attribute under which AsyncMiddleManServlet keeps the writer of the client's response
     * (a private constant there: AsyncMiddleManServlet.WRITE_LISTENER_ATTRIBUTE). A writer found there
     * is taken as already installed: the servlet queues the body's chunks on it instead of making one.
     */
    static final String RESPONSE_WRITER_ATTRIBUTE = AsyncMiddleManServlet.class.getName() + ".writeListener";

    private JettyInternals() {
    }

    /** Makes {@code writer} the one the middle-man servlet writes the client's response with. */
    static void adoptResponseWriter(HttpServletRequest clientRequest, WriteListener writer) {
        clientRequest.setAttribute(RESPONSE_WRITER_ATTRIBUTE, writer);
    }

    /**
     * Withdraws a pending read interest registered with {@link EndPoint#tryFillInterested}: the
     * interested callback is failed with a CancellationException. Jetty 12.1 has no other way to take
     * one back, and an HTTP connection still read-interested when its response completes is aborted.
     */
    static void cancelFillInterest(EndPoint endPoint) {
        if (endPoint instanceof AbstractEndPoint abstractEndPoint) {
            abstractEndPoint.getFillInterest().onFail(new CancellationException("read interest withdrawn"));
        }
    }

    /**
     * Gives bytes read from a client connection back to its HTTP connection, ahead of anything it reads
     * next. Jetty's HTTP/1.1 server connection appends them to its request buffer through
     * {@link Connection.UpgradeTo}, the hook it offers for bytes read ahead by a previous connection.
     *
     * @return false when the connection cannot take them (then the bytes are lost: close it)
     */
    static boolean unread(EndPoint endPoint, ByteBuffer bytes) {
        if (endPoint.getConnection() instanceof Connection.UpgradeTo connection) {
            connection.onUpgradeTo(bytes);
            return true;
        }
        return false;
    }
}
