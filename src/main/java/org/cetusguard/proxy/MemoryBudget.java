package org.cetusguard.proxy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap the proxy may hold for clients at once: bodies held back for the container policy, their
 * parsed forms, the daemon's answers about images, and the read buffers of bodies streamed through
 * the servlet. Every such byte is reserved here first; past the budget the request is answered 503
 * and nobody else notices. A fixed quarter of the heap (at least 2 MiB), so a proxy with a 16 MiB
 * heap keeps about 12 MiB for everything else, whatever clients send.
 */
public final class MemoryBudget {
    private static final long MIN = 2L * 1024 * 1024;
    private static final long MAX = 64L * 1024 * 1024;

    private final long limit;
    private final AtomicLong used = new AtomicLong();

    MemoryBudget(long limit) {
        this.limit = limit;
    }

    public static MemoryBudget forHeap() {
        return new MemoryBudget(Math.max(MIN, Math.min(MAX, Runtime.getRuntime().maxMemory() / 4)));
    }

    long limit() {
        return limit;
    }

    long used() {
        return used.get();
    }

    /** What one request holds; grown as it needs more, all of it returned by {@link #close}. */
    Lease lease() {
        return new Lease();
    }

    /**
     * What one request holds. Synchronized: a late grow (an image answer arriving on the backend's
     * thread) must not slip in between a close (the client's exchange ending) and its return of
     * everything, or those bytes would stay taken for good.
     */
    final class Lease implements AutoCloseable {
        private long held;
        private boolean closed;

        /** Reserves {@code bytes} more; false (and nothing reserved) when the budget cannot spare them. */
        synchronized boolean grow(long bytes) {
            if (closed) {
                return false;
            }
            while (true) {
                long now = used.get();
                if (now + bytes > limit) {
                    return false;
                }
                if (used.compareAndSet(now, now + bytes)) {
                    held += bytes;
                    return true;
                }
            }
        }

        /** Returns {@code bytes} of what this lease holds. */
        synchronized void shrink(long bytes) {
            long returned = Math.min(bytes, held);
            held -= returned;
            used.addAndGet(-returned);
        }

        /** Returns everything; idempotent. */
        @Override
        public synchronized void close() {
            closed = true;
            used.addAndGet(-held);
            held = 0;
        }
    }
}
