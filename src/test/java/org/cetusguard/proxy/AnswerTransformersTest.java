package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.cetusguard.gate.Forward;
import org.cetusguard.gate.GateRequest;
import org.cetusguard.gate.Refuse;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.json.JsonTrees;
import org.cetusguard.policy.AnswerRewrite;
import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.EventFilter;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.Profile;
import org.cetusguard.rules.RuleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The two answer transformers of the proxy servlet, fed recorded daemon answers the way the backend
 * client hands them over: in pieces of any size, split anywhere (inside a key, a string, an escape,
 * a multi-byte character, a line's newline). {@link HeldAnswer} emits nothing until the answer is
 * whole and then exactly the rewrite of the whole; refuses (and emits none of the daemon's bytes)
 * what it cannot rewrite. {@link EventLines} emits each event line in the very call that completes
 * it (a stream stays live), never a line it has not judged, and the same lines whatever the split.
 */
class AnswerTransformersTest {
    static byte[] answer(String name) {
        try (InputStream in = AnswerTransformersTest.class.getResourceAsStream("/org/cetusguard/policy/answers/" + name)) {
            return in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new AssertionError("missing test resource answers/" + name, e);
        }
    }

    static Forward forward(String path, String... policy) throws Exception {
        Profile profile = new Profile("default", RuleSet.load(true, List.of("GET .*"), List.of()), ContainerPolicy.of(policy), "test");
        return assertInstanceOf(Forward.class, new RequestGate(ClientProfiles.only(profile), false).decide(GateRequest.of("GET", path, null)));
    }

    /** Splits {@code bytes} at random places (pieces of 1 to {@code max} bytes), the last piece marked finished. */
    static List<ByteBuffer> pieces(byte[] bytes, Random random, int max) {
        List<ByteBuffer> out = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int n = Math.min(bytes.length - at, 1 + random.nextInt(max));
            // Copied into a larger buffer at an offset, as a network buffer holds it.
            ByteBuffer buffer = ByteBuffer.allocate(n + 16);
            buffer.position(8);
            buffer.put(bytes, at, n);
            buffer.flip();
            buffer.position(8);
            out.add(buffer);
            at += n;
        }
        return out;
    }

    static byte[] concat(List<ByteBuffer> buffers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer b : buffers) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- HeldAnswer

    static final class Refused implements HeldAnswer.Refuser {
        final AtomicReference<Refuse> refuse = new AtomicReference<>();

        @Override
        public byte[] refuse(Refuse r) {
            assertTrue(refuse.compareAndSet(null, r), "refused once");
            return ("REFUSED " + r.status()).getBytes(StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 64, 4096, 1 << 20})
    void aHeldAnswerFedInPiecesIsTheRewriteOfTheWhole(int maxPiece) throws Exception {
        byte[] daemon = answer("container-inspect.json");
        Forward forward = forward("/v1.41/containers/abc/json", "redact-env");
        AnswerRewrite rewrite = forward.answer();
        assertNotNull(rewrite, "container inspect is rewritten under redact-env");
        byte[] expected = rewrite.rewrite(daemon);
        assertFalse(new String(expected, StandardCharsets.UTF_8).contains("container-secret-1"), "the fixture's secret is redacted");
        MemoryBudget budget = new MemoryBudget(64L * 1024 * 1024);
        for (long seed = 0; seed < 20; seed++) {
            MemoryBudget.Lease lease = budget.lease();
            Refused refused = new Refused();
            HeldAnswer held = new HeldAnswer(rewrite, forward, lease, daemon.length, null, refused);
            List<ByteBuffer> in = pieces(daemon, new Random(seed), maxPiece);
            List<ByteBuffer> out = new ArrayList<>();
            for (int i = 0; i < in.size(); i++) {
                boolean last = i == in.size() - 1;
                held.transform(in.get(i), last, out);
                assertFalse(in.get(i).hasRemaining(), "every input byte is taken");
                if (!last) {
                    assertTrue(out.isEmpty(), "nothing goes out before the answer is whole");
                }
            }
            assertEquals(null, refused.refuse.get());
            byte[] sent = concat(out);
            assertArrayEquals(expected, sent, "seed " + seed);
            JsonTrees.tree(sent);
            lease.close();
        }
        assertEquals(0, budget.used(), "every byte held was given back");
    }

    @Test
    void aHeldAnswerLargerThanTheLimitIsRefusedAndNoneOfItGoesOut() throws Exception {
        Forward forward = forward("/containers/abc/json", "redact-env");
        // A valid inspect answer with an environment too large to hold: a secret at the start, so the
        // first pieces would leak it if anything were passed on.
        StringBuilder big = new StringBuilder("{\"Id\":\"abc\",\"Config\":{\"Env\":[\"A=leaked-secret\"");
        while (big.length() <= AnswerRewrite.MAX_ANSWER_BYTES) {
            big.append(",\"B=").append("x".repeat(1000)).append('"');
        }
        byte[] daemon = big.append("]}}").toString().getBytes(StandardCharsets.UTF_8);
        for (long expected : new long[] {daemon.length, -1}) {
            Refused refused = new Refused();
            MemoryBudget budget = new MemoryBudget(64L * 1024 * 1024);
            HeldAnswer held = new HeldAnswer(forward.answer(), forward, budget.lease(), expected, null, refused);
            List<ByteBuffer> out = new ArrayList<>();
            List<ByteBuffer> in = pieces(daemon, new Random(1), 64 * 1024);
            for (int i = 0; i < in.size(); i++) {
                held.transform(in.get(i), i == in.size() - 1, out);
            }
            assertEquals(502, refused.refuse.get().status(), "Content-Length " + expected);
            assertEquals("REFUSED 502", new String(concat(out), StandardCharsets.UTF_8), "only the refusal goes out");
            assertEquals(0, budget.used(), "the answer read after the refusal is dropped, not held");
        }
    }

    @Test
    void aHeldAnswerThatIsEncodedOrNotJsonIsRefused() throws Exception {
        Forward forward = forward("/containers/abc/json", "redact-env");
        byte[] daemon = answer("container-inspect.json");
        Refused encoded = new Refused();
        List<ByteBuffer> out = new ArrayList<>();
        new HeldAnswer(forward.answer(), forward, new MemoryBudget(1 << 24).lease(), -1, "gzip", encoded)
                .transform(ByteBuffer.wrap(daemon), true, out);
        assertEquals(502, encoded.refuse.get().status());
        assertEquals("REFUSED 502", new String(concat(out), StandardCharsets.UTF_8));

        Refused truncated = new Refused();
        out.clear();
        new HeldAnswer(forward.answer(), forward, new MemoryBudget(1 << 24).lease(), -1, null, truncated)
                .transform(ByteBuffer.wrap(daemon, 0, daemon.length / 2), true, out);
        assertEquals(502, truncated.refuse.get().status(), "a cut-off answer is not valid JSON");
        assertEquals("REFUSED 502", new String(concat(out), StandardCharsets.UTF_8));
    }

    @Test
    void aHeldAnswerWithoutMemoryToSpareIsRefusedToRetry() throws Exception {
        Forward forward = forward("/containers/abc/json", "redact-env");
        byte[] daemon = answer("container-inspect.json");
        Refused refused = new Refused();
        List<ByteBuffer> out = new ArrayList<>();
        HeldAnswer held = new HeldAnswer(forward.answer(), forward, new MemoryBudget(1024).lease(), -1, null, refused);
        List<ByteBuffer> in = pieces(daemon, new Random(3), 512);
        for (int i = 0; i < in.size(); i++) {
            held.transform(in.get(i), i == in.size() - 1, out);
        }
        assertEquals(503, refused.refuse.get().status());
        assertEquals("REFUSED 503", new String(concat(out), StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- EventLines

    /** The recorded stream's lines as the filter judges them one by one, each with its newline. */
    static byte[] filteredWhole(byte[] stream, EventFilter filter) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] lines = new String(stream, StandardCharsets.UTF_8).split("\n");
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            byte[] kept = filter.filter(line.getBytes(StandardCharsets.UTF_8));
            if (kept != null) {
                out.writeBytes(kept);
                out.write('\n');
            }
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 100, 1 << 16})
    void eventLinesFedInPiecesEmitEachLineAsItCompletes(int maxPiece) throws Exception {
        byte[] stream = answer("events.jsonl");
        ContainerPolicy policy = ContainerPolicy.of("redact-env", "only-label team=a");
        Predicate<String> known = id -> false;
        byte[] expected = filteredWhole(stream, policy.eventFilter(known));
        String expectedText = new String(expected, StandardCharsets.UTF_8);
        assertTrue(expectedText.contains("\"Type\":\"container\""), "the fixture has in-scope container events: " + expectedText);
        assertFalse(expectedText.contains("container-secret-3"), "the exec's secret argument is redacted");
        assertTrue(expected.length < stream.length, "the fixture has events out of scope");
        for (long seed = 0; seed < 20; seed++) {
            MemoryBudget budget = new MemoryBudget(8L * 1024 * 1024);
            MemoryBudget.Lease lease = budget.lease();
            EventLines lines = new EventLines(policy.eventFilter(known), lease);
            List<ByteBuffer> out = new ArrayList<>();
            ByteArrayOutputStream fed = new ByteArrayOutputStream();
            List<ByteBuffer> in = pieces(stream, new Random(seed), maxPiece);
            for (int i = 0; i < in.size(); i++) {
                byte[] piece = new byte[in.get(i).remaining()];
                in.get(i).duplicate().get(piece);
                fed.writeBytes(piece);
                lines.transform(in.get(i), false, out);
                // Live: every line complete so far has been judged and sent, with this very piece.
                assertArrayEquals(filteredWhole(completeLines(fed.toByteArray()), policy.eventFilter(known)), concat(out),
                        "seed " + seed + ", after piece " + i);
            }
            lines.transform(ByteBuffer.allocate(0), true, out);
            assertArrayEquals(expected, concat(out), "seed " + seed);
            lease.close();
            assertEquals(0, budget.used());
        }
    }

    private static byte[] completeLines(byte[] fed) {
        int end = fed.length;
        while (end > 0 && fed[end - 1] != '\n') {
            end--;
        }
        return java.util.Arrays.copyOf(fed, end);
    }

    @Test
    void anEventLineLongerThanTheLimitIsDroppedUnsentAndTheStreamGoesOn() throws Exception {
        ContainerPolicy policy = ContainerPolicy.of("only-label team=a");
        EventLines lines = new EventLines(policy.eventFilter(id -> false), new MemoryBudget(8L * 1024 * 1024).lease());
        List<ByteBuffer> out = new ArrayList<>();
        byte[] head = "{\"Type\":\"container\",\"Actor\":{\"Attributes\":{\"team\":\"a\",\"x\":\"".getBytes(StandardCharsets.UTF_8);
        lines.transform(ByteBuffer.wrap(head), false, out);
        for (int i = 0; i <= EventFilter.MAX_LINE_BYTES / 4096; i++) {
            lines.transform(ByteBuffer.wrap(new byte[4096]), false, out);
        }
        assertTrue(out.isEmpty(), "no part of an unjudged line was sent");
        String mine = "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"a\",\"Attributes\":{\"team\":\"a\"}}}";
        lines.transform(ByteBuffer.wrap(("\"}}}\n" + mine + "\n").getBytes(StandardCharsets.UTF_8)), false, out);
        assertEquals(mine + "\n", new String(concat(out), StandardCharsets.UTF_8), "the next event passes");
    }

    @Test
    void anEventCutOffAtTheEndOfTheStreamIsJudgedLikeAnyOther() throws Exception {
        ContainerPolicy policy = ContainerPolicy.of("only-label team=a");
        EventLines lines = new EventLines(policy.eventFilter(id -> false), new MemoryBudget(1 << 20).lease());
        List<ByteBuffer> out = new ArrayList<>();
        String other = "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"b\",\"Attributes\":{\"team\":\"b\"}}}";
        String mine = "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"a\",\"Attributes\":{\"team\":\"a\"}}}";
        lines.transform(ByteBuffer.wrap((mine + "\n" + other).getBytes(StandardCharsets.UTF_8)), false, out);
        assertEquals(mine + "\n", new String(concat(out), StandardCharsets.UTF_8));
        lines.transform(ByteBuffer.allocate(0), true, out);
        assertEquals(mine + "\n", new String(concat(out), StandardCharsets.UTF_8), "the other team's event stays out at the end too");
    }
}
