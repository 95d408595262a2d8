package org.cetusguard.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.cetusguard.gate.ContainerLookup;
import org.cetusguard.gate.Decision;
import org.cetusguard.gate.Forward;
import org.cetusguard.gate.GateRequest;
import org.cetusguard.gate.Lookups;
import org.cetusguard.gate.Refuse;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.jetty.JettyInternals;
import org.cetusguard.log.Log;
import org.cetusguard.observe.Exchange;
import org.cetusguard.text.Escape;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.thread.Invocable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy for every request but the hijacked attach / exec start ({@link HijackHandler}): Jetty's
 * middle-man servlet, with its hooks as the adapters to the {@link RequestGate}. {@link #rewriteTarget}
 * asks the gate about the path, the profile and the rules and returns the exact target it forwards
 * to, or refuses ({@link #onProxyRewriteFailed}); a body the container policy judges is held by a
 * {@link HeldBody} transformer and sent by {@link #sendProxyRequest} only as the gate decides on it;
 * every other body streams both ways without being held whole. The rest adjusts how the stock
 * servlet relays (headers, errors, streams that must not wait).
 */
public class FilteringProxyServlet extends AsyncMiddleManServlet {
    private static final String FAILURE_ATTRIBUTE = FilteringProxyServlet.class.getName() + ".failure";
    private static final String WATCH_ATTRIBUTE = FilteringProxyServlet.class.getName() + ".watch";
    /** The gate's {@link Decision} on the request: its Forward, or the Refuse behind a null rewrite. */
    private static final String DECISION_ATTRIBUTE = FilteringProxyServlet.class.getName() + ".decision";
    private static final String HELD_BODY_ATTRIBUTE = FilteringProxyServlet.class.getName() + ".heldBody";
    private static final String LEASE_ATTRIBUTE = FilteringProxyServlet.class.getName() + ".lease";
    /** The Forward a deferred decision completed with: the exact target sent, and how its answer is transformed. */
    private static final String DECIDED_ATTRIBUTE = FilteringProxyServlet.class.getName() + ".decided";
    /**
     * What a request whose decision is deferred ({@link Forward#deferred}) is addressed to until the
     * gate has completed it: a path the daemon has no route for, so that no mistake could send a
     * request to the object its name happened to point to before it was resolved.
     */
    private static final String UNDECIDED_TARGET = "/cetusguard/undecided";

    private final RequestGate gate;
    private final Backend backend;
    private final MemoryBudget budget;
    private final ContainerLookup containers;
    private final DisconnectWatches watches;

    public FilteringProxyServlet(RequestGate gate, Backend backend, MemoryBudget budget) {
        this(gate, backend, budget, ContainerLookup.NONE);
    }

    /** @param containers what a scoped client's requests are resolved with (only-label) */
    public FilteringProxyServlet(RequestGate gate, Backend backend, MemoryBudget budget, ContainerLookup containers) {
        this.gate = gate;
        this.backend = backend;
        this.budget = budget;
        this.containers = containers;
        this.watches = new DisconnectWatches(backend.scheduler());
    }

    /**
     * Not content: queued ahead of a streamed answer's body so that the writer commits its headers, with a
     * non-blocking flush, in its turn (see {@link #commitHeaders}). Never written, never modified.
     */
    private static final ByteBuffer COMMIT_HEADERS = ByteBuffer.allocate(1).asReadOnlyBuffer();

    /**
     * Writes the daemon's chunk as it is (the stock implementation copies each one into a new byte[]),
     * or, for {@link #COMMIT_HEADERS}, flushes: the output is in asynchronous mode and ready, as for
     * any write of this writer, so the flush commits the headers without waiting for the client.
     */
    @Override
    protected void writeProxyResponseContent(ServletOutputStream output, ByteBuffer content) throws IOException {
        if (content == COMMIT_HEADERS) {
            output.flush();
        } else if (output instanceof HttpOutput jettyOutput) {
            jettyOutput.write(content);
        } else {
            super.writeProxyResponseContent(output, content);
        }
    }

    /** The backend client is shared with the hijack handler and owned by the server's lifecycle. */
    @Override
    protected HttpClient createHttpClient() {
        return backend.httpClient();
    }

    @Override
    public void destroy() {
        // Not stopping the shared client here: the server stops it after the last request is done.
    }

    /**
     * Contract (the stock servlet's first step, on a server thread): the gate's decision on the path,
     * the profile and the rules. A forward returns the daemon URI of its exact target; a request with
     * a body also needs room in the budget for the servlet's read buffer, else it is refused busy
     * (503). A refusal is kept on the request and null returned, so {@link #onProxyRewriteFailed}
     * answers it.
     */
    @Override
    protected String rewriteTarget(HttpServletRequest clientRequest) {
        ServletContextRequest request = ServletContextRequest.getServletContextRequest(clientRequest);
        Decision decision = gate.decide(new GateRequest(request.getMethod(), request.getHttpURI().getPath(),
                request.getHttpURI().getQuery(), gate.needsIdentity() ? ClientIdentities.of(request) : null, false,
                request.getHeaders().get(HttpHeader.CONTENT_TYPE)));
        if (decision instanceof Forward forward && hasContent(clientRequest)
                && !lease(request).grow(getHttpClient().getRequestBufferSize())) {
            decision = Refuse.busy(forward.path());
        }
        clientRequest.setAttribute(DECISION_ATTRIBUTE, decision);
        if (decision instanceof Forward forward) {
            DecisionRecord.allowed(request, forward);
            return backend.uri(forward.deferred() ? UNDECIDED_TARGET : forward.target());
        }
        return null;
    }

    /** The refusal {@link #rewriteTarget} kept, answered; a small body still arriving is read and dropped first. */
    @Override
    protected void onProxyRewriteFailed(HttpServletRequest clientRequest, HttpServletResponse proxyResponse) {
        Refusals.send(clientRequest, proxyResponse, (Refuse) clientRequest.getAttribute(DECISION_ATTRIBUTE), true);
    }

    /**
     * What this request holds from the budget (the servlet's read buffer, a held body, image answers),
     * all of it returned once, when the exchange completes, however it ends.
     */
    private MemoryBudget.Lease lease(ServletContextRequest request) {
        if (request.getAttribute(LEASE_ATTRIBUTE) instanceof MemoryBudget.Lease lease) {
            return lease;
        }
        MemoryBudget.Lease lease = budget.lease();
        request.setAttribute(LEASE_ATTRIBUTE, lease);
        org.eclipse.jetty.server.Request.addCompletionListener(request, failure -> lease.close());
        return lease;
    }

    private static Forward forwardOf(HttpServletRequest clientRequest) {
        return (Forward) clientRequest.getAttribute(DECISION_ATTRIBUTE);
    }

    /** A body the container policy judges is held whole ({@link HeldBody}); every other body streams as it is. */
    @Override
    protected ContentTransformer newClientRequestContentTransformer(HttpServletRequest clientRequest, Request proxyRequest) {
        Forward forward = forwardOf(clientRequest);
        if (!forward.checkBody()) {
            return ContentTransformer.IDENTITY;
        }
        HeldBody held = new HeldBody(gate, forward, backend, containers, lease(ServletContextRequest.getServletContextRequest(clientRequest)),
                clientRequest.getContentLengthLong());
        clientRequest.setAttribute(HELD_BODY_ATTRIBUTE, held);
        return held;
    }

    /**
     * Contract (the stock servlet calls it once the request may go: at once without a body, or when the
     * transformer has seen the body's end, or with a streamed body's first chunk): a deferred decision
     * ({@link Forward#deferred}) is completed by the gate first, and the request goes only as it
     * decides: to exactly the decided target (a scoped client's container resolved to its ID), a body
     * the policy judges as exactly the decided bytes with their Content-Length (the servlet's
     * streaming content is dropped unread), a streamed body as it streams; or not at all and the
     * refusal is answered. The decision may complete on the backend client's selector (a lookup):
     * sending and refusing both never block.
     */
    @Override
    protected void sendProxyRequest(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Request proxyRequest) {
        Forward forward = forwardOf(clientRequest);
        if (!forward.deferred()) {
            super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
            return;
        }
        MemoryBudget.Lease lease = lease(ServletContextRequest.getServletContextRequest(clientRequest));
        CompletableFuture<Decision> decision;
        if (!forward.checkBody()) {
            decision = gate.complete(forward, null, new Lookups(new DaemonImages(backend, lease), containers));
        } else if (clientRequest.getAttribute(HELD_BODY_ATTRIBUTE) instanceof HeldBody held) {
            decision = held.decision();
        } else {
            decision = HeldBody.decide(gate, forward, new byte[0], backend, containers, lease);
        }
        decision.whenComplete((decided, failure) -> sendDecided(clientRequest, proxyResponse, proxyRequest, decided, failure));
    }

    /** The gate's completed decision, applied: exactly the decided target and bytes, or the refusal and nothing sent. */
    private void sendDecided(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Request proxyRequest,
                             Decision decided, Throwable failure) {
        if (decided instanceof Forward checked) {
            clientRequest.setAttribute(DECIDED_ATTRIBUTE, checked);
            // The undecided target has no query, so the decided one brings its own or none.
            proxyRequest.path(checked.target());
            if (checked.body() != null) {
                proxyRequest.headers(headers -> headers.remove(HttpHeader.CONTENT_LENGTH));
                proxyRequest.body(new BytesRequestContent((String) null, checked.body()));
            }
            super.sendProxyRequest(clientRequest, proxyResponse, proxyRequest);
        } else if (decided instanceof Refuse refuse) {
            Refusals.send(clientRequest, proxyResponse, refuse, false);
        } else {
            Log.error("judging a request body failed: " + failure);
            sendProxyResponseError(clientRequest, proxyResponse, HttpStatus.INTERNAL_SERVER_ERROR_500);
        }
    }

    /** The servlet's own log follows Jetty's (quiet) level, not the default of a logger named after the servlet. */
    @Override
    protected Logger createLogger() {
        return LoggerFactory.getLogger(AsyncMiddleManServlet.class);
    }

    /** A held body refused while arriving is a verdict, answered in {@link #onProxyResponseFailure}; anything else is the client's fault. */
    @Override
    protected void onClientRequestFailure(HttpServletRequest clientRequest, Request proxyRequest, HttpServletResponse proxyResponse, Throwable failure) {
        if (!(failure instanceof HeldBody.Refused)) {
            Log.warning("bad request body: " + clientRequest.getMethod() + " " + Escape.forLog(clientRequest.getRequestURI())
                    + " from " + clientAddress(clientRequest) + ": " + failure);
        }
        super.onClientRequestFailure(clientRequest, proxyRequest, proxyResponse, failure);
    }

    @Override
    protected Request newProxyRequest(HttpServletRequest clientRequest, String rewrittenTarget) {
        return backend.prepare(super.newProxyRequest(clientRequest, rewrittenTarget));
    }

    @Override
    protected void copyRequestHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        super.copyRequestHeaders(clientRequest, proxyRequest);
        // We read the client's body ourselves (Jetty answers its 100-continue), so the daemon must not
        // be asked to send one of its own.
        proxyRequest.headers(headers -> headers.remove(HttpHeader.EXPECT));
    }

    @Override
    protected boolean expects100Continue(HttpServletRequest request) {
        return false;
    }

    /** The daemon needs neither Via nor Forwarded, and the Go original sends neither. */
    @Override
    protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
    }

    /** The decision as sent: the completed one for a deferred decision, else the gate's first. */
    private static Forward sentOf(HttpServletRequest clientRequest) {
        return clientRequest.getAttribute(DECIDED_ATTRIBUTE) instanceof Forward decided ? decided : forwardOf(clientRequest);
    }

    /** Whether the daemon's answer is held whole to be rewritten (only 200 answers are; errors go as they are). */
    private static boolean heldAnswer(HttpServletRequest clientRequest, Response serverResponse) {
        return serverResponse.getStatus() == HttpStatus.OK_200 && sentOf(clientRequest).answer() != null;
    }

    /**
     * Contract (the stock servlet asks once, with the answer's first bytes, on the backend client's
     * selector): the answer goes as the daemon sends it, unless the gate's decision names a
     * transformation: a rewrite of the whole answer ({@link HeldAnswer}), or an event stream filtered
     * line by line ({@link EventLines}).
     */
    @Override
    protected ContentTransformer newServerResponseContentTransformer(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
                                                                     Response serverResponse) {
        Forward sent = sentOf(clientRequest);
        MemoryBudget.Lease lease = lease(ServletContextRequest.getServletContextRequest(clientRequest));
        if (heldAnswer(clientRequest, serverResponse)) {
            return HeldAnswer.of(sent, lease, clientRequest, proxyResponse, serverResponse);
        }
        if (sent.events() && serverResponse.getStatus() == HttpStatus.OK_200) {
            org.cetusguard.policy.LabelScope scope = sent.policy().scope();
            return new EventLines(sent.policy().eventFilter(id -> containers.knownInScope(scope, id)), lease);
        }
        return ContentTransformer.IDENTITY;
    }

    /**
     * The middle-man servlet commits the response only when the first body bytes arrive. A streaming
     * answer (no Content-Length: `wait?condition=next-exit`, `/events`, `logs -f`) may send its headers
     * long before any body, and clients wait for those headers, so commit them now. Such a stream may
     * then be quiet for hours: a {@link ClientDisconnectWatch} ends it when its client leaves.
     */
    @Override
    protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse) {
        super.onServerResponseHeaders(clientRequest, proxyResponse, serverResponse);
        // An answer held to be rewritten is no stream, and must stay uncommitted until it is rewritten or refused.
        if (!serverResponse.getHeaders().contains(HttpHeader.CONTENT_LENGTH) && !heldAnswer(clientRequest, serverResponse)) {
            try {
                commitHeaders(clientRequest, proxyResponse, serverResponse);
            } catch (IOException | IllegalStateException e) {
                serverResponse.abort(e);
                return;
            }
            // Only once the request body is all in: until then the client's input belongs to the body.
            if (!hasContent(clientRequest) || inputFinished(clientRequest)) {
                EndPoint endPoint = ServletContextRequest.getServletContextRequest(clientRequest)
                        .getConnectionMetaData().getConnection().getEndPoint();
                clientRequest.setAttribute(WATCH_ATTRIBUTE, watches.watch(endPoint, serverResponse));
            }
        }
    }

    /**
     * Commits the headers without ever blocking a thread: a blocking flush waits as long as the client
     * does not read (a client that filled its socket with the previous answer could hold a worker, or
     * the backend client's selector, for the whole stream idle timeout). Instead the body's writer is
     * installed now, in asynchronous mode, with {@link #COMMIT_HEADERS} as its first chunk; the servlet
     * finds the writer where it looks for it and queues the body's chunks behind.
     */
    private void commitHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse) throws IOException {
        ProxyWriter writer = newProxyWriteListener(clientRequest, serverResponse);
        JettyInternals.adoptResponseWriter(clientRequest, writer);
        writer.offer(COMMIT_HEADERS, org.eclipse.jetty.util.Callback.NOOP);
        proxyResponse.getOutputStream().setWriteListener(writer);
    }

    @Override
    protected void onProxyResponseSuccess(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse) {
        stopWatch(clientRequest);
        super.onProxyResponseSuccess(clientRequest, proxyResponse, serverResponse);
    }

    private void stopWatch(HttpServletRequest clientRequest) {
        if (clientRequest.getAttribute(WATCH_ATTRIBUTE) instanceof ClientDisconnectWatch watch) {
            watches.stop(watch);
        }
    }

    private static boolean inputFinished(HttpServletRequest clientRequest) {
        try {
            return clientRequest.getInputStream().isFinished();
        } catch (IOException | IllegalStateException e) {
            return false;
        }
    }

    /**
     * The client's own request body broke off or was malformed (a bad chunk, an early end, a stall):
     * its fault, answered 400 (408 for a stall), not Jetty's default 500. The request already started at
     * the daemon, if any, is aborted by the caller.
     */
    @Override
    protected int clientRequestStatus(Throwable failure) {
        return failure instanceof TimeoutException ? HttpStatus.REQUEST_TIMEOUT_408 : HttpStatus.BAD_REQUEST_400;
    }

    @Override
    protected void onProxyResponseFailure(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, Response serverResponse, Throwable failure) {
        if (failure instanceof HeldBody.Refused refused) {
            // Nothing was sent to the daemon: the reader stopped at the body it could not hold.
            Refusals.send(clientRequest, proxyResponse, refused.refuse, false);
            return;
        }
        boolean clientsFault = HttpStatus.isClientError(proxyResponse.getStatus()) || failure instanceof ClientDisconnectWatch.ClientLeft;
        Exchange exchange = Exchange.of(clientRequest);
        if (exchange != null && !clientsFault) {
            exchange.backendFailed();
        }
        if (!clientsFault && (serverResponse == null || !proxyResponse.isCommitted())) {
            Log.error("backend request failed: " + clientRequest.getMethod() + " " + Escape.forLog(clientRequest.getRequestURI()) + ": " + failure);
        }
        clientRequest.setAttribute(FAILURE_ATTRIBUTE, failure);
        stopWatch(clientRequest);
        super.onProxyResponseFailure(clientRequest, proxyResponse, serverResponse, failure);
    }

    /** Errors of ours (502, 504) carry a JSON message too; a committed stream can only be cut short. */
    @Override
    protected void sendProxyResponseError(HttpServletRequest clientRequest, HttpServletResponse proxyResponse, int status) {
        if (!proxyResponse.isCommitted() && Invocable.isNonBlockingInvocation()) {
            // The error body goes out with a blocking write, and this thread (the backend client's
            // selector, see Backend) must never wait for a client: answer from a worker.
            backend.httpClient().getExecutor().execute(() -> sendProxyResponseError(clientRequest, proxyResponse, status));
            return;
        }
        if (proxyResponse.isCommitted()) {
            super.sendProxyResponseError(clientRequest, proxyResponse, status);
            return;
        }
        String message = switch (status) {
            case HttpStatus.BAD_GATEWAY_502 -> "CetusGuard cannot reach the Docker daemon: "
                    + backend.unreachable((Throwable) clientRequest.getAttribute(FAILURE_ATTRIBUTE));
            case HttpStatus.GATEWAY_TIMEOUT_504 -> "the Docker daemon did not answer in time";
            case HttpStatus.BAD_REQUEST_400 -> "bad request: malformed or incomplete request body";
            case HttpStatus.REQUEST_TIMEOUT_408 -> "request body not received in time";
            default -> "CetusGuard proxy error";
        };
        try {
            proxyResponse.resetBuffer();
            proxyResponse.setHeader(HttpHeader.CONNECTION.asString(), "close");
            sendJson(proxyResponse, status, message);
        } finally {
            if (clientRequest.isAsyncStarted()) {
                clientRequest.getAsyncContext().complete();
            }
        }
    }

    private static void sendJson(HttpServletResponse response, int status, String message) {
        byte[] body = JsonError.body(message);
        response.setStatus(status);
        response.setContentType(JsonError.CONTENT_TYPE);
        response.setContentLength(body.length);
        try {
            response.getOutputStream().write(body);
        } catch (IOException e) {
            Log.debug("client went away before the error body was sent: " + e);
        }
    }

    private static String clientAddress(HttpServletRequest request) {
        Exchange exchange = Exchange.of(request);
        if (exchange != null) {
            return exchange.client();
        }
        String address = request.getRemoteAddr();
        return address == null || address.isEmpty() ? "unix" : address + ":" + request.getRemotePort();
    }
}
