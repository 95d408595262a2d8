package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
    @Test
    void leasesTakeFromOneBudgetAndGiveEverythingBack() {
        MemoryBudget budget = new MemoryBudget(1000);
        MemoryBudget.Lease a = budget.lease();
        MemoryBudget.Lease b = budget.lease();
        assertTrue(a.grow(600));
        assertFalse(b.grow(500), "past the budget");
        assertTrue(b.grow(400));
        assertEquals(1000, budget.used());
        a.shrink(100);
        assertEquals(900, budget.used());
        a.close();
        a.close();
        assertEquals(400, budget.used(), "closing twice returns once");
        assertFalse(a.grow(1), "a closed lease takes nothing");
        b.close();
        assertEquals(0, budget.used());
        assertTrue(MemoryBudget.forHeap().limit() >= 2 * 1024 * 1024);
    }

    @Test
    void aBodyBufferHoldsWhatArrivedNotWhatWasAnnounced() {
        MemoryBudget budget = new MemoryBudget(100_000);
        MemoryBudget.Lease lease = budget.lease();
        BodyBuffer buffer = new BodyBuffer(lease, 50_000, 40_000);
        assertEquals(BodyBuffer.Result.OK, buffer.append(ByteBuffer.wrap(new byte[] {1, 2, 3})));
        assertEquals(1024, budget.used(), "a slow client holds a small buffer, not its Content-Length");
        assertEquals(BodyBuffer.Result.OK, buffer.append(ByteBuffer.wrap(new byte[39_997])));
        assertEquals(40_000, budget.used(), "grown to exactly the announced length, the old buffer returned");
        byte[] body = buffer.bytes();
        assertEquals(40_000, body.length);
        assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOf(body, 3));
        assertEquals(BodyBuffer.Result.TOO_LARGE, new BodyBuffer(lease, 10, -1).append(ByteBuffer.wrap(new byte[11])));
        MemoryBudget.Lease other = budget.lease();
        assertEquals(BodyBuffer.Result.NO_MEMORY, new BodyBuffer(other, 100_000, -1).append(ByteBuffer.wrap(new byte[70_000])));
        lease.close();
        other.close();
        assertEquals(0, budget.used());
        BodyBuffer chunked = new BodyBuffer(new MemoryBudget(1500).lease(), 10_000, -1);
        assertEquals(BodyBuffer.Result.OK, chunked.append(ByteBuffer.wrap(new byte[700])));
        assertNull(chunked.bytes(), "the exact copy needs room too");
    }
}
