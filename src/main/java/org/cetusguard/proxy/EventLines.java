package org.cetusguard.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.cetusguard.log.Log;
import org.cetusguard.policy.EventFilter;
import org.eclipse.jetty.ee10.proxy.AsyncMiddleManServlet;

/**
 * The proxy servlet's answer transformer for an event stream the policy filters (only-label,
 * redact-env): it splits the daemon's stream into lines (one JSON event each) and emits each
 * complete line as soon as its last byte arrives, as {@link EventFilter} decides: as it is,
 * rewritten, or not at all. Never batched: a chunk's complete lines go out with that chunk. What
 * it holds is the one line not yet complete, in memory leased from the budget, at most
 * {@link EventFilter#MAX_LINE_BYTES}. A longer line, or one there is no memory to judge, is dropped
 * (read to its end without holding it, and logged) and the stream goes on: an event is never passed
 * unjudged, and one client's oversized event (a create with a huge label) cannot end every other
 * client's stream. Runs on the backend client's selector.
 */
final class EventLines implements AsyncMiddleManServlet.ContentTransformer {
    private final EventFilter filter;
    private final MemoryBudget.Lease lease;
    private byte[] partial = new byte[0];
    private int length;
    /** Why the line being read is dropped, or null while it is kept. */
    private String dropping;

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
            if (dropping == null) {
                keep(input, start, end);
            }
            input.position(newline < 0 ? end : end + 1);
            if (newline >= 0) {
                endOfLine(output);
            }
        }
        if (finished && (length > 0 || dropping != null)) {
            endOfLine(output);
        }
    }

    private void endOfLine(List<ByteBuffer> output) {
        if (dropping == null) {
            dropping = emit(output);
        }
        if (dropping != null) {
            Log.warning("event dropped from a filtered /events stream: " + dropping);
            dropping = null;
            forget();
        }
    }

    /** Lets go of the line read so far (and of a long line's buffer). */
    private void forget() {
        length = 0;
        if (partial.length > 64 * 1024) {
            // A long line passed: hold a small buffer again for the next ones.
            lease.shrink(partial.length);
            partial = new byte[0];
        }
    }

    /** Appends bytes [start, end) of the input to the line being read, or starts dropping it. */
    private void keep(ByteBuffer input, int start, int end) {
        int n = end - start;
        if (n == 0) {
            return;
        }
        if ((long) length + n > EventFilter.MAX_LINE_BYTES) {
            dropping = "longer than " + EventFilter.MAX_LINE_BYTES + " bytes";
            forget();
            return;
        }
        if (length + n > partial.length) {
            int capacity = Math.min(EventFilter.MAX_LINE_BYTES, Math.max(length + n, Math.max(1024, partial.length * 2)));
            int old = partial.length;
            if (!lease.grow(capacity)) {
                dropping = "no memory to spare to hold it";
                forget();
                return;
            }
            partial = Arrays.copyOf(partial, capacity);
            lease.shrink(old);
        }
        input.get(start, partial, length, n);
        length += n;
    }

    /** Judges the complete line and emits what the filter keeps; returns why it was dropped unjudged, or null. */
    private String emit(List<ByteBuffer> output) {
        byte[] line = Arrays.copyOf(partial, length);
        forget();
        long working = EventFilter.workingMemory(line.length);
        if (!lease.grow(working)) {
            return "no memory to spare to judge it";
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
        return null;
    }
}
