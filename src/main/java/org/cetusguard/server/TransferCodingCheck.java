package org.cetusguard.server;

import java.nio.ByteBuffer;

import org.cetusguard.log.Log;
import org.cetusguard.proxy.JsonError;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Refuses a request body in any transfer coding but plain {@code chunked}, with 501 and the connection
 * closed, as Go's net/http (so the daemon itself) does. Jetty already refuses codings after
 * {@code chunked}, but it accepts {@code gzip, chunked} or {@code identity, chunked} and removes only the
 * chunked framing; the proxy then drops Transfer-Encoding as a hop-by-hop header, so the daemon would
 * get a body that means something else than what the client sent.
 */
final class TransferCodingCheck extends Handler.Wrapper {
    TransferCodingCheck(Handler next) {
        super(next);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        for (HttpField field : request.getHeaders()) {
            if (field.getHeader() == HttpHeader.TRANSFER_ENCODING && !field.getValue().trim().equalsIgnoreCase("chunked")) {
                Log.warning("rejected request: unsupported Transfer-Encoding: " + request.getMethod() + " from "
                        + Request.getRemoteAddr(request));
                response.setStatus(HttpStatus.NOT_IMPLEMENTED_501);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, JsonError.CONTENT_TYPE);
                // Where this body ends is exactly what is in doubt: no further request on this connection.
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
                response.write(true, ByteBuffer.wrap(JsonError.body("unsupported Transfer-Encoding")), callback);
                return true;
            }
        }
        return super.handle(request, response, callback);
    }
}
