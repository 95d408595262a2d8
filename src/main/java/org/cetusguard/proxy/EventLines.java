package org.cetusguard.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.cetusguard.policy.EventFilter;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;

/**
 * The proxy servlet's answer transformer for an event stream the policy filters (only-label,
 * redact-env): it splits the daemon's stream into lines (one JSON event each) and emits each
 * complete line as soon as its last byte arrives, as {@link EventFilter} decides: as it is,
 * rewritten, or not at all. Never batched: a chunk's complete lines go out with that chunk. What
 * it holds is the one line not yet complete, in memory leased from the budget, at most
 * {@link EventFilter#MAX_LINE_BYTES}; a longer line, or no memory to judge one, ends the stream
 * rather than pass an event unjudged. Runs on the backend client's selector.
 */
final class EventLines implements AsyncMiddleManServlet.ContentTransformer {
    private final EventFilter filter;
    private final MemoryBudget.Lease lease;
    private byte[] partial = new byte[0];
    private int length;

    EventLines(EventFilter filter, MemoryBudget.Lease lease) {
        this.filter = filter;
        this.lease = lease;
    }

    @Override
    public void transform(ByteBuffer input, boolean finished, List<ByteBuffer> output) throws IOException {
        while (input.hasRemaining()) {
            int start = input.position();
            int newline = -1;
            for (int i = start; i < input.limit(); i++) {
                if (input.get(i) == '\n') {
                    newline = i;
                    break;
                }
            }
            int end = newline < 0 ? input.limit() : newline;
            keep(input, start, end);
            input.position(newline < 0 ? end : end + 1);
            if (newline >= 0) {
                emit(output);
            }
        }
        if (finished && length > 0) {
            emit(output);
        }
    }

    /** Appends bytes [start, end) of the input to the line being read. */
    private void keep(ByteBuffer input, int start, int end) throws IOException {
        int n = end - start;
        if (n == 0) {
            return;
        }
        if ((long) length + n > EventFilter.MAX_LINE_BYTES) {
            throw new IOException("an event line longer than " + EventFilter.MAX_LINE_BYTES + " bytes: the stream ends");
        }
        if (length + n > partial.length) {
            int capacity = Math.min(EventFilter.MAX_LINE_BYTES, Math.max(length + n, Math.max(1024, partial.length * 2)));
            int old = partial.length;
            if (!lease.grow(capacity)) {
                throw new IOException("no memory to spare for an event line: the stream ends");
            }
            partial = Arrays.copyOf(partial, capacity);
            lease.shrink(old);
        }
        input.get(start, partial, length, n);
        length += n;
    }

    private void emit(List<ByteBuffer> output) throws IOException {
        byte[] line = Arrays.copyOf(partial, length);
        length = 0;
        if (partial.length > 64 * 1024) {
            // A long line passed: hold a small buffer again for the next ones.
            lease.shrink(partial.length);
            partial = new byte[0];
        }
        long working = EventFilter.workingMemory(line.length);
        if (!lease.grow(working)) {
            throw new IOException("no memory to spare to judge an event: the stream ends");
        }
        try {
            byte[] kept = filter.filter(line);
            if (kept != null) {
                byte[] out = Arrays.copyOf(kept, kept.length + 1);
                out[kept.length] = '\n';
                output.add(ByteBuffer.wrap(out));
            }
        } finally {
            lease.shrink(working);
        }
    }
}
