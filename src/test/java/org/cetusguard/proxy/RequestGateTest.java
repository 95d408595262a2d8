package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.cetusguard.rules.RuleSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestGateTest {
    static RequestGate gate(String rules) throws Exception {
        return new RequestGate(RuleSet.load(true, List.of(rules), List.of()));
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
        RequestGate.Decision decision = gate("GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?").decide(method, path, query, "test");
        assertEquals(target, assertInstanceOf(RequestGate.Allowed.class, decision).target());
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
        RequestGate.Refused refused = assertInstanceOf(RequestGate.Refused.class,
                gate("GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?").decide(method, path, null, "test"));
        assertEquals(403, refused.status());
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
        RequestGate.Refused refused = assertInstanceOf(RequestGate.Refused.class,
                gate("GET .*").decide("GET", path, query, "test"));
        assertEquals(400, refused.status());
    }

    @Test
    void rulesCanBeSwappedAtomically() throws Exception {
        RequestGate gate = gate("GET /a");
        assertInstanceOf(RequestGate.Allowed.class, gate.decide("GET", "/a", null, "t"));
        gate.setRules(RuleSet.load(true, List.of("GET /b"), List.of()));
        assertInstanceOf(RequestGate.Refused.class, gate.decide("GET", "/a", null, "t"));
        assertInstanceOf(RequestGate.Allowed.class, gate.decide("GET", "/b", null, "t"));
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

    @Test
    void logLinesCannotBeForged() {
        assertEquals("/a\\x0aWARNING: x", RequestGate.printable("/a\nWARNING: x"));
        assertEquals("/plain", RequestGate.printable("/plain"));
    }

    @Test
    void jsonErrorsEscapeWhatTheClientSent() {
        assertEquals("{\"message\":\"a \\\"quoted\\\" \\\\ \\u000a\"}\n",
                new String(JsonError.body("a \"quoted\" \\ \n"), java.nio.charset.StandardCharsets.UTF_8));
    }
}
