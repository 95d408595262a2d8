package org.cetusguard.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.cetusguard.gate.ContainerLookup;
import org.cetusguard.gate.Decision;
import org.cetusguard.gate.Forward;
import org.cetusguard.gate.Lookups;
import org.cetusguard.gate.Refuse;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.policy.ContainerPolicy;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;

/**
 * The proxy servlet's request transformer for a body the container policy judges: it holds the body
 * whole, copied out of the servlet's read buffer chunk by chunk into memory leased from the budget,
 * passes nothing on, and at the body's end starts the gate's decision on exactly those bytes. The
 * servlet sends nothing to the daemon until that decision is in (see
 * {@link FilteringProxyServlet#sendProxyRequest}).
 */
final class HeldBody implements AsyncMiddleManServlet.ContentTransformer {
    private final RequestGate gate;
    private final Forward forward;
    private final Backend backend;
    private final ContainerLookup containers;
    private final MemoryBudget.Lease lease;
    private final BodyBuffer body;
    /** Completed once the whole body is judged; never when it breaks off (the servlet answers that). */
    private final CompletableFuture<Decision> decision = new CompletableFuture<>();
    private boolean judged;

    /** @param expected the announced Content-Length, or -1 */
    HeldBody(RequestGate gate, Forward forward, Backend backend, ContainerLookup containers, MemoryBudget.Lease lease, long expected) {
        this.gate = gate;
        this.forward = forward;
        this.backend = backend;
        this.containers = containers;
        this.lease = lease;
        this.body = new BodyBuffer(lease, ContainerPolicy.MAX_BODY_BYTES, expected);
    }

    /**
     * Contract (the servlet's reader calls it with each chunk, on a server thread): copies the chunk,
     * emits nothing; with the last one starts the decision. A body that cannot be held is refused at
     * once by throwing {@link Refused}: the reader stops and the servlet answers it (413, 503).
     */
    @Override
    public void transform(ByteBuffer input, boolean finished, List<ByteBuffer> output) throws Refused {
        BodyBuffer.Result appended = body.append(input);
        if (appended != BodyBuffer.Result.OK) {
            throw new Refused(appended == BodyBuffer.Result.TOO_LARGE
                    ? tooLarge(forward, ContainerPolicy.MAX_BODY_BYTES) : Refuse.busy(forward.path()));
        }
        if (finished && !judged) {
            judged = true;
            decide(gate, forward, body.bytes(), backend, containers, lease).whenComplete((decided, failure) -> {
                if (decided != null) {
                    decision.complete(decided);
                } else {
                    decision.completeExceptionally(failure);
                }
            });
        }
    }

    /** The gate's decision on the whole body, whenever the servlet asks for it. */
    CompletableFuture<Decision> decision() {
        return decision;
    }

    /**
     * Reserves what judging {@code bytes} may take, then asks the gate to finish the decision
     * ({@link RequestGate#complete}: the container a scoped client names, then the body), which asks
     * the daemon about images and containers through the shared backend client: no thread waits.
     * Refused busy (503) when the budget cannot spare the room ({@code bytes} null: it could not
     * spare the exact copy). The room is given back once decided: what stays held until the
     * exchange ends is the body (the bytes sent).
     */
    static CompletableFuture<Decision> decide(RequestGate gate, Forward forward, byte[] bytes, Backend backend,
                                              ContainerLookup containers, MemoryBudget.Lease lease) {
        long working = bytes == null ? 0 : gate.bodyWorkingMemory(forward, bytes.length);
        if (bytes == null || !lease.grow(working)) {
            return CompletableFuture.completedFuture(Refuse.busy(forward.path()));
        }
        return gate.complete(forward, bytes, new Lookups(new DaemonImages(backend, lease), containers))
                .whenComplete((decided, failure) -> lease.shrink(working));
    }

    static Refuse tooLarge(Forward forward, int max) {
        return new Refuse(413, "request body larger than " + max + " bytes: too large to check", Refuse.Cause.POLICY,
                forward.path(), forward.profile().name());
    }

    /** A body refused while it was still arriving; thrown only to stop the servlet's reader. */
    static final class Refused extends IOException {
        final transient Refuse refuse;

        Refused(Refuse refuse) {
            super(refuse.message());
            this.refuse = refuse;
        }

        /** A verdict, not a fault: no stack to record. */
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
