package org.cetusguard.server;

import org.cetusguard.proxy.Backend;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Two idle timeouts per client connection: a short one while the client owes us bytes (between
 * requests, so idle and half-open connections are reaped as by the Go original's 90 s, and while its
 * request body arrives, so a body that stalls cannot hold a connection for hours), and a long one
 * once the whole request is in, because the answer (`/events`, `logs -f`, `wait`, an attach) may be
 * quiet for hours and must not be cut.
 */
final class StreamingIdleTimeout extends Handler.Wrapper {
    StreamingIdleTimeout(Handler next) {
        super(next);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        long betweenRequests = endPoint.getIdleTimeout();
        Request next = request;
        if (request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)) {
            next = new Request.Wrapper(request) {
                @Override
                public Content.Chunk read() {
                    Content.Chunk chunk = super.read();
                    if (chunk != null && chunk.isLast()) {
                        endPoint.setIdleTimeout(Backend.STREAM_IDLE_TIMEOUT_MS);
                    }
                    return chunk;
                }
            };
        } else {
            endPoint.setIdleTimeout(Backend.STREAM_IDLE_TIMEOUT_MS);
        }
        return super.handle(next, response, new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                endPoint.setIdleTimeout(betweenRequests);
                super.succeeded();
            }

            @Override
            public void failed(Throwable failure) {
                endPoint.setIdleTimeout(betweenRequests);
                super.failed(failure);
            }
        });
    }
}
