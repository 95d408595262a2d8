package org.cetusguard.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/**
 * One test per thing {@link JettyInternals} relies on, against the Jetty on the class path: when an
 * upgrade changes one of them, the failure names it here rather than somewhere in the proxy's
 * behaviour.
 */
class JettyInternalsTest {
    @Test
    void theMiddleManServletKeepsItsResponseWriterUnderTheAttributeWeSet() throws Exception {
        Field field = AsyncMiddleManServlet.class.getDeclaredField("WRITE_LISTENER_ATTRIBUTE");
        field.setAccessible(true);
        assertEquals(field.get(null), JettyInternals.RESPONSE_WRITER_ATTRIBUTE);
    }

    @Test
    void aPendingReadInterestCanBeWithdrawn() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        Callback watcher = Callback.from(() -> failed.complete(null), failed::complete);
        assertTrue(endPoint.tryFillInterested(watcher));
        assertTrue(endPoint.isFillInterested());

        JettyInternals.cancelFillInterest(endPoint);

        assertFalse(endPoint.isFillInterested(), "the interest is gone, so the connection may read again");
        assertInstanceOf(CancellationException.class, failed.getNow(null), "the watcher learns it was withdrawn");
    }

    @Test
    void theServersHttpConnectionTakesARequestParserOfOurs() throws Exception {
        // What the request-headers deadline relies on: the internal HTTP/1.1 connection, subclassed, makes
        // its parser with the overridable newHttpParser, and a parser of ours then reads every request.
        AtomicInteger parsed = new AtomicInteger();
        HttpConnectionFactory factory = new HttpConnectionFactory() {
            @Override
            public Connection newConnection(Connector connector, EndPoint endPoint) {
                return configure(JettyInternals.httpConnection(this, connector, endPoint, (handler, max, compliance) ->
                        new HttpParser(handler, max, compliance) {
                            @Override
                            public boolean parseNext(ByteBuffer buffer) {
                                parsed.incrementAndGet();
                                return super.parseNext(buffer);
                            }
                        }), connector, endPoint);
            }
        };
        Server server = new Server();
        LocalConnector connector = new LocalConnector(server, factory);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.write(true, ByteBuffer.wrap(request.getHttpURI().getPath().getBytes(StandardCharsets.US_ASCII)), callback);
                return true;
            }
        });
        server.start();
        try {
            String answer = connector.getResponse("GET /parsed/by/ours HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("/parsed/by/ours"), answer);
            assertTrue(parsed.get() > 0, "the parser of ours was not used");
            // ... and it is Jetty's own connection (so it also takes bytes read ahead, below).
            assertInstanceOf(HttpConnection.class, factory.newConnection(connector, new ByteArrayEndPoint()));
        } finally {
            server.stop();
        }
    }

    @Test
    void theServersHttpConnectionTakesBytesReadAhead() {
        // The proxy hands a byte it read early back through this interface: Jetty's HTTP/1.1 server
        // connection must implement it (it appends the bytes to its request buffer).
        assertTrue(Connection.UpgradeTo.class.isAssignableFrom(HttpConnection.class));
    }

    @Test
    void bytesAreHandedToTheConnectionOfTheEndPoint() {
        ByteArrayEndPoint endPoint = new ByteArrayEndPoint();
        StringBuilder received = new StringBuilder();
        class Taking extends AbstractConnection implements Connection.UpgradeTo {
            Taking() {
                super(endPoint, Runnable::run);
            }

            @Override
            public void onFillable() {
            }

            @Override
            public void onUpgradeTo(ByteBuffer buffer) {
                received.append(StandardCharsets.US_ASCII.decode(buffer));
            }
        }
        endPoint.setConnection(new Taking());

        assertTrue(JettyInternals.unread(endPoint, ByteBuffer.wrap("G".getBytes(StandardCharsets.US_ASCII))));
        assertEquals("G", received.toString());
    }
}
