package org.cetusguard.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.cetusguard.log.Log;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleParserTest {
    @TempDir
    Path dir;

    private static Rule single(String text) throws RuleException {
        List<Rule> rules = RuleParser.parse(text, "test");
        assertEquals(1, rules.size(), "rules parsed from " + text);
        return rules.get(0);
    }

    private static RuleException invalid(String text) {
        return assertThrows(RuleException.class, () -> RuleParser.parse(text, "-rules #1"));
    }

    @Test
    void validLine() throws RuleException {
        Rule rule = single("GET /a");
        assertEquals(Set.of("GET"), rule.methods());
        assertEquals("^(?:/a)$", rule.pattern().pattern());
        assertEquals("GET /a", rule.line());
        assertEquals("test", rule.origin());
        assertEquals(1, rule.lineNumber());
        assertTrue(rule.matches("GET", "/a"));
        assertFalse(rule.matches("POST", "/a"));
    }

    @Test
    void blanksAroundAreTrimmedButNotInside() throws RuleException {
        Rule rule = single(" \t GET,HEAD\t \t/a b \t ");
        assertEquals(Set.of("GET", "HEAD"), rule.methods());
        assertEquals("^(?:/a b)$", rule.pattern().pattern());
        assertTrue(rule.matches("HEAD", "/a b"));
    }

    @Test
    void multipleMethodsAreSortedInToString() throws RuleException {
        Rule rule = single("POST,GET,HEAD,GET %API_PREFIX_PING%");
        assertEquals(List.of("GET", "HEAD", "POST"), List.copyOf(rule.methods()));
        assertEquals("GET,HEAD,POST ^(?:(?:/v[0-9]+(?:\\.[0-9]+)*)?/_ping)$", rule.toString());
    }

    @Test
    void commentsBlankLinesAndCrlf() throws RuleException {
        String text = "! comment\r\n\r\n   \t\r\n  ! indented comment\r\nGET /a\r\n\nPOST /b\r\n!GET /c\n";
        List<Rule> rules = RuleParser.parse(text, "test");
        assertEquals(2, rules.size());
        assertEquals("^(?:/a)$", rules.get(0).pattern().pattern());
        assertEquals(5, rules.get(0).lineNumber());
        assertEquals("^(?:/b)$", rules.get(1).pattern().pattern());
        assertEquals(7, rules.get(1).lineNumber());
        assertTrue(RuleParser.parse("", "test").isEmpty());
        assertTrue(RuleParser.parse("\n\n!x", "test").isEmpty());
    }

    @Test
    void blankOnlyPatternFollowsGoGrammar() throws RuleException {
        // "(.+?)" after "[\t ]+" can take the last blank: Go accepts this line, with pattern "\t".
        Rule rule = single("GET   \t");
        assertEquals("^(?:\t)$", rule.pattern().pattern());
    }

    @Test
    void loneCarriageReturnStaysInThePatternLikeGo() throws RuleException {
        // Go splits on \r?\n only; a '\r' elsewhere is pattern text.
        Rule rule = single("GET /a\r\r\n");
        assertFalse(rule.matches("GET", "/a"));
        assertTrue(rule.matches("GET", "/a\r"));
    }

    @Test
    void invalidLinesAreNamed() {
        RuleException e = invalid("GET /a\n! ok\nGETT\n");
        assertEquals("invalid rule line (-rules #1, line 3): \"GETT\"", e.getMessage());
        assertTrue(invalid("get /a").getMessage().contains("\"get /a\""));
        assertTrue(invalid("Get /a").getMessage().contains("line 1"));
        assertTrue(invalid("GET").getMessage().contains("invalid rule line"));
        assertTrue(invalid("GET ").getMessage().contains("invalid rule line"));
        assertTrue(invalid("GET\t").getMessage().contains("invalid rule line"));
        assertTrue(invalid("GET,/a").getMessage().contains("invalid rule line"));
        assertTrue(invalid("GET, HEAD /a").getMessage().contains("invalid rule line"));
        assertTrue(invalid("GET,,HEAD /a").getMessage().contains("invalid rule line"));
        assertTrue(invalid("/a GET").getMessage().contains("invalid rule line"));
        assertTrue(invalid("# comment").getMessage().contains("invalid rule line"));
        assertTrue(invalid("GET\u00a0/a").getMessage().contains("invalid rule line"));
    }

    @Test
    void messagesEscapeControlCharacters() {
        RuleException e = invalid("x\u001b[31m\rGET\u202e");
        assertEquals("invalid rule line (-rules #1, line 1): \"x\\u001b[31m\\u000dGET\\u202e\"", e.getMessage());
        assertFalse(e.getMessage().contains("\r"));
    }

    @Test
    void invalidRegexIsNamedWithReason() {
        RuleException e = invalid("GET /a\nPOST /b(\n");
        assertTrue(e.getMessage().startsWith("invalid rule pattern (-rules #1, line 2): \"POST /b(\": "), e.getMessage());
        assertTrue(e.getMessage().contains("missing closing )"), e.getMessage());
    }

    @Test
    void groupWrapCannotBeEscaped() {
        // Go rejects this line; inside "^(?:...)$" it would balance and mean something else.
        RuleException e = invalid("GET /a)|(/b");
        assertTrue(e.getMessage().startsWith("invalid rule pattern (-rules #1, line 1)"), e.getMessage());
    }

    @Test
    void javaOnlyRegexFeaturesAreRejected() {
        RuleException backref = invalid("GET /(a)\\1");
        assertTrue(backref.getMessage().contains("invalid escape sequence"), backref.getMessage());
        RuleException lookahead = invalid("GET /(?=x)x");
        assertTrue(lookahead.getMessage().contains("(?="), lookahead.getMessage());
        assertTrue(invalid("GET /(?<!x)y").getMessage().contains("invalid rule pattern"));
        assertTrue(invalid("GET /a*+").getMessage().contains("invalid rule pattern"));
        assertTrue(invalid("GET /a\\Z").getMessage().contains("invalid rule pattern"));
    }

    @Test
    void oversizedExpansionIsARuleError() {
        String pattern = String.join("/", java.util.Collections.nCopies(2000, "%IMAGE_REFERENCE%"));
        RuleException e = invalid("GET " + pattern);
        assertTrue(e.getMessage().contains("once variables are expanded"), e.getMessage());
        assertTrue(e.getMessage().length() < 1000, "message is kept short");
    }

    @Test
    void builtins() {
        List<Rule> rules = RuleParser.builtins();
        assertEquals(6, rules.size());
        RuleSet set = new RuleSet(rules);
        for (String path : List.of("/_ping", "/v1.41/_ping", "/v4.0.0/libpod/_ping")) {
            assertTrue(set.allows("GET", path), path);
            assertTrue(set.allows("HEAD", path), path);
            assertFalse(set.allows("POST", path), path);
        }
        for (String path : List.of("/version", "/v1.41/version", "/v4.0.0/libpod/version", "/info", "/v1.41/info", "/v5.0.0/libpod/info")) {
            assertTrue(set.allows("GET", path), path);
            assertFalse(set.allows("HEAD", path), path);
        }
        for (String path : List.of("/libpod/_ping", "/containers/json", "/v1.41/info/x", "/v1.41/_ping/", "/")) {
            assertFalse(set.allows("GET", path), path);
        }
        assertTrue(rules.stream().allMatch(r -> r.origin().equals("built-in")));
    }

    @Test
    void fileIsParsedWithItsName() throws Exception {
        Path file = dir.resolve("a.rules");
        Files.writeString(file, "! list\r\nGET %API_PREFIX_CONTAINERS%/json\r\n\r\nPOST /x\r");
        List<Rule> rules = RuleParser.parseFile(file);
        assertEquals(2, rules.size());
        assertEquals("rules file " + file, rules.get(0).origin());
        assertTrue(rules.get(0).matches("GET", "/v1.41/containers/json"));
        // bufio.ScanLines in Go drops a final '\r' too.
        assertTrue(rules.get(1).matches("POST", "/x"));

        Files.writeString(file, "GET /a\nGET /b\nGETT/x y\n");
        RuleException e = assertThrows(RuleException.class, () -> RuleParser.parseFile(file));
        assertEquals("invalid rule line (rules file " + file + ", line 3): \"GETT/x y\"", e.getMessage());
    }

    @Test
    void fileErrors() throws Exception {
        RuleException dirError = assertThrows(RuleException.class, () -> RuleParser.parseFile(dir));
        assertEquals("cannot read rules file " + dir + ": not a regular file", dirError.getMessage());

        Path missing = dir.resolve("missing.rules");
        RuleException missingError = assertThrows(RuleException.class, () -> RuleParser.parseFile(missing));
        assertEquals("cannot read rules file " + missing + ": no such file", missingError.getMessage());

        Path latin1 = dir.resolve("latin1.rules");
        Files.write(latin1, "GET /caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        RuleException utf8Error = assertThrows(RuleException.class, () -> RuleParser.parseFile(latin1));
        assertEquals("cannot read rules file " + latin1 + ": not valid UTF-8", utf8Error.getMessage());

        Path big = dir.resolve("big.rules");
        Files.write(big, new byte[RuleParser.MAX_FILE_BYTES + 1]);
        RuleException bigError = assertThrows(RuleException.class, () -> RuleParser.parseFile(big));
        assertTrue(bigError.getMessage().contains("larger than"), bigError.getMessage());

        Path ok = dir.resolve("utf8.rules");
        Files.writeString(ok, "! \u00fc\nGET /caf\u00e9\n");
        assertTrue(RuleParser.parseFile(ok).get(0).matches("GET", "/caf\u00e9"));
    }

    @Test
    void unreadableFile() throws Exception {
        Path file = dir.resolve("secret.rules");
        Files.writeString(file, "GET /a\n");
        assertTrue(file.toFile().setReadable(false, false));
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(file), "running as root: permissions are not enforced");
            RuleException e = assertThrows(RuleException.class, () -> RuleParser.parseFile(file));
            assertEquals("cannot read rules file " + file + ": permission denied", e.getMessage());
        } finally {
            file.toFile().setReadable(true, false);
        }
    }

    @Test
    void inlineHashCommentIsKeptLikeGoButWarned() throws RuleException {
        String stderr = captureStderr(() -> {
            Rule rule = single("GET %API_PREFIX_EVENTS%   # Event stream");
            assertFalse(rule.matches("GET", "/v1.41/events"));
            assertTrue(rule.pattern().pattern().endsWith("/events   # Event stream)$"), rule.pattern().pattern());
        });
        assertTrue(stderr.contains("WARNING"), stderr);
        assertTrue(stderr.contains("inline comments are not supported"), stderr);
        assertTrue(stderr.contains("line 1"), stderr);

        String quiet = captureStderr(() -> single("GET /a#b"));
        assertEquals("", quiet);
    }

    @Test
    void unknownVariableIsWarned() {
        String stderr = captureStderr(() -> {
            Rule rule = single("GET %API_PREFIX%/containers/%CONTAINER_IDD%/json");
            assertFalse(rule.matches("GET", "/containers/abc/json"));
        });
        assertTrue(stderr.contains("WARNING"), stderr);
        assertTrue(stderr.contains("%CONTAINER_IDD%"), stderr);
    }

    @Test
    void loadedRulesAreLoggedAtDebug() {
        int before = Log.level();
        Log.setLevel(Log.DEBUG);
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            single("GET,HEAD /a");
        } catch (RuleException e) {
            throw new AssertionError(e);
        } finally {
            System.setOut(original);
            Log.setLevel(before);
        }
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("loaded rule: GET,HEAD ^(?:/a)$"), out.toString(StandardCharsets.UTF_8));
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static String captureStderr(ThrowingRunnable body) {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            body.run();
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            System.setErr(original);
        }
        return err.toString(StandardCharsets.UTF_8);
    }
}
