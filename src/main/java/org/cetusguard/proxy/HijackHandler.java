package org.cetusguard.proxy;

import java.util.Set;
import java.util.concurrent.TimeoutException;

import org.cetusguard.gate.ContainerLookup;
import org.cetusguard.gate.Decision;
import org.cetusguard.gate.Forward;
import org.cetusguard.gate.GateRequest;
import org.cetusguard.gate.Refuse;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.log.Log;
import org.cetusguard.observe.Exchange;
import org.cetusguard.observe.Metrics;
import org.cetusguard.policy.ContainerPolicy;
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
import org.eclipse.jetty.util.Callback;

/**
 * Attach and exec start, the Docker API's hijacked streams ({@code Connection: Upgrade},
 * {@code Upgrade: tcp}, answered 101, then raw bytes both ways): the one kind of request the proxy
 * servlet cannot relay, so this core handler in front of it takes them, and only them. A request
 * that asks for a tcp upgrade is put to the gate here: a refusal is answered here; a request the
 * gate does not upgrade (its canonical path is no attach or exec start) goes on to the servlet,
 * untouched, which decides it as any other and forwards it without its upgrade headers. An upgrade
 * is one exchange: read the (small) body into memory leased from the budget, let the gate decide
 * on those bytes, send exactly the bytes it returns with their Content-Length, then relay the
 * daemon's answer, or the 101 and a {@link Tunnel} that copies raw bytes both ways.
 *
 * <p>No thread waits: the body is read on demand, the image lookups and the daemon's answer arrive
 * as events. No pooled buffer waits with a slow client: each chunk is copied out and released.
 */
public final class HijackHandler extends Handler.Wrapper {
    /** Attach and exec-start bodies are a few bytes of JSON; anything larger is not such a request. */
    static final int MAX_UPGRADE_BODY = 64 * 1024;
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private final RequestGate gate;
    private final Backend backend;
    private final Metrics metrics;
    private final MemoryBudget budget;
    private final ContainerLookup containers;

    /**
     * @param containers what a scoped client's attach or exec start is resolved with (only-label)
     * @param servlet    the proxy servlet's context, which takes every request but the upgrades
     */
    public HijackHandler(RequestGate gate, Backend backend, Metrics metrics, MemoryBudget budget, ContainerLookup containers,
                         Handler servlet) {
        super(servlet);
        this.gate = gate;
        this.backend = backend;
        this.metrics = metrics;
        this.budget = budget;
        this.containers = containers;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (request.getTunnelSupport() == null || !asksForTcpUpgrade(request.getHeaders())) {
            return toServlet(request, response, callback);
        }
        Decision decision = decide(request, true);
        if (decision instanceof Refuse refuse) {
            Refusals.send(request, response, callback, refuse, true);
            return true;
        }
        Forward forward = (Forward) decision;
        if (!forward.upgrade()) {
            return toServlet(request, response, callback);
        }
        DecisionRecord.allowed(request, forward);
        MemoryBudget.Lease lease = budget.lease();
        int max = forward.checkBody() ? ContainerPolicy.MAX_BODY_BYTES : MAX_UPGRADE_BODY;
        new HeldRequest(request, response, Callback.from(callback, lease::close), forward, lease,
                new BodyBuffer(lease, max, request.getLength())).read();
        return true;
    }

    private Decision decide(Request request, boolean upgrade) {
        return gate.decide(new GateRequest(request.getMethod(), request.getHttpURI().getPath(), request.getHttpURI().getQuery(),
                gate.needsIdentity() ? ClientIdentities.of(request) : null, upgrade, request.getHeaders().get(HttpHeader.CONTENT_TYPE)));
    }

    /**
     * The servlet's context takes every target that has a path. One without (OPTIONS *) never reaches
     * the servlet, so the gate's refusal of it is answered here: no request goes unjudged, none is sent.
     */
    private boolean toServlet(Request request, Response response, Callback callback) throws Exception {
        if (super.handle(request, response, callback)) {
            return true;
        }
        Refuse refuse = decide(request, false) instanceof Refuse refused ? refused
                : new Refuse(400, "bad request: no path to forward", Refuse.Cause.AMBIGUOUS, request.getHttpURI().getPath(), null);
        Refusals.send(request, response, callback, refuse, true);
        return true;
    }

    static boolean asksForTcpUpgrade(HttpFields headers) {
        HttpField upgrade = headers.getField(HttpHeader.UPGRADE);
        HttpField connection = headers.getField(HttpHeader.CONNECTION);
        return upgrade != null && connection != null && upgrade.contains("tcp") && connection.contains("upgrade");
    }

    /** One request, from its first body byte to the end of the daemon's answer. */
    private final class HeldRequest {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final Forward forward;
        private final MemoryBudget.Lease lease;
        private final BodyBuffer body;

        HeldRequest(Request request, Response response, Callback callback, Forward forward, MemoryBudget.Lease lease, BodyBuffer body) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.forward = forward;
            this.lease = lease;
            this.body = body;
        }

        /** Reads what has arrived, copies it out, releases it; asks for more until the body is complete. */
        void read() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this::read);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    Throwable failure = chunk.getFailure();
                    chunk.release();
                    brokenBody(failure);
                    return;
                }
                BodyBuffer.Result appended = body.append(chunk.getByteBuffer());
                boolean last = chunk.isLast();
                chunk.release();
                if (appended == BodyBuffer.Result.TOO_LARGE) {
                    refuse(HeldBody.tooLarge(forward, forward.checkBody() ? ContainerPolicy.MAX_BODY_BYTES : MAX_UPGRADE_BODY));
                    return;
                }
                if (appended == BodyBuffer.Result.NO_MEMORY) {
                    refuse(Refuse.busy(forward.path()));
                    return;
                }
                if (last) {
                    judge();
                    return;
                }
            }
        }

        private void brokenBody(Throwable failure) {
            boolean stalled = failure instanceof TimeoutException;
            sendError(stalled ? HttpStatus.REQUEST_TIMEOUT_408 : HttpStatus.BAD_REQUEST_400,
                    stalled ? "request body not received in time" : "bad request: malformed or incomplete request body");
        }

        private void judge() {
            HeldBody.decide(gate, forward, body.bytes(), backend, containers, lease).whenComplete((decision, failure) -> {
                try {
                    decided(decision);
                } catch (Throwable x) {
                    callback.failed(x);
                }
            });
        }

        private void decided(Decision decision) {
            if (decision instanceof Refuse refuse) {
                refuse(refuse);
                return;
            }
            send((Forward) decision);
        }

        private void refuse(Refuse refuse) {
            // The body is read (or cut short on purpose): nothing left to drain.
            Refusals.send(request, response, callback, refuse, false);
        }

        private void sendError(int status, String message) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            JsonError.send(response, status, message, callback);
        }

        /** Sends exactly the decided bytes, with their Content-Length, and relays the answer. */
        private void send(Forward decided) {
            org.eclipse.jetty.client.Request toDaemon = backend.prepare(backend.httpClient().newRequest(backend.uri(decided.target())))
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
            if (decided.body().length > 0) {
                toDaemon.body(new BytesRequestContent((String) null, decided.body()));
            }
            toDaemon.attribute(HttpUpgrader.Factory.class.getName(), (HttpUpgrader.Factory) version -> new Upgrader());
            toDaemon.send(new Relay(response, callback, backend, Exchange.of(request)));
        }

        /** The daemon answered 101: relay it and join the two connections with a {@link Tunnel}. */
        private final class Upgrader implements HttpUpgrader {
            @Override
            public void prepare(org.eclipse.jetty.client.Request ignored) {
            }

            @Override
            public void upgrade(org.eclipse.jetty.client.Response fromDaemon, EndPoint daemonEndPoint, Callback upgraded) {
                // The session holds only the tunnel's pooled buffers while bytes move: the body is sent.
                lease.close();
                EndPoint clientEndPoint = request.getTunnelSupport().getEndPoint();
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
        }
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
     * The daemon's answer when it does not upgrade (an attach the daemon refuses, or an old daemon
     * answering 200 with the raw stream), relayed as it streams.
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
            response.write(false, chunk.getByteBuffer(), Callback.from(() -> {
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
                boolean late = result.getFailure() instanceof TimeoutException;
                JsonError.send(response, late ? HttpStatus.GATEWAY_TIMEOUT_504 : HttpStatus.BAD_GATEWAY_502, late
                        ? "the Docker daemon did not answer in time"
                        : "CetusGuard cannot reach the Docker daemon: " + backend.unreachable(result.getFailure()), callback);
            } else {
                callback.failed(result.getFailure());
            }
        }
    }
}
