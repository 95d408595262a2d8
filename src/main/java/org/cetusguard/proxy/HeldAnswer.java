package org.cetusguard.proxy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.cetusguard.gate.Forward;
import org.cetusguard.gate.Refuse;
import org.cetusguard.policy.AnswerRewrite;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The proxy servlet's answer transformer for an answer the policy rewrites (redact-env, a network's
 * containers under only-label): it holds the daemon's answer whole, copied chunk by chunk into
 * memory leased from the budget, emits nothing until the answer is complete, then emits the
 * rewritten answer in one piece (sent chunked: the servlet drops the daemon's Content-Length). An
 * answer it cannot rewrite (larger than {@link AnswerRewrite#MAX_ANSWER_BYTES}, more than the
 * budget can spare, not JSON, encoded) is never passed on: the client gets a refusal instead (502,
 * or 503 to retry), written by {@link Refusals}, and the rest of the daemon's answer is read and
 * dropped. Runs on the backend client's selector: CPU and leased memory only.
 */
final class HeldAnswer implements AsyncMiddleManServlet.ContentTransformer {
    /** Turns a refusal into the bytes to emit in place of the answer (and sets the response up for them). */
    interface Refuser {
        byte[] refuse(Refuse refuse);
    }

    private final AnswerRewrite rewrite;
    private final Forward forward;
    private final MemoryBudget.Lease lease;
    private final String encoding;
    private final Refuser refuser;
    private final BodyBuffer answer;
    private boolean done;

    /**
     * @param expected the daemon's Content-Length, or -1
     * @param encoding the daemon's Content-Encoding, or null
     */
    HeldAnswer(AnswerRewrite rewrite, Forward forward, MemoryBudget.Lease lease, long expected, String encoding, Refuser refuser) {
        this.rewrite = rewrite;
        this.forward = forward;
        this.lease = lease;
        this.encoding = encoding;
        this.refuser = refuser;
        this.answer = new BodyBuffer(lease, AnswerRewrite.MAX_ANSWER_BYTES, expected);
    }

    /** For the proxy servlet: a refusal is written by {@link Refusals} in place of the daemon's answer, without its headers. */
    static HeldAnswer of(Forward forward, MemoryBudget.Lease lease, HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
                         Response serverResponse) {
        List<String> names = new ArrayList<>();
        for (HttpField field : serverResponse.getHeaders()) {
            names.add(field.getName());
        }
        return new HeldAnswer(forward.answer(), forward, lease, serverResponse.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH),
                serverResponse.getHeaders().get(HttpHeader.CONTENT_ENCODING),
                refuse -> Refusals.inPlace(clientRequest, proxyResponse, names, refuse));
    }

    @Override
    public void transform(ByteBuffer input, boolean finished, List<ByteBuffer> output) {
        if (done) {
            input.position(input.limit());
            return;
        }
        if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
            refuse(cannot("it is encoded (" + encoding + ")"), output);
            return;
        }
        BodyBuffer.Result appended = answer.append(input);
        if (appended != BodyBuffer.Result.OK) {
            refuse(appended == BodyBuffer.Result.TOO_LARGE ? cannot("it is larger than " + AnswerRewrite.MAX_ANSWER_BYTES + " bytes")
                    : Refuse.busy(forward.path()), output);
            return;
        }
        if (finished) {
            rewrite(output);
        }
    }

    private void rewrite(List<ByteBuffer> output) {
        byte[] bytes = answer.bytes();
        long working = bytes == null ? 0 : rewrite.workingMemory(bytes.length);
        if (bytes == null || !lease.grow(working)) {
            refuse(Refuse.busy(forward.path()), output);
            return;
        }
        try {
            AnswerRewrite.Prepared prepared = rewrite.prepare(bytes);
            if (!lease.grow(prepared.length())) {
                refuse(Refuse.busy(forward.path()), output);
                return;
            }
            byte[] rewritten = prepared.apply();
            done = true;
            answer.release();
            output.add(ByteBuffer.wrap(rewritten));
        } catch (AnswerRewrite.Unreadable e) {
            refuse(cannot(e.getMessage()), output);
        } finally {
            lease.shrink(working);
        }
    }

    private Refuse cannot(String why) {
        return new Refuse(502, "CetusGuard cannot rewrite the Docker daemon's answer as its policy requires: " + why,
                Refuse.Cause.DAEMON, forward.path(), forward.profile().name());
    }

    /** The refusal in place of the answer: nothing of the daemon's answer goes to the client. */
    private void refuse(Refuse refuse, List<ByteBuffer> output) {
        done = true;
        answer.release();
        output.add(ByteBuffer.wrap(refuser.refuse(refuse)));
    }
}
