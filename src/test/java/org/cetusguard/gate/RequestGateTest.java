package org.cetusguard.gate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.ImageFacts;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.Profile;
import org.cetusguard.rules.RuleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestGateTest {
    static RequestGate gate(String rules) throws Exception {
        return new RequestGate(RuleSet.load(true, List.of(rules), List.of()));
    }

    static RequestGate gate(String rules, ContainerPolicy policy, boolean auditOnly) throws Exception {
        Profile profile = new Profile("default", RuleSet.load(true, List.of(rules), List.of()), policy, "test");
        return new RequestGate(ClientProfiles.only(profile), auditOnly);
    }

    static Decision decide(RequestGate gate, String method, String path, String query) {
        return gate.decide(GateRequest.of(method, path, query));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET  | /v1.41/containers/json           | all=1      | /v1.41/containers/json?all=1",
        "GET  | /containers/abc/json             |            | /containers/abc/json",
        "GET  | /v1.41/images/../containers/json |            | /v1.41/containers/json",
        "POST | /v1.41/containers/abc/start      |            | /v1.41/containers/abc/start",
        "GET  | /_ping                           |            | /_ping",
        "GET  | /v1.41/containers/json           | filters={\"status\":[\"running\"]} | /v1.41/containers/json?filters=%7B%22status%22:%5B%22running%22%5D%7D",
    })
    void allowedRequestsForwardTheCanonicalTarget(String method, String path, String query, String target) throws Exception {
        Decision decision = decide(gate("GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?"), method, path, query);
        assertEquals(target, assertInstanceOf(Forward.class, decision).target());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "DELETE | /v1.41/containers/abc",
        "GET    | /v1.41/images/json",
        "get    | /v1.41/containers/json",
        "GET    | /v1.41/containers/../images/json",
        "POST   | /v1.41/build",
    })
    void requestsNoRuleAllowsAre403(String method, String path) throws Exception {
        Refuse refused = assertInstanceOf(Refuse.class, decide(gate("GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?"), method, path, null));
        assertEquals(403, refused.status());
        assertEquals(Refuse.Cause.RULES, refused.cause());
        assertEquals("forbidden by CetusGuard: " + method + " " + CanonicalPath.of(path).decoded(), refused.message());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/v1.41/containers%2fjson | ",
        "/v1.41/containers/%2e%2e/images/json | ",
        "/v1.41//containers/json | ",
        "/v1.41/containers/json;a=b | ",
        "/../containers/json | ",
        "/v1.41/containers/json | a=%zz",
    })
    void ambiguousRequestsAre400(String path, String query) throws Exception {
        Refuse refused = assertInstanceOf(Refuse.class, decide(gate("GET .*"), "GET", path, query));
        assertEquals(400, refused.status());
        assertEquals(Refuse.Cause.AMBIGUOUS, refused.cause());
        assertTrue(refused.reason().startsWith("path: "), refused.reason());
    }

    @Test
    void rulesCanBeSwappedAtomically() throws Exception {
        RequestGate gate = gate("GET /a");
        assertInstanceOf(Forward.class, decide(gate, "GET", "/a", null));
        gate.setProfiles(ClientProfiles.only(new Profile("default", RuleSet.load(true, List.of("GET /b"), List.of()), ContainerPolicy.OFF, "t")));
        assertInstanceOf(Refuse.class, decide(gate, "GET", "/a", null));
        assertInstanceOf(Forward.class, decide(gate, "GET", "/b", null));
    }

    /**
     * Red-team findings: {@code ps e} through top printed every value redact-env hides; Docker reads
     * the first ps_args, Podman a key in any case and maybe a later value, so those are refused.
     */
    @ParameterizedTest
    @CsvSource({"ps_args=e,403", "ps_args=%65,403", "ps_args=-o+pid%2Cargs%3DX+e,403", "ps_args=-ef&ps_args=e,400",
        "ps_args=e&ps_args=-ef,400", "ps_args=-ef&ps_args=-ef,200", "PS_ARGS=axe,400", "ps_args=-ef&Ps_Args=axe,400", "ps_args=-ef,200", "ps_args=aux,200", "ps_args=,200", "stream=1,200", "ps_args=%zz,400"})
    void topUnderRedactEnvTakesOnlyPsArgsThatShowNoEnvironment(String query, int status) throws Exception {
        RequestGate gate = gate("GET %API_PREFIX_CONTAINERS%/.+", ContainerPolicy.of("redact-env"), false);
        Decision decision = decide(gate, "GET", "/v1.41/containers/web/top", query);
        if (status == 200) {
            assertInstanceOf(Forward.class, decision, query);
        } else {
            assertEquals(status, assertInstanceOf(Refuse.class, decision, query).status(), query);
        }
        assertInstanceOf(Forward.class, decide(gate("GET %API_PREFIX_CONTAINERS%/.+", ContainerPolicy.OFF, false), "GET",
                "/v1.41/containers/web/top", "ps_args=e"), "without redact-env ps_args is the daemon's business");
    }

    @Test
    void queriesKeepValidEscapesAndEscapeTheRest() throws Exception {
        assertNull(CanonicalQuery.of(null));
        assertEquals("a=1&b=%2F", CanonicalQuery.of("a=1&b=%2F"));
        assertEquals("x=%7B%7D%20", CanonicalQuery.of("x={}%20"));
        assertEquals("n=%C3%A9", CanonicalQuery.of("n=é"));
        assertThrows(CanonicalPath.RejectedPathException.class, () -> CanonicalQuery.of("a=%"));
        assertThrows(CanonicalPath.RejectedPathException.class, () -> CanonicalQuery.of("a=%4"));
        assertThrows(CanonicalPath.RejectedPathException.class, () -> CanonicalQuery.of("a=\u0001"));
    }

    /** Issue 12: the hijack-or-not choice is made on the canonical path the rules judged. */
    @Test
    void onlyAttachAndExecStartUpgradeJudgedOnTheCanonicalPath() throws Exception {
        RequestGate gate = gate("POST .*");
        for (String path : List.of("/v1.41/containers/x/attach", "/containers/x/atta%63h", "/v1.41/exec/abc/start", "/v1.41/exec/abc/st%61rt",
                "/v1.41/containers/web/db/attach", "/v4.0.0/libpod/containers/x/attach")) {
            Forward forward = assertInstanceOf(Forward.class, gate.decide(new GateRequest("POST", path, null, null, true)));
            assertTrue(forward.upgrade(), path);
            assertTrue(forward.buffersBody(), path);
            assertFalse(assertInstanceOf(Forward.class, gate.decide(new GateRequest("POST", path, null, null, false))).upgrade(),
                    "no upgrade asked, none relayed: " + path);
        }
        for (String path : List.of("/v1.41/containers/create", "/v1.41/containers/x/start", "/v1.41/containers/attach", "/attach",
                "/v1.41/containers/x/attach/x", "/v1.41/exec/start")) {
            assertFalse(assertInstanceOf(Forward.class, gate.decide(new GateRequest("POST", path, null, null, true))).upgrade(), path);
        }
    }

    @Test
    void bodiesThePolicyReadsAreHeldBackAndJudgedByTheGate() throws Exception {
        RequestGate gate = gate("POST %API_PREFIX_CONTAINERS%/create", ContainerPolicy.of("deny-privileged", "force-label a=b"), false);
        Forward forward = assertInstanceOf(Forward.class, decide(gate, "POST", "/v1.41/containers/create", null));
        assertTrue(forward.checkBody());
        assertNull(forward.body());

        Refuse refused = assertInstanceOf(Refuse.class, gate.decideBody(forward, utf8("{\"HostConfig\":{\"Privileged\":true}}"), Map.of()));
        assertEquals(403, refused.status());
        assertEquals(Refuse.Cause.POLICY, refused.cause());
        assertEquals("policy: HostConfig.Privileged: privileged containers are not allowed", refused.reason());

        Forward rewritten = assertInstanceOf(Forward.class, gate.decideBody(forward, utf8("{\"Image\":\"x\"}"), Map.of()));
        assertArrayEquals(utf8("{\"Image\":\"x\",\"Labels\":{\"a\":\"b\"}}"), rewritten.body(), "exactly the bytes to send");
        assertFalse(rewritten.checkBody());
        byte[] plain = utf8("{\"Image\":\"x\",\"Labels\":{\"a\":\"b\"}}");
        assertArrayEquals(plain, assertInstanceOf(Forward.class, gate.decideBody(forward, plain, Map.of())).body());

        Forward other = assertInstanceOf(Forward.class, decide(gate("GET .*"), "GET", "/v1.41/containers/json", null));
        assertFalse(other.checkBody());
        assertFalse(other.buffersBody());
    }

    @Test
    void auditOnlyForwardsWhatTheRulesDenyButTheContainerPolicyStillRefuses() throws Exception {
        RequestGate gate = gate("GET /nothing", ContainerPolicy.of("deny-privileged"), true);
        Forward forward = assertInstanceOf(Forward.class, decide(gate, "POST", "/v1.41/containers/create", null));
        assertTrue(forward.wouldDeny());
        assertNull(forward.rule());
        assertInstanceOf(Refuse.class, gate.decideBody(forward, utf8("{\"HostConfig\":{\"Privileged\":true}}"), Map.of()));
        assertInstanceOf(Refuse.class, decide(gate, "GET", "/a//b", null), "ambiguous paths are refused even so");
    }

    @Test
    void imagesAreLookedUpOnceAndAnUnansweredLookupIsRefused() throws Exception {
        RequestGate gate = gate("POST %API_PREFIX_CONTAINERS%/create", ContainerPolicy.of("allow-image cetusguard-test/.*"), false);
        Forward forward = assertInstanceOf(Forward.class, decide(gate, "POST", "/v1.41/containers/create", null));
        byte[] body = utf8("{\"Image\":\"1f5ba5366c60\"}");
        AtomicInteger asked = new AtomicInteger();
        ImageLookup daemon = reference -> {
            asked.incrementAndGet();
            return CompletableFuture.completedFuture(new ImageFacts("sha256:1f5ba5366c60aa", List.of("cetusguard-test/busybox:latest"), List.of()));
        };
        assertInstanceOf(Forward.class, gate.decideBody(forward, body, daemon).join());
        assertEquals(1, asked.get());

        ImageLookup down = reference -> CompletableFuture.failedFuture(new IllegalStateException("no answer"));
        Refuse refused = assertInstanceOf(Refuse.class, gate.decideBody(forward, body, down).join());
        assertEquals(502, refused.status());
        ImageLookup busy = reference -> CompletableFuture.failedFuture(new ImageLookup.Busy());
        assertEquals(503, assertInstanceOf(Refuse.class, gate.decideBody(forward, body, busy).join()).status());

        ImageLookup never = reference -> {
            throw new AssertionError("a body that names no image asks nothing");
        };
        assertInstanceOf(Refuse.class, gate.decideBody(forward, utf8("{\"Cmd\":[\"x\"]}"), never).join());
    }
}
