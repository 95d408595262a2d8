package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.EventFilter;
import org.junit.jupiter.api.Test;

/** The event-line transformer: lines out as they complete, and an event it cannot judge dropped without ending the stream. */
class EventLinesTest {
    private static String event(String id, String extra) {
        return "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"" + id + "\",\"Attributes\":{\"name\":\"n" + id
                + "\"" + extra + "}},\"time\":1}\n";
    }

    /** Feeds the stream in pieces of {@code piece} bytes; returns what came out, as text. */
    private static String run(EventLines lines, String stream, int piece) throws Exception {
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder();
        for (int at = 0; at < bytes.length; at += piece) {
            List<ByteBuffer> output = new ArrayList<>();
            int n = Math.min(piece, bytes.length - at);
            lines.transform(ByteBuffer.wrap(bytes, at, n), at + n == bytes.length, output);
            for (ByteBuffer b : output) {
                out.append(StandardCharsets.UTF_8.decode(b));
            }
        }
        return out.toString();
    }

    private static EventFilter redacting() {
        return ContainerPolicy.of("redact-env").eventFilter(id -> false);
    }

    /** Red-team finding: one client's create with a 1.2 MB label line ended every filtered /events stream. */
    @Test
    void anOverlongEventIsDroppedAndTheStreamGoesOn() throws Exception {
        MemoryBudget budget = new MemoryBudget(64L * 1024 * 1024);
        String huge = ",\"x\":\"" + "\\u003c".repeat(EventFilter.MAX_LINE_BYTES / 6 + 10) + "\"";
        String stream = event("aaa", "") + event("bbb", huge) + event("ccc", "");
        for (int piece : new int[] {1 << 20, 8192, 4093}) {
            try (MemoryBudget.Lease lease = budget.lease()) {
                String out = run(new EventLines(redacting(), lease), stream, piece);
                assertTrue(out.contains("\"aaa\"") && out.contains("\"ccc\""), "the events around it pass (pieces of " + piece + ")");
                assertTrue(!out.contains("\"bbb\""), "the overlong one is not passed unjudged");
                assertEquals(2, out.lines().count(), out.length() > 400 ? out.substring(0, 400) : out);
            }
            assertEquals(0, budget.used(), "everything held is given back");
        }
    }

    @Test
    void anEventThereIsNoMemoryToJudgeIsDroppedAndTheStreamGoesOn() throws Exception {
        MemoryBudget budget = new MemoryBudget(16);
        try (MemoryBudget.Lease lease = budget.lease()) {
            String out = run(new EventLines(redacting(), lease), event("aaa", "") + event("ccc", ""), 7);
            assertEquals("", out, "nothing judged, nothing passed");
        }
        MemoryBudget enough = new MemoryBudget(8L * 1024 * 1024);
        try (MemoryBudget.Lease lease = enough.lease()) {
            String out = run(new EventLines(redacting(), lease), event("aaa", "") + event("ccc", ""), 7);
            assertEquals(2, out.lines().count(), "with memory to spare both pass: " + out);
        }
    }
}
