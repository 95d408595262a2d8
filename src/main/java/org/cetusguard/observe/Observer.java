package org.cetusguard.observe;

import java.nio.ByteBuffer;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The outermost proxy handler: opens an {@link Exchange} for each request and, when the request is
 * done, hands it to the audit log (if enabled) and the metrics. Does nothing else, so that with
 * both off the cost per request is one small object.
 */
public final class Observer extends Handler.Wrapper {
    private final AuditLog audit;
    private final Metrics metrics;

    /** @param audit null when the audit log is off */
    public Observer(AuditLog audit, Metrics metrics, Handler next) {
        super(next);
        this.audit = audit;
        this.metrics = metrics;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String target = request.getHttpURI().getPathQuery();
        Exchange exchange = new Exchange(request.getMethod(), target == null ? "-" : target, clientOf(request));
        request.setAttribute(Exchange.ATTRIBUTE, exchange);
        Response counting = audit == null ? response : new Response.Wrapper(request, response) {
            @Override
            public void write(boolean last, ByteBuffer content, Callback writeCallback) {
                if (content != null) {
                    exchange.bytesOut += content.remaining();
                }
                super.write(last, content, writeCallback);
            }
        };
        return super.handle(request, counting, new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                done(exchange, response.getStatus());
                super.succeeded();
            }

            @Override
            public void failed(Throwable failure) {
                done(exchange, response.isCommitted() ? response.getStatus() : 500);
                super.failed(failure);
            }
        });
    }

    private void done(Exchange exchange, int status) {
        long nanos = System.nanoTime() - exchange.startNanos;
        if (audit != null) {
            audit.write(exchange, status, nanos);
        }
        metrics.request(exchange.method, exchange.decision, status, nanos, exchange.backendFailed);
    }

    /** "address:port" for TCP clients, "unix" for Unix-socket clients. */
    public static String clientOf(Request request) {
        String address = Request.getRemoteAddr(request);
        return address == null || address.isEmpty() || address.startsWith("/") ? "unix" : address + ":" + Request.getRemotePort(request);
    }
}
