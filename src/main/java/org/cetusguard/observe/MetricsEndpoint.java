package org.cetusguard.observe;

import java.io.IOException;
import java.nio.ByteBuffer;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The handler of the metrics listener: {@code GET /metrics} in the Prometheus text format, 404 for
 * anything else. The server routes only that listener's requests here, and none of them to the proxy.
 */
public final class MetricsEndpoint extends Handler.Abstract.NonBlocking {
    private final PrometheusMetrics metrics;

    public MetricsEndpoint(PrometheusMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws IOException {
        if (!"/metrics".equals(request.getHttpURI().getPath()) || !"GET".equals(request.getMethod())) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
            return true;
        }
        byte[] body = metrics.scrape();
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, PrometheusTextFormatWriter.CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }
}
