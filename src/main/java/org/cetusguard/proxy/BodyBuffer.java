package org.cetusguard.proxy;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A body held back in full, copied out of Jetty's pooled buffers chunk by chunk (so no pooled
 * buffer is kept while the client takes its time) into heap memory reserved from a
 * {@link MemoryBudget.Lease} as it grows: a client holds what it has sent, not what it announced.
 */
final class BodyBuffer {
    /** What {@link #append} found. */
    enum Result { OK, TOO_LARGE, NO_MEMORY }

    private final MemoryBudget.Lease lease;
    private final int max;
    private final long expected;
    private byte[] bytes = new byte[0];
    private int length;

    /**
     * @param max      larger bodies are refused
     * @param expected the announced Content-Length, or -1: the buffer then ends exactly that long
     */
    BodyBuffer(MemoryBudget.Lease lease, int max, long expected) {
        this.lease = lease;
        this.max = max;
        this.expected = expected;
    }

    Result append(ByteBuffer chunk) {
        int n = chunk.remaining();
        if ((long) length + n > max) {
            return Result.TOO_LARGE;
        }
        if (length + n > bytes.length) {
            int capacity = (int) Math.min(max, Math.max(length + n, Math.max(1024L, bytes.length * 2L)));
            if (expected >= length + n && expected <= max) {
                capacity = (int) Math.min(capacity, expected);
            }
            if (!lease.grow(capacity)) {
                return Result.NO_MEMORY;
            }
            byte[] grown = Arrays.copyOf(bytes, capacity);
            lease.shrink(bytes.length);
            bytes = grown;
        }
        chunk.get(bytes, length, n);
        length += n;
        return Result.OK;
    }

    int length() {
        return length;
    }

    /** Gives back what the buffer holds from the lease; the buffer is empty afterwards. */
    void release() {
        lease.shrink(bytes.length);
        bytes = new byte[0];
        length = 0;
    }

    /** The body, exactly {@link #length} bytes; null when the budget cannot spare the copy that takes. */
    byte[] bytes() {
        if (bytes.length == length) {
            return bytes;
        }
        if (!lease.grow(length)) {
            return null;
        }
        byte[] exact = Arrays.copyOf(bytes, length);
        lease.shrink(bytes.length);
        bytes = exact;
        return exact;
    }
}
