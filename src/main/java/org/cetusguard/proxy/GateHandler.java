package org.cetusguard.proxy;

import org.cetusguard.audit.Exchange;
import org.cetusguard.audit.Observer;
import org.cetusguard.gate.Decision;
import org.cetusguard.gate.Forward;
import org.cetusguard.gate.GateRequest;
import org.cetusguard.gate.Refuse;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.log.Log;
import org.cetusguard.metrics.Metrics;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Where every proxied request meets the {@link RequestGate}: this adapter turns the Jetty request
 * into the gate's input and the gate's answer into Jetty calls, and decides nothing itself.
 * A refusal is answered here ({@link Refusals}); a request whose body must be in hand first (the
 * container policy reads it, or it upgrades to a hijacked stream) goes to the
 * {@link BufferedForwarder}; every other request streams through the proxy servlet, carrying its
 * {@link Forward} as a request attribute.
 */
public final class GateHandler extends Handler.Wrapper {
    /** The request attribute holding the gate's {@link Forward} for the servlet. */
    static final String FORWARD_ATTRIBUTE = GateHandler.class.getName() + ".forward";

    private final RequestGate gate;
    private final Backend backend;
    private final MemoryBudget budget = MemoryBudget.forHeap();
    private final BufferedForwarder buffered;

    /** @param servlet the proxy servlet's context, which streams what the gate forwards */
    public GateHandler(RequestGate gate, Backend backend, Metrics metrics, Handler servlet) {
        super(servlet);
        this.gate = gate;
        this.backend = backend;
        this.buffered = new BufferedForwarder(gate, backend, metrics, budget);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        GateRequest input = new GateRequest(request.getMethod(), request.getHttpURI().getPath(), request.getHttpURI().getQuery(),
                gate.needsIdentity() ? ClientIdentities.of(request) : null,
                request.getTunnelSupport() != null && asksForTcpUpgrade(request.getHeaders()));
        Decision decision = gate.decide(input);
        if (decision instanceof Refuse refuse) {
            Refusals.send(request, response, callback, refuse, true);
            return true;
        }
        Forward forward = (Forward) decision;
        record(request, forward);
        if (forward.buffersBody()) {
            buffered.handle(request, response, callback, forward);
            return true;
        }
        return stream(request, response, callback, forward);
    }

    /**
     * The servlet reads a body into a heap buffer of the backend client's request-buffer size for as
     * long as the exchange lasts, however slowly the client sends: that buffer is reserved from the
     * budget, so slow uploads in total cannot take more than the budget either.
     */
    private boolean stream(Request request, Response response, Callback callback, Forward forward) throws Exception {
        boolean hasBody = request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        Callback done = callback;
        if (hasBody) {
            MemoryBudget.Lease lease = budget.lease();
            if (!lease.grow(backend.httpClient().getRequestBufferSize())) {
                Refusals.send(request, response, callback, Refuse.busy(forward.path()), true);
                return true;
            }
            done = Callback.from(callback, lease::close);
            request.setAttribute(FORWARD_ATTRIBUTE, forward);
            try {
                return super.handle(request, response, done);
            } catch (Exception | Error e) {
                lease.close();
                throw e;
            }
        }
        request.setAttribute(FORWARD_ATTRIBUTE, forward);
        return super.handle(request, response, done);
    }

    /** The gate said yes: the audit log and metrics learn it; learning mode's yes-anyway is a warning. */
    private static void record(Request request, Forward forward) {
        Exchange exchange = Exchange.of(request);
        String client = Observer.clientOf(request);
        if (forward.wouldDeny()) {
            Log.warning("would deny request (audit only): " + request.getMethod() + " " + Refusals.printable(forward.path()) + " from " + client);
            if (exchange != null) {
                exchange.decided(Exchange.Decision.WOULD_DENY, "rules", "-", forward.path());
            }
            return;
        }
        if (Log.enabled(Log.DEBUG)) {
            Log.debug("allowed request: " + request.getMethod() + " " + forward.path() + " from " + client);
        }
        if (exchange != null) {
            exchange.decided(Exchange.Decision.ALLOW, "-", forward.rule().toString(), forward.path());
        }
    }

    static boolean asksForTcpUpgrade(HttpFields headers) {
        HttpField upgrade = headers.getField(HttpHeader.UPGRADE);
        HttpField connection = headers.getField(HttpHeader.CONNECTION);
        return upgrade != null && connection != null && upgrade.contains("tcp") && connection.contains("upgrade");
    }
}
