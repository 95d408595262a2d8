package org.cetusguard.server;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.cetusguard.jetty.JettyInternals;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.NanoTime;

/**
 * HTTP/1.1 connections whose request line and headers must arrive within a deadline once their first
 * byte has (the Go original's {@code ReadHeaderTimeout}). The idle timeout alone only bounds the gap
 * between two bytes, so a client trickling a byte just under it could hold a connection for days; here
 * the next bytes after the deadline get 408 and the connection is closed. A client that stops sending
 * altogether is left to the idle timeout.
 */
final class RequestHeaderTimeout extends HttpConnectionFactory {
    private final long timeoutNanos;

    RequestHeaderTimeout(HttpConfiguration configuration, long timeoutMs) {
        super(configuration);
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        return configure(JettyInternals.httpConnection(this, connector, endPoint,
                (handler, maxHeaderBytes, compliance) -> new DeadlineParser(handler, maxHeaderBytes, compliance, timeoutNanos)),
                connector, endPoint);
    }

    /** Checks the deadline each time new bytes of an unfinished request head are to be parsed. */
    private static final class DeadlineParser extends HttpParser {
        private final long timeoutNanos;

        DeadlineParser(RequestHandler handler, int maxHeaderBytes, HttpCompliance compliance, long timeoutNanos) {
            super(handler, maxHeaderBytes, compliance);
            this.timeoutNanos = timeoutNanos;
        }

        @Override
        public boolean parseNext(ByteBuffer buffer) {
            // START means no byte of the next request yet: waiting for it is the idle timeout's business.
            if (inHeaderState() && !isStart() && NanoTime.since(getBeginNanoTime()) > timeoutNanos) {
                BufferUtil.clear(buffer);
                badMessage(new HttpException.RuntimeException(HttpStatus.REQUEST_TIMEOUT_408,
                        "request headers not received in time"));
                return false;
            }
            return super.parseNext(buffer);
        }
    }
}
