package org.cetusguard.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleSetTest {
    @TempDir
    Path dir;

    private static RuleSet rules(String text) throws RuleException {
        return RuleSet.load(false, List.of(text), List.of());
    }

    @Test
    void seedContainerRule() throws RuleException {
        RuleSet set = rules("GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?");
        assertTrue(set.allows("POST", "/v1.41/containers/abc/start"));
        assertTrue(set.allows("GET", "/containers/json"));
        assertTrue(set.allows("GET", "/v1.41/containers"));
        assertFalse(set.allows("DELETE", "/v1.41/containers/abc"));
        assertFalse(set.allows("post", "/v1.41/containers/abc/start"));
        assertFalse(set.allows("GET", "/v1.41/containersx"));
        assertFalse(set.allows("GET", "/v1.41/images/json"));
    }

    @Test
    void anchoredAtBothEnds() throws RuleException {
        RuleSet set = rules("GET /a/b");
        assertTrue(set.allows("GET", "/a/b"));
        assertFalse(set.allows("GET", "/a"));
        assertFalse(set.allows("GET", "/a/b/c"));
        assertFalse(set.allows("GET", "/x/a/b"));
        assertFalse(set.allows("GET", "/a/b\n"));
    }

    @Test
    void topLevelAlternationIsAnchoredAsAWhole() throws RuleException {
        RuleSet set = rules("GET /a|/b");
        assertTrue(set.allows("GET", "/a"));
        assertTrue(set.allows("GET", "/b"));
        // With Go's "^" + p + "$" these would be allowed.
        assertFalse(set.allows("GET", "/a/x"));
        assertFalse(set.allows("GET", "/x/b"));
    }

    @Test
    void multilineFlagCannotUnanchor() throws RuleException {
        RuleSet set = rules("GET (?m)/a$");
        assertTrue(set.allows("GET", "/a"));
        assertFalse(set.allows("GET", "/a\n/containers/x/exec"));
    }

    @Test
    void catastrophicBacktrackingRunsInLinearTime() throws RuleException {
        RuleSet set = rules("GET (a+)+$\nGET (x+x+)+y\nGET (.*a){25}");
        String evil = "a".repeat(5000) + "!";
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertFalse(set.allows("GET", evil));
            assertFalse(set.allows("GET", "x".repeat(5000)));
            assertFalse(set.allows("GET", "a".repeat(24) + "b".repeat(5000)));
        });
        assertTrue(set.allows("GET", "aaaa"));
    }

    @Test
    void firstMatchInLoadOrder() throws Exception {
        Path file = dir.resolve("x.rules");
        Files.writeString(file, "GET /f\nGET /shared\n");
        RuleSet set = RuleSet.load(true, List.of("GET /r1\nGET /shared", "POST /r2"), List.of(file));
        List<Rule> all = set.rules();
        assertEquals(6 + 2 + 1 + 2, all.size());
        assertEquals("built-in", all.get(0).origin());
        assertEquals("-rules #1", all.get(6).origin());
        assertEquals("-rules #2", all.get(8).origin());
        assertEquals("rules file " + file, all.get(9).origin());
        assertSame(all.get(7), set.firstMatch("GET", "/shared"));
        assertSame(all.get(9), set.firstMatch("GET", "/f"));
        assertSame(all.get(0), set.firstMatch("HEAD", "/_ping"));
        assertNull(set.firstMatch("GET", "/nope"));
        assertThrows(UnsupportedOperationException.class, () -> set.rules().add(all.get(0)));
    }

    @Test
    void builtinsCanBeLeftOut() throws RuleException {
        assertTrue(RuleSet.load(false, List.of(), List.of()).rules().isEmpty());
        assertFalse(RuleSet.load(false, List.of(), List.of()).allows("GET", "/_ping"));
        assertTrue(RuleSet.load(true, List.of(), List.of()).allows("GET", "/_ping"));
    }

    @Test
    void errorNamesTheSource() {
        RuleException e = assertThrows(RuleException.class, () -> RuleSet.load(true, List.of("GET /a", "GET /b\nBAD"), List.of()));
        assertEquals("invalid rule line (-rules #2, line 2): \"BAD\"", e.getMessage());
        Path missing = dir.resolve("nope");
        RuleException f = assertThrows(RuleException.class, () -> RuleSet.load(true, List.of(), List.of(missing)));
        assertTrue(f.getMessage().contains(missing.toString()), f.getMessage());
    }

    @Test
    void inputListsAreCopied() throws RuleException {
        List<Rule> source = new ArrayList<>(RuleParser.parse("GET /a", "t"));
        RuleSet set = new RuleSet(source);
        source.clear();
        assertTrue(set.allows("GET", "/a"));
    }

    @Test
    void realWorldRules() throws RuleException {
        RuleSet set = rules(String.join("\n",
                "GET %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/json",
                "GET %API_PREFIX_IMAGES%/%IMAGE_ID_OR_REFERENCE%/json",
                "GET %API_PREFIX_NETWORKS%/%NETWORK_ID_OR_NAME%",
                "GET %API_PREFIX_EVENTS%"));
        assertTrue(set.allows("GET", "/v1.41/containers/traefik/json"));
        assertTrue(set.allows("GET", "/v1.41/containers/0123abcd/json"));
        assertFalse(set.allows("GET", "/v1.41/containers/a/b/json"));
        assertTrue(set.allows("GET", "/v1.41/images/registry.example.com:5000/team/app:v1/json"));
        assertTrue(set.allows("GET", "/networks/my net"));
        assertFalse(set.allows("GET", "/networks/a/b"));
        assertTrue(set.allows("GET", "/events"));
        assertFalse(set.allows("GET", "/events/x"));
    }
}
