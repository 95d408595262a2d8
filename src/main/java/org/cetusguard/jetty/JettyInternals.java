package org.cetusguard.jetty;

import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;

import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Everything the proxy does below the public contract of Jetty and of its middle-man servlet, in one
 * place, so that a Jetty upgrade that changes one of them fails here, in JettyInternalsTest (one test
 * per item), and not somewhere in the proxy's behaviour. No other class of the proxy imports a Jetty
 * {@code internal} package (the room test checks it).
 *
 * <ul>
 *   <li>{@link #httpConnection}: Jetty's HTTP/1.1 server connection ({@code server.internal.HttpConnection})
 *       with a request parser of ours (the server's request-headers deadline);
 *   <li>{@link #unread}: bytes read ahead handed back to that connection (the disconnect watch);
 *   <li>{@link #cancelFillInterest}: a pending read interest withdrawn (the disconnect watch);
 *   <li>{@link #adoptResponseWriter}: the middle-man servlet's private response-writer attribute (the
 *       proxy servlet's streamed answers).
 * </ul>
 *
 * <p>Its own room, below both {@code server} and {@code proxy}, which both use it and must not import
 * each other the wrong way ({@code proxy} may not use {@code server}).
 */
public final class JettyInternals {
    /**
     * The request attribute under which AsyncMiddleManServlet keeps the writer of the client's response
     * (a private constant there: AsyncMiddleManServlet.WRITE_LISTENER_ATTRIBUTE). A writer found there
     * is taken as already installed: the servlet queues the body's chunks on it instead of making one.
     */
    static final String RESPONSE_WRITER_ATTRIBUTE = AsyncMiddleManServlet.class.getName() + ".writeListener";

    private JettyInternals() {
    }

    /** Makes the request parser of an HTTP/1.1 server connection, for the stock parser's request handler. */
    public interface RequestParsers {
        HttpParser create(HttpParser.RequestHandler handler, int maxHeaderBytes, HttpCompliance compliance);
    }

    /**
     * Jetty's HTTP/1.1 server connection, as {@code factory} makes it, but with its request parser made by
     * {@code parsers} (with the stock parser's handler and header cache). Jetty offers no public way to
     * choose the parser: the connection class is internal and the parser is made by an overridable method
     * of it. The caller passes the result through its factory's {@code configure}.
     */
    public static AbstractConnection httpConnection(HttpConnectionFactory factory, Connector connector, EndPoint endPoint,
                                                    RequestParsers parsers) {
        HttpConnection connection = new HttpConnection(factory.getHttpConfiguration(), connector, endPoint) {
            @Override
            protected HttpParser newHttpParser(HttpCompliance compliance) {
                HttpParser stock = super.newHttpParser(compliance);
                HttpParser parser = parsers.create((HttpParser.RequestHandler) stock.getHandler(),
                        getHttpConfiguration().getRequestHeaderSize(), compliance);
                parser.setHeaderCacheSize(stock.getHeaderCacheSize());
                parser.setHeaderCacheCaseSensitive(stock.isHeaderCacheCaseSensitive());
                return parser;
            }
        };
        connection.setTransferEncodingChunkMaxLength(factory.getTransferEncodingChunkMaxLength());
        return connection;
    }

    /** Makes {@code writer} the one the middle-man servlet writes the client's response with. */
    public static void adoptResponseWriter(HttpServletRequest clientRequest, WriteListener writer) {
        clientRequest.setAttribute(RESPONSE_WRITER_ATTRIBUTE, writer);
    }

    /**
     * Withdraws a pending read interest registered with {@link EndPoint#tryFillInterested}: the
     * interested callback is failed with a CancellationException. Jetty 12.1 has no other way to take
     * one back, and an HTTP connection still read-interested when its response completes is aborted.
     */
    public static void cancelFillInterest(EndPoint endPoint) {
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
    public static boolean unread(EndPoint endPoint, ByteBuffer bytes) {
        if (endPoint.getConnection() instanceof Connection.UpgradeTo connection) {
            connection.onUpgradeTo(bytes);
            return true;
        }
        return false;
    }
}
