package org.cetusguard.proxy;

import org.cetusguard.audit.Exchange;
import org.cetusguard.audit.Observer;
import org.cetusguard.gate.Refuse;
import org.cetusguard.log.Log;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Every refusal the proxy answers goes through here: one warning line in the log, the decision on
 * the request's {@link Exchange} (so the audit log and the metrics see it), and the JSON error the
 * Docker clients print.
 */
final class Refusals {
    /** Bodies of refused requests up to this size are read and dropped so the answer arrives cleanly. */
    static final long MAX_DISCARDED_BODY = 1024 * 1024;

    private Refusals() {
    }

    /**
     * Answers {@code refuse}. When {@code drain} is set, a small body the client is still sending is
     * read and dropped first: answering first makes Jetty close a connection with unread bytes, and a
     * client still writing its body (docker volume create, exec start) then sees a broken pipe instead
     * of the answer. Reading holds no thread and no buffer: each chunk is released as it arrives, and
     * a client that stops sending is ended by the idle timeout.
     */
    static void send(Request request, Response response, Callback callback, Refuse refuse, boolean drain) {
        log(request, refuse);
        record(Exchange.of(request), refuse);
        boolean waitsForContinue = request.getHeaders().contains(HttpHeader.EXPECT, "100-continue");
        long length = request.getLength();
        boolean chunked = request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        if (!drain || waitsForContinue || length > MAX_DISCARDED_BODY || (length <= 0 && !chunked)) {
            write(response, callback, refuse);
            return;
        }
        new Drain(request, () -> write(response, callback, refuse)).run();
    }

    private static void log(Request request, Refuse refuse) {
        String client = Observer.clientOf(request);
        String method = request.getMethod();
        String path = printable(refuse.path());
        String profile = refuse.profile() == null || refuse.profile().equals("default") ? "" : " (profile " + refuse.profile() + ")";
        switch (refuse.cause()) {
            case AMBIGUOUS -> Log.warning("rejected request: " + refuse.reason().substring("path: ".length()) + ": " + method + " "
                    + path + " from " + client);
            case RULES -> Log.warning("denied request: " + method + " " + path + " from " + client + profile);
            case POLICY, DAEMON -> Log.warning("denied request by container policy: " + method + " " + path + " from " + client
                    + profile + ": " + printable(refuse.message()));
            case BUSY -> Log.warning("refused request, too many bodies held back at once: " + method + " " + path + " from " + client);
        }
    }

    private static void record(Exchange exchange, Refuse refuse) {
        if (exchange == null) {
            return;
        }
        switch (refuse.cause()) {
            case AMBIGUOUS -> exchange.decided(Exchange.Decision.REJECT, refuse.reason(), "-", null);
            case RULES -> exchange.decided(Exchange.Decision.DENY, refuse.reason(), "-", refuse.path());
            case POLICY -> exchange.policyRefused(refuse.status(), refuse.message());
            case DAEMON -> {
                exchange.backendFailed();
                exchange.policyRefused(refuse.status(), refuse.message());
            }
            case BUSY -> exchange.decided(Exchange.Decision.REJECT, refuse.reason(), "-", refuse.path());
        }
    }

    private static void write(Response response, Callback callback, Refuse refuse) {
        if (refuse.cause() == Refuse.Cause.BUSY) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        }
        JsonError.send(response, refuse.status(), refuse.message(), callback);
    }

    /** Reads a refused request's body to its end (at most {@link #MAX_DISCARDED_BODY} bytes), then answers. */
    private static final class Drain implements Runnable {
        private final Request request;
        private final Runnable answer;
        private long read;

        Drain(Request request, Runnable answer) {
            this.request = request;
            this.answer = answer;
        }

        @Override
        public void run() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                boolean done = chunk.isLast() || Content.Chunk.isFailure(chunk);
                read += chunk.remaining();
                chunk.release();
                if (done || read > MAX_DISCARDED_BODY) {
                    answer.run();
                    return;
                }
            }
        }
    }

    /** Control characters must not reach the log raw: a client could forge log lines with them. */
    static String printable(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = c < 0x20 || c == 0x7f;
            if (bad && out == null) {
                out = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (out != null) {
                if (bad) {
                    out.append(String.format("\\x%02x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? s : out.toString();
    }
}
