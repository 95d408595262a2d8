package org.cetusguard.server;

import java.nio.ByteBuffer;

import org.cetusguard.proxy.JsonError;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/** Jetty's own refusals (malformed request line, oversized headers, ...) in the daemon's JSON shape. */
final class JsonErrorHandler extends ErrorHandler {
    /**
     * Jetty writes an error body for GET, POST and HEAD only; Docker clients print the message of a
     * refused DELETE or PUT too (`docker rm`, `docker cp`), so every method gets one.
     */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JsonError.CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(JsonError.body(message == null ? "error " + code : message)), callback);
    }
}
