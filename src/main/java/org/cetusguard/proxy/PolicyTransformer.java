package org.cetusguard.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.Verdict;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;

/**
 * Holds back a request body the container policy must read (container create and the like: small
 * JSON documents, capped at {@link ContainerPolicy#MAX_BODY_BYTES}), checks it once it is complete,
 * and only then releases it: the bytes forwarded are exactly the bytes checked (or the policy's own
 * rewrite, which it has re-checked). A refused body is never forwarded; the request fails with
 * {@link Refused}, which the servlet turns into the verdict's status and message.
 */
final class PolicyTransformer implements AsyncMiddleManServlet.ContentTransformer {
    /** A body the policy refused; carries the answer for the client. */
    static final class Refused extends IOException {
        final Verdict verdict;

        Refused(Verdict verdict) {
            super(verdict.message());
            this.verdict = verdict;
        }

        /** A refusal is an answer to a client, not a fault: no stack trace to fill. */
        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private final String method;
    private final RequestGate.Allowed allowed;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream(1024);

    PolicyTransformer(String method, RequestGate.Allowed allowed) {
        this.method = method;
        this.allowed = allowed;
    }

    @Override
    public void transform(ByteBuffer input, boolean finished, List<ByteBuffer> output) throws IOException {
        int length = input.remaining();
        if (body.size() + length > ContainerPolicy.MAX_BODY_BYTES) {
            throw new Refused(new Verdict.Bad(413, "request body larger than "
                    + ContainerPolicy.MAX_BODY_BYTES + " bytes: too large for the container policy to check"));
        }
        byte[] chunk = new byte[length];
        input.get(chunk);
        body.write(chunk);
        if (!finished) {
            return;
        }
        Verdict verdict = allowed.policy().check(method, allowed.path(), allowed.query(), body.toByteArray());
        if (verdict instanceof Verdict.Allow) {
            output.add(ByteBuffer.wrap(body.toByteArray()));
        } else if (verdict instanceof Verdict.Rewrite rewrite) {
            output.add(ByteBuffer.wrap(rewrite.body()));
        } else {
            throw new Refused(verdict);
        }
    }
}
