package org.cetusguard.server;

import org.cetusguard.proxy.Backend;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Two idle timeouts per client connection: a short one while it waits between requests (so idle and
 * half-open connections are reaped, as the Go original's 90 s), and a long one while an exchange is in
 * progress, because `/events`, `logs -f` and `wait` may be quiet for hours and must not be cut.
 */
final class StreamingIdleTimeout extends Handler.Wrapper {
    StreamingIdleTimeout(Handler next) {
        super(next);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        long betweenRequests = endPoint.getIdleTimeout();
        endPoint.setIdleTimeout(Backend.STREAM_IDLE_TIMEOUT_MS);
        return super.handle(request, response, new Callback.Nested(callback) {
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
