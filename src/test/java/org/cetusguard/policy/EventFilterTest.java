package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * One verdict per event line, on the daemon's recorded stream (a container of team a with an exec
 * whose command holds a secret, and an unlabelled container; each with its network connect).
 */
class EventFilterTest {
    static final String FIXTURE = "f226cde97c100a863cff47d91b0231b03f95ca233a9f89c082b75659402a0fbd";
    static final String OTHER = "008e01ef77fcbd3181547b51445b6e98809535e59cca5d541f609e245260ec58";

    static List<String> lines() {
        return new String(AnswerRewriteTest.answer("events.jsonl"), StandardCharsets.UTF_8).lines().filter(l -> !l.isEmpty()).toList();
    }

    static List<String> kept(EventFilter filter, List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            byte[] kept = filter.filter(line.getBytes(StandardCharsets.UTF_8));
            if (kept != null) {
                out.add(new String(kept, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void onlyTheScopesContainersAndTheirNetworkEventsPass() {
        List<String> kept = kept(ContainerPolicy.of("only-label team=a").eventFilter(id -> false), lines());
        assertFalse(kept.isEmpty());
        for (String line : kept) {
            assertFalse(line.contains(OTHER), "the unlabelled container's events stay out: " + line);
            assertTrue(line.contains(FIXTURE), line);
        }
        assertTrue(kept.stream().anyMatch(l -> l.contains("\"Type\":\"network\"")),
                "the network connect of a container seen in scope earlier in the stream passes");
        assertEquals(lines().stream().filter(l -> l.contains(FIXTURE)).count(), kept.size(), "and every event of the scope's container");
    }

    @Test
    void aNetworkEventOfAContainerNotSeenInTheStreamAsksTheDirectory() {
        List<String> network = lines().stream().filter(l -> l.contains("\"Type\":\"network\"")).toList();
        assertEquals(2, network.size());
        assertTrue(kept(ContainerPolicy.of("only-label team=a").eventFilter(id -> false), network).isEmpty(), "unknown is out of scope");
        List<String> known = kept(ContainerPolicy.of("only-label team=a").eventFilter(Set.of(OTHER)::contains), network);
        assertEquals(1, known.size());
        assertTrue(known.get(0).contains(OTHER));
    }

    @Test
    void otherEventTypesPassAndGarbageDoesNot() {
        EventFilter filter = ContainerPolicy.of("only-label team=a").eventFilter(id -> false);
        String image = "{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"busybox\",\"Attributes\":{\"name\":\"busybox\"}}}";
        assertEquals(image, new String(filter.filter(image.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
        assertNull(filter.filter("not json".getBytes(StandardCharsets.UTF_8)));
        assertNull(filter.filter("[1]".getBytes(StandardCharsets.UTF_8)));
        assertNull(filter.filter("{\"Type\":\"container\",\"Actor\":{\"ID\":\"x\",\"Attributes\":{\"team\":\"b\"}}}".getBytes(StandardCharsets.UTF_8)));
        assertNull(filter.filter("{\"Type\":\"container\",\"Actor\":{\"ID\":\"x\"}}".getBytes(StandardCharsets.UTF_8)), "no labels: out");
        assertNull(filter.filter("{\"Actor\":{\"ID\":\"x\",\"Attributes\":{\"team\":\"a\"}}}".getBytes(StandardCharsets.UTF_8)), "no type: out");
    }

    @Test
    void redactEnvHidesTheSecretOfAnExecsCommand() {
        List<String> kept = kept(ContainerPolicy.of("redact-env").eventFilter(id -> false), lines());
        assertEquals(lines().size(), kept.size(), "without a scope every event passes");
        String all = String.join("\n", kept);
        assertFalse(all.contains("container-secret-3"), all);
        assertTrue(all.contains("exec_create: sh -c sleep 5; echo --token " + Secrets.MARKER), all);
    }

    @Test
    void labelKeysTheDaemonWritesIntoEventsCannotScope() {
        for (String key : List.of("name", "image", "exitCode", "container", "execID", "signal")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> ContainerPolicy.of("only-label " + key + "=x"), key);
            assertTrue(e.getMessage().contains("attribute"), e.getMessage());
        }
    }
}
