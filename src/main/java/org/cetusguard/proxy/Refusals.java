package org.cetusguard.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.cetusguard.gate.DaemonAnswer;
import org.cetusguard.gate.Refuse;
import org.cetusguard.observe.Exchange;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.DateGenerator;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Every refusal the proxy answers goes through here: one warning line in the log, the decision on
 * the request's {@link Exchange} (so the audit log and the metrics see it), and the JSON error the
 * Docker clients print; for the core handler API (the hijack handler) and for the servlet API (the
 * proxy servlet) alike.
 */
final class Refusals {
    /** Set on a servlet request once its refusal is under way: a request is answered once. */
    private static final String ANSWERED_ATTRIBUTE = Refusals.class.getName() + ".answered";
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
        DecisionRecord.refused(request, refuse);
        if (!drains(drain, request.getHeaders(), request.getLength())) {
            write(response, callback, refuse);
            return;
        }
        new Drain(request, () -> write(response, callback, refuse)).run();
    }

    /**
     * The same for the servlet API, with the same drain, without blocking a thread: the body is read
     * and the answer written with the servlet's asynchronous listeners, then the exchange completes.
     * Safe to call from any thread (the listeners run on the server's workers); a second refusal of
     * the same request is ignored.
     */
    static void send(HttpServletRequest request, HttpServletResponse response, Refuse refuse, boolean drain) {
        if (request.getAttribute(ANSWERED_ATTRIBUTE) != null) {
            return;
        }
        request.setAttribute(ANSWERED_ATTRIBUTE, refuse);
        ServletContextRequest core = ServletContextRequest.getServletContextRequest(request);
        DecisionRecord.refused(core, refuse);
        AsyncContext async = request.isAsyncStarted() ? request.getAsyncContext() : request.startAsync();
        async.setTimeout(0);
        ServletAnswer answer = new ServletAnswer(async, response, refuse);
        if (!drains(drain, core.getHeaders(), core.getLength())) {
            answer.start();
            return;
        }
        try {
            request.getInputStream().setReadListener(new ServletDrain(request.getInputStream(), answer));
        } catch (IOException | IllegalStateException e) {
            answer.start();
        }
    }

    /** Whether to read the body before answering: asked to, a small body, and no 100-continue awaited. */
    private static boolean drains(boolean drain, HttpFields headers, long length) {
        boolean waitsForContinue = headers.contains(HttpHeader.EXPECT, "100-continue");
        boolean chunked = headers.contains(HttpHeader.TRANSFER_ENCODING);
        return drain && !waitsForContinue && length <= MAX_DISCARDED_BODY && (length > 0 || chunked);
    }

    private static void write(Response response, Callback callback, Refuse refuse) {
        if (refuse.answer() != null) {
            DaemonAnswer answer = refuse.answer();
            response.setStatus(answer.status());
            for (String[] header : answer.headers()) {
                response.getHeaders().add(header[0], header[1]);
            }
            response.getHeaders().put(HttpHeader.DATE, DateGenerator.formatDate(Instant.now()));
            boolean head = "HEAD".equals(response.getRequest().getMethod());
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
            response.write(true, head ? null : ByteBuffer.wrap(answer.body()), callback);
            return;
        }
        if (refuse.cause() == Refuse.Cause.BUSY) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        }
        JsonError.send(response, refuse.status(), refuse.message(), callback);
    }

    /**
     * A refusal decided while the daemon's answer was arriving (an answer that cannot be redacted):
     * logged and recorded as any other; the daemon's headers already on the (uncommitted) response
     * are dropped, the status and type set, and the JSON body returned for the caller to emit in
     * place of the answer. Nothing of the daemon's answer is sent.
     */
    static byte[] inPlace(HttpServletRequest request, HttpServletResponse response, Iterable<String> daemonHeaders, Refuse refuse) {
        request.setAttribute(ANSWERED_ATTRIBUTE, refuse);
        DecisionRecord.refused(ServletContextRequest.getServletContextRequest(request), refuse);
        for (String name : daemonHeaders) {
            response.setHeader(name, null);
        }
        response.setStatus(refuse.status());
        response.setContentType(JsonError.CONTENT_TYPE);
        if (refuse.cause() == Refuse.Cause.BUSY) {
            response.setHeader(HttpHeader.RETRY_AFTER.asString(), "1");
        }
        return JsonError.body(refuse.message());
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

    /** Writes a refusal with the servlet's write listener (never a blocking write), then completes the exchange. */
    private static final class ServletAnswer implements WriteListener {
        private final AsyncContext async;
        private final HttpServletResponse response;
        private final Refuse refuse;
        private final AtomicBoolean started = new AtomicBoolean();
        private boolean written;

        ServletAnswer(AsyncContext async, HttpServletResponse response, Refuse refuse) {
            this.async = async;
            this.response = response;
            this.refuse = refuse;
        }

        void start() {
            if (!started.compareAndSet(false, true)) {
                return;
            }
            try {
                response.setStatus(refuse.status());
                if (refuse.answer() != null) {
                    for (String[] header : refuse.answer().headers()) {
                        response.addHeader(header[0], header[1]);
                    }
                    response.setHeader(HttpHeader.DATE.asString(), DateGenerator.formatDate(Instant.now()));
                } else {
                    response.setContentType(JsonError.CONTENT_TYPE);
                }
                if (refuse.cause() == Refuse.Cause.BUSY) {
                    response.setHeader(HttpHeader.RETRY_AFTER.asString(), "1");
                }
                response.getOutputStream().setWriteListener(this);
            } catch (IOException | IllegalStateException e) {
                async.complete();
            }
        }

        @Override
        public void onWritePossible() throws IOException {
            ServletOutputStream output = response.getOutputStream();
            if (!written) {
                written = true;
                byte[] body = refuse.answer() != null ? refuse.answer().body() : JsonError.body(refuse.message());
                response.setContentLength(body.length);
                if (!"HEAD".equals(((HttpServletRequest) async.getRequest()).getMethod())) {
                    output.write(body);
                }
            }
            if (output.isReady()) {
                async.complete();
            }
        }

        @Override
        public void onError(Throwable failure) {
            async.complete();
        }
    }

    /** {@link Drain} for the servlet API: reads and drops the body, then answers. */
    private static final class ServletDrain implements ReadListener {
        /** Dropped bytes land here. Never read, so every drain may share it: a drain holds no memory. */
        private static final byte[] SINK = new byte[4096];
        private final ServletInputStream input;
        private final ServletAnswer answer;
        private long read;

        ServletDrain(ServletInputStream input, ServletAnswer answer) {
            this.input = input;
            this.answer = answer;
        }

        @Override
        public void onDataAvailable() throws IOException {
            while (input.isReady()) {
                int n = input.read(SINK);
                if (n < 0) {
                    return; // onAllDataRead follows
                }
                read += n;
                if (read > MAX_DISCARDED_BODY) {
                    answer.start();
                    return;
                }
            }
        }

        @Override
        public void onAllDataRead() {
            answer.start();
        }

        @Override
        public void onError(Throwable failure) {
            answer.start();
        }
    }
}
