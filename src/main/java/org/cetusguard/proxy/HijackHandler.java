package org.cetusguard.proxy;

import java.nio.ByteBuffer;
import java.util.Set;

import org.cetusguard.audit.Exchange;
import org.cetusguard.audit.Observer;
import org.cetusguard.log.Log;
import org.cetusguard.metrics.Metrics;
import org.cetusguard.policy.ClientIdentity;
import org.cetusguard.policy.Verdict;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpUpgrader;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.TunnelSupport;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

/**
 * Attach and exec ask to take over the connection ({@code Connection: Upgrade}, {@code Upgrade: tcp});
 * the daemon answers 101 and both ends then speak raw bytes. A servlet proxy drops those hop-by-hop
 * headers, so this handler, in front of the servlet, takes such requests itself: the same
 * {@link RequestGate} decides, the request goes to the daemon with the upgrade headers, the 101 is
 * relayed, and a {@link Tunnel} copies bytes both ways. Everything else passes to the servlet.
 */
public final class HijackHandler extends Handler.Wrapper {
    /** Attach and exec-start bodies are a few bytes of JSON; anything larger is not such a request. */
    static final int MAX_BODY = 64 * 1024;
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private final RequestGate gate;
    private final Backend backend;
    private final Metrics metrics;

    public HijackHandler(RequestGate gate, Backend backend, Metrics metrics, Handler next) {
        super(next);
        this.gate = gate;
        this.backend = backend;
        this.metrics = metrics;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        TunnelSupport tunnelSupport = request.getTunnelSupport();
        if (tunnelSupport == null || !asksForTcpUpgrade(request.getHeaders()) || !hijacks(request.getHttpURI().getPath())) {
            // Anything else that asks for an upgrade goes the ordinary way, where the upgrade headers are dropped.
            return super.handle(request, response, callback);
        }
        Exchange exchange = Exchange.of(request);
        ClientIdentity identity = gate.needsIdentity() ? ClientIdentities.of(request) : null;
        RequestGate.Decision decision = gate.decide(request.getMethod(), request.getHttpURI().getPath(),
                request.getHttpURI().getQuery(), Observer.clientOf(request), exchange, identity);
        // The body is read first, whatever the decision: it is small and bounded, it must be consumed
        // before the connection changes hands, and a refusal sent while the client is still writing it
        // (exec start's JSON) would make Jetty close the connection and the CLI see a broken pipe.
        Content.Source.asByteArrayAsync(request, MAX_BODY, new Promise.Invocable<>() {
            @Override
            public void succeeded(byte[] body) {
                if (decision instanceof RequestGate.Refused refused) {
                    sendJson(response, callback, refused.status(), refused.message());
                    return;
                }
                RequestGate.Allowed allowed = (RequestGate.Allowed) decision;
                if (allowed.policy().inspects(request.getMethod(), allowed.path())) {
                    Verdict verdict = allowed.policy().check(request.getMethod(), allowed.path(), allowed.query(), body);
                    if (!(verdict instanceof Verdict.Allow)) {
                        int status = verdict instanceof Verdict.Rewrite ? 403 : verdict.status();
                        String message = verdict instanceof Verdict.Rewrite ? "the container policy cannot rewrite an upgrading request" : verdict.message();
                        if (exchange != null) {
                            exchange.policyRefused(status, message);
                        }
                        sendJson(response, callback, status, message);
                        return;
                    }
                }
                forward(request, response, callback, tunnelSupport.getEndPoint(), allowed.target(), body);
            }

            @Override
            public void failed(Throwable failure) {
                if (decision instanceof RequestGate.Refused refused) {
                    sendJson(response, callback, refused.status(), refused.message());
                    return;
                }
                sendJson(response, callback, HttpStatus.BAD_REQUEST_400, "bad request body for a hijacked stream: " + failure.getMessage());
            }
        });
        return true;
    }

    /**
     * Only attach and exec start are hijacked streams in the Docker and libpod APIs. Any other path,
     * whatever headers it carries, stays on the servlet, where the body policy reads what it must.
     */
    static boolean hijacks(String rawPath) {
        if (rawPath == null) {
            return false;
        }
        int slash = rawPath.lastIndexOf('/');
        String last = rawPath.substring(slash + 1);
        String parent = slash <= 0 ? "" : rawPath.substring(0, slash);
        int parentSlash = parent.lastIndexOf('/');
        String collection = parentSlash < 0 ? "" : parent.substring(0, parentSlash);
        return (last.equals("attach") && (collection.endsWith("/containers")))
                || (last.equals("start") && collection.endsWith("/exec"));
    }

    static boolean asksForTcpUpgrade(HttpFields headers) {
        HttpField upgrade = headers.getField(HttpHeader.UPGRADE);
        HttpField connection = headers.getField(HttpHeader.CONNECTION);
        return upgrade != null && connection != null && upgrade.contains("tcp") && connection.contains("upgrade");
    }

    private void forward(Request request, Response response, Callback callback, EndPoint clientEndPoint, String target, byte[] body) {
        org.eclipse.jetty.client.Request toDaemon = backend.prepare(backend.httpClient().newRequest(backend.uri(target)))
                .method(request.getMethod());
        toDaemon.headers(headers -> {
            for (HttpField field : request.getHeaders()) {
                String name = field.getLowerCaseName();
                if (!HOP_BY_HOP.contains(name) && !name.equals("content-length") && !name.equals("expect")) {
                    headers.add(field);
                }
            }
            headers.put(HttpHeader.CONNECTION, "Upgrade");
            headers.put(HttpHeader.UPGRADE, "tcp");
        });
        if (body.length > 0) {
            toDaemon.body(new BytesRequestContent(request.getHeaders().get(HttpHeader.CONTENT_TYPE), body));
        }
        HttpUpgrader.Factory upgraders = version -> new HttpUpgrader() {
            @Override
            public void prepare(org.eclipse.jetty.client.Request ignored) {
            }

            @Override
            public void upgrade(org.eclipse.jetty.client.Response fromDaemon, EndPoint daemonEndPoint, Callback upgraded) {
                Tunnel tunnel = new Tunnel(clientEndPoint, daemonEndPoint, request.getComponents().getExecutor(),
                        request.getComponents().getByteBufferPool(), metrics);
                Exchange exchange = Exchange.of(request);
                if (exchange != null) {
                    exchange.upgraded();
                }
                response.setStatus(HttpStatus.SWITCHING_PROTOCOLS_101);
                copyResponseHeaders(fromDaemon, response);
                // Jetty installs this connection on the client's endpoint once the 101 is written.
                request.setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, tunnel.clientConnection());
                daemonEndPoint.upgrade(tunnel.daemonConnection());
                upgraded.succeeded();
                callback.succeeded();
            }
        };
        toDaemon.attribute(HttpUpgrader.Factory.class.getName(), upgraders);
        toDaemon.send(new Relay(response, callback, backend, Exchange.of(request)));
    }

    private static void copyResponseHeaders(org.eclipse.jetty.client.Response from, Response to) {
        boolean upgrading = from.getStatus() == HttpStatus.SWITCHING_PROTOCOLS_101;
        to.getHeaders().remove(HttpHeader.DATE);
        for (HttpField field : from.getHeaders()) {
            String name = field.getLowerCaseName();
            boolean keep = upgrading
                    ? !name.equals("content-length") && !name.equals("transfer-encoding")
                    : !HOP_BY_HOP.contains(name);
            if (keep) {
                to.getHeaders().add(field);
            }
        }
    }

    /**
     * A daemon that does not upgrade (an error such as 404, or an old daemon answering 200 with the raw
     * stream) is relayed as an ordinary streamed response.
     */
    private static final class Relay implements org.eclipse.jetty.client.Response.Listener {
        private final Response response;
        private final Callback callback;
        private final Backend backend;
        private final Exchange exchange;

        Relay(Response response, Callback callback, Backend backend, Exchange exchange) {
            this.response = response;
            this.callback = callback;
            this.backend = backend;
            this.exchange = exchange;
        }

        @Override
        public void onHeaders(org.eclipse.jetty.client.Response fromDaemon) {
            response.setStatus(fromDaemon.getStatus());
            copyResponseHeaders(fromDaemon, response);
        }

        @Override
        public void onContent(org.eclipse.jetty.client.Response fromDaemon, Content.Chunk chunk, Runnable demander) {
            chunk.retain();
            ByteBuffer bytes = chunk.getByteBuffer();
            response.write(false, bytes, Callback.from(() -> {
                chunk.release();
                demander.run();
            }, failure -> {
                chunk.release();
                fromDaemon.abort(failure);
            }));
        }

        @Override
        public void onComplete(Result result) {
            if (result.isSucceeded()) {
                response.write(true, null, callback);
            } else if (!response.isCommitted()) {
                if (exchange != null) {
                    exchange.backendFailed();
                }
                Log.error("backend request failed: " + result.getFailure());
                if (result.getFailure() instanceof java.util.concurrent.TimeoutException) {
                    sendJson(response, callback, HttpStatus.GATEWAY_TIMEOUT_504, "the Docker daemon did not answer in time");
                } else {
                    sendJson(response, callback, HttpStatus.BAD_GATEWAY_502,
                            "CetusGuard cannot reach the Docker daemon: " + backend.unreachable(result.getFailure()));
                }
            } else {
                callback.failed(result.getFailure());
            }
        }
    }

    private static void sendJson(Response response, Callback callback, int status, String message) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JsonError.CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(JsonError.body(message)), callback);
    }
}
