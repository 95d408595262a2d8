package org.cetusguard.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class NearMissTest {
    static RuleSet rules(String text) throws RuleException {
        return new RuleSet(RuleParser.parse(text, "test"));
    }

    @Test
    void patternsAreCutIntoTheirTopLevelPieces() {
        assertEquals(List.of("%API_PREFIX_CONTAINERS%", "/", "%CONTAINER_ID_OR_NAME%", "/", "s", "t", "a", "r", "t"),
                NearMiss.pieces("%API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/start"));
        assertEquals(List.of("/", "(a|b)+", "[^/]*", "\\.", "x{2,3}", "\\p{L}"), NearMiss.pieces("/(a|b)+[^/]*\\.x{2,3}\\p{L}"));
        assertEquals(List.of("/a|/b"), NearMiss.pieces("/a|/b"), "a top-level alternation is one piece");
        assertEquals(List.of("/a(/b"), NearMiss.pieces("/a(/b"), "not cut when not balanced");
        assertEquals(List.of("%", "x"), NearMiss.pieces("%x"));
    }

    @Test
    void theClosestRulesComeFirstWithWhereTheyStopped() throws RuleException {
        RuleSet set = rules(String.join("\n", "GET /other", "GET %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/json",
                "POST %API_PREFIX_CONTAINERS%/json", "GET %API_PREFIX_IMAGES%/json"));
        List<NearMiss.Explanation> closest = NearMiss.closest(set, "GET", "/v1.41/containers/x/json", 3);
        assertEquals(3, closest.size());
        assertEquals("GET %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/json", closest.get(0).rule().line());
        assertEquals("/v1.41/containers/", closest.get(0).matched());
        assertEquals("the path matches up to \"/v1.41/containers/\", then \"x/json\" does not match %CONTAINER_ID_OR_NAME%/json",
                closest.get(0).why("GET", "/v1.41/containers/x/json"));
        assertTrue(closest.get(1).why("GET", "/v1.41/containers/x/json").endsWith("(and the rule allows only POST)"));

        NearMiss.Explanation method = NearMiss.closest(set, "DELETE", "/v1.41/containers/abc/json", 1).get(0);
        assertTrue(method.pathMatches());
        assertFalse(method.methodAllowed());
        assertEquals("the path matches, but the rule allows only GET, not DELETE", method.why("DELETE", "/v1.41/containers/abc/json"));

        NearMiss.Explanation none = NearMiss.closest(rules("GET %API_PREFIX_IMAGES%/json"), "GET", "/containers/x", 1).get(0);
        assertEquals("the path does not match from its start", none.why("GET", "/containers/x"));
        NearMiss.Explanation slash = NearMiss.closest(rules("GET /other"), "GET", "/x", 1).get(0);
        assertEquals("the path matches up to \"/\", then \"x\" does not match other", slash.why("GET", "/x"));
    }
}
