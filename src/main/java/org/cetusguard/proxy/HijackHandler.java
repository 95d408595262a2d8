package org.cetusguard.proxy;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import org.cetusguard.audit.Exchange;
import org.cetusguard.gate.Decision;
import org.cetusguard.gate.Forward;
import org.cetusguard.gate.Refuse;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.log.Log;
import org.cetusguard.metrics.Metrics;
import org.cetusguard.policy.ContainerPolicy;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpUpgrader;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The requests whose whole body must be in hand before anything goes to the daemon: bodies the
 * container policy judges, and attach / exec start, which take over the connection
 * ({@code Connection: Upgrade}, {@code Upgrade: tcp}) once the daemon answers 101. One exchange:
 * read the (small) body into memory reserved from the budget, let the gate decide on those bytes,
 * send exactly the bytes it returns with their Content-Length, then relay the daemon's answer, or
 * the 101 and a {@link Tunnel} that copies raw bytes both ways.
 *
 * <p>No thread waits: the body is read on demand, the image lookups and the daemon's answer arrive
 * as events. No pooled buffer waits with a slow client: each chunk is copied out and released.
 */
final class BufferedForwarder {
    /** Attach and exec-start bodies are a few bytes of JSON; anything larger is not such a request. */
    static final int MAX_UPGRADE_BODY = 64 * 1024;
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    private final RequestGate gate;
    private final Backend backend;
    private final Metrics metrics;
    private final MemoryBudget budget;

    BufferedForwarder(RequestGate gate, Backend backend, Metrics metrics, MemoryBudget budget) {
        this.gate = gate;
        this.backend = backend;
        this.metrics = metrics;
        this.budget = budget;
    }

    /** Takes over the request; {@code callback} completes when the exchange (or session) ends. */
    void handle(Request request, Response response, Callback callback, Forward forward) {
        MemoryBudget.Lease lease = budget.lease();
        Callback done = Callback.from(callback, lease::close);
        int max = forward.checkBody() ? ContainerPolicy.MAX_BODY_BYTES : MAX_UPGRADE_BODY;
        new HeldRequest(request, response, done, forward, lease, new BodyBuffer(lease, max, request.getLength())).read();
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
                    refuse(new Refuse(413, "request body larger than " + (forward.checkBody() ? ContainerPolicy.MAX_BODY_BYTES
                            : MAX_UPGRADE_BODY) + " bytes: too large to check", Refuse.Cause.POLICY, forward.path(),
                            forward.profile().name()));
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
            byte[] bytes = body.bytes();
            if (bytes == null || !lease.grow(gate.bodyWorkingMemory(forward, bytes.length))) {
                refuse(Refuse.busy(forward.path()));
                return;
            }
            gate.decideBody(forward, bytes, new DaemonImages(backend, lease)).whenComplete((decision, failure) -> {
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
                if (decided.upgrade()) {
                    headers.put(HttpHeader.CONNECTION, "Upgrade");
                    headers.put(HttpHeader.UPGRADE, "tcp");
                }
            });
            if (decided.body().length > 0) {
                toDaemon.body(new BytesRequestContent(request.getHeaders().get(HttpHeader.CONTENT_TYPE), decided.body()));
            }
            if (decided.upgrade()) {
                toDaemon.attribute(HttpUpgrader.Factory.class.getName(), (HttpUpgrader.Factory) version -> new Upgrader());
            }
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
     * The daemon's answer when it does not upgrade (every policy-checked request; an attach the
     * daemon refuses, or an old daemon answering 200 with the raw stream), relayed as it streams.
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
