package org.cetusguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tools as a user meets them, without a daemon: help, usage errors, and what each one counts. */
class CommandsTest {
    /** @param err what the command wrote to its error stream; @param log what went to System.err (the log's warnings) */
    record Run(int exit, String out, String err, String log) {
    }

    static Run run(Map<String, String> env, String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        // Warnings of the rule loader go through the log, which writes to System.err.
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Commands.run(args, env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                    new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        } finally {
            System.setErr(originalErr);
        }
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                log.toString(StandardCharsets.UTF_8));
    }

    static Run run(String... args) {
        return run(Map.of(), "", args);
    }

    static final List<String> TOOLS = List.of("check", "lint", "suggest-rules", "healthcheck", "training-run");

    @Test
    void theUsageListsEveryCommand() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Commands.printUsage(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String usage = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(usage.startsWith("Usage of cetusguard:\n  -audit-log string\n"), usage);
        for (String tool : TOOLS) {
            assertTrue(usage.contains("\n  cetusguard " + tool + " "), tool + " missing in\n" + usage);
        }
        assertTrue(usage.contains("\n  cetusguard help [COMMAND]\n"), usage);
        assertTrue(Commands.isCommand(new String[] {"help"}));
    }

    /**
     * The build records its class list from this run (pom.xml, bin/cetusguard): every exchange must get
     * the answer a real proxy gives, or the list would miss the classes of that path.
     */
    @Test
    void theTrainingRunGetsTheAnswersOfARealProxy() {
        Run training = run("training-run");
        assertEquals(0, training.exit(), training.out() + training.err());
        assertTrue(training.out().contains("6 of 6 answers as expected"), training.out());
    }

    @Test
    void helpWithoutACommandIsTheUsageAndWithOneIsItsHelp() {
        Run help = run("help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("Commands (") && help.out().contains("-backend-addr string"), help.out());
        for (String tool : TOOLS) {
            Run one = run("help", tool);
            assertEquals(0, one.exit(), one.err());
            assertTrue(one.out().startsWith("Usage: cetusguard " + tool + " "), one.out());
        }
        Run unknown = run("help", "nope");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("no such command \"nope\": expected one of check, lint, suggest-rules, healthcheck, training-run, help"),
                unknown.err());
    }

    @Test
    void everyCommandPrintsItsHelpInsteadOfRunning() throws Exception {
        // A port nobody listens on: a healthcheck that ran would report unhealthy (exit 1).
        int closed;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            closed = probe.getLocalPort();
        }
        for (String tool : TOOLS) {
            for (String h : List.of("-h", "-help", "--help", "--h")) {
                List<String> args = new ArrayList<>(List.of(tool, "-frontend-addr", "tcp://127.0.0.1:" + closed, h));
                Run run = run(args.toArray(new String[0]));
                assertEquals(0, run.exit(), tool + " " + h + ": " + run.out() + run.err());
                assertTrue(run.out().startsWith("Usage: cetusguard " + tool + " "), tool + " " + h + ": " + run.out());
                assertFalse(run.out().contains("healthy: ") || run.out().matches("(?s).*\\d+ rules, \\d+ warnings.*") || run.out().contains("! Suggested"),
                        tool + " " + h + " ran: " + run.out());
                assertEquals("", run.err(), tool + " " + h);
                assertFalse(run.log().contains("WARNING") || run.log().contains("CRITICAL"), tool + " " + h + ": " + run.log());
            }
        }
    }

    @Test
    void checkWithoutMethodAndPathPrintsTheUsage() {
        for (String[] args : List.of(new String[] {"check"}, new String[] {"check", "-rules-file", "tool.rules"},
                new String[] {"check", "-no-builtin-rules"}, new String[] {"check", "GET"},
                new String[] {"check", "GET", "/_ping", "extra"})) {
            Run run = run(args);
            assertEquals(2, run.exit(), String.join(" ", args) + ": " + run.out());
            assertEquals("", run.out(), String.join(" ", args));
            assertTrue(run.err().contains("check needs a METHOD and a PATH after the options"), run.err());
            assertTrue(run.err().contains("Usage: cetusguard check [options] METHOD PATH"), run.err());
        }
        Run ok = run("check", "-rules", "GET /x", "GET", "/x");
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertTrue(ok.out().startsWith("allowed: GET /x"), ok.out());
    }

    @Test
    void aBadRuleFromTheEnvironmentIsNamedAsSuch() {
        Run run = run(Map.of("CETUSGUARD_RULES", "GET /ok\nget /x"), "", "check", "GET", "/ok");
        assertEquals(2, run.exit());
        assertTrue(run.err().contains("invalid rule line (CETUSGUARD_RULES, line 2): \"get /x\""), run.err());
        Run flag = run("check", "-rules", "GET /ok", "-rules", "get /x", "GET", "/ok");
        assertTrue(flag.err().contains("invalid rule line (-rules #2, line 1): \"get /x\""), flag.err());
    }

    @Test
    void lintCountsEveryWarningItPrints() {
        Run inline = run("lint", "-no-builtin-rules", "-rules", "GET %API_PREFIX_EVENTS%   # Event stream");
        assertEquals(1, inline.exit(), inline.out());
        assertTrue(inline.out().contains("warning: contains \" #\": inline comments are not supported"), inline.out());
        assertTrue(inline.out().contains("1 rules, 1 warnings"), inline.out());
        // Listed once, with the count, not logged apart as well.
        assertFalse(inline.log().contains("inline comments"), inline.log());

        Run unknown = run("lint", "-no-builtin-rules", "-rules", "GET %API_PREFIX_NOPE%/json");
        assertEquals(1, unknown.exit(), unknown.out());
        assertTrue(unknown.out().contains("warning: uses unknown variable(s) %API_PREFIX_NOPE%"), unknown.out());
        assertTrue(unknown.out().contains("1 rules, 1 warnings"), unknown.out());

        Run clean = run("lint", "-rules", "GET %API_PREFIX_CONTAINERS%/json");
        assertEquals(0, clean.exit(), clean.out());
        assertTrue(clean.out().contains("7 rules, 0 warnings"), clean.out());
    }

    static final String AUDIT = String.join("\n",
            "time=2026-11-22T17:45:26Z method=HEAD path=/_ping status=200 decision=allow reason=- rule=- client=127.0.0.1:1 upgraded=false bytes=0 ms=0.1",
            "time=2026-11-22T17:45:26Z method=GET path=/v1.41/version status=200 decision=allow reason=- rule=- client=127.0.0.1:1 upgraded=false bytes=0 ms=0.1",
            "time=2026-11-22T17:45:27Z method=GET path=/v1.41/containers/json status=200 decision=would-deny reason=rules rule=- client=127.0.0.1:1 upgraded=false bytes=9 ms=0.3",
            "{\"time\":\"2026-11-22T17:45:28Z\",\"method\":\"POST\",\"path\":\"/v1.41/containers/web-1/start\",\"status\":204,\"decision\":\"would-deny\"}",
            "");

    @Test
    void suggestRulesLeavesOutWhatIsAlreadyAllowed() {
        Run run = run(Map.of(), AUDIT, "suggest-rules");
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("\nGET %API_PREFIX_CONTAINERS%/json\n"), run.out());
        assertTrue(run.out().contains("\nPOST %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/start\n"), run.out());
        assertFalse(run.out().contains("PING") || run.out().contains("VERSION"), run.out());
        assertTrue(run.out().contains("! 2 requests the rules already allow (built-in or given) are left out."), run.out());

        Run noBuiltins = run(Map.of(), AUDIT, "suggest-rules", "-no-builtin-rules");
        assertTrue(noBuiltins.out().contains("\nHEAD %API_PREFIX_PING%\n"), noBuiltins.out());
        assertTrue(noBuiltins.out().contains("\nGET %API_PREFIX_VERSION%\n"), noBuiltins.out());

        Run given = run(Map.of(), AUDIT, "suggest-rules", "-rules", "GET %API_PREFIX_CONTAINERS%/json");
        assertFalse(given.out().contains("GET %API_PREFIX_CONTAINERS%/json"), given.out());
    }

    @Test
    void suggestRulesWithoutAuditLinesSaysWhatItExpected() {
        Run run = run(Map.of(), "INFO: 2026/11/22 17:34:10 serve on tcp://127.0.0.1:2375\nnot an audit line\n", "suggest-rules");
        assertEquals(1, run.exit());
        assertEquals("", run.out());
        assertTrue(run.err().contains("no audit log line in the 2 line(s) on standard input"), run.err());
        assertTrue(run.err().contains("-audit-log logfmt") && run.err().contains("-audit-log json"), run.err());
        assertTrue(run.err().contains("cetusguard -audit-only -audit-log logfmt > audit.log"), run.err());
    }

    @Test
    void healthcheckNamesWhatIsDown(@TempDir Path dir) throws Exception {
        int closed;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            closed = probe.getLocalPort();
        }
        Run noProxy = run("healthcheck", "-frontend-addr", "tcp://127.0.0.1:" + closed);
        assertEquals(1, noProxy.exit());
        assertTrue(noProxy.out().startsWith("unhealthy: the proxy on tcp://127.0.0.1:" + closed + ": "), noProxy.out());

        Run badBackend = run(Map.of("DOCKER_HOST", ""), "", "healthcheck");
        assertEquals(1, badBackend.exit());
        assertEquals("unhealthy: DOCKER_HOST: invalid address \"\": expected unix:///path or tcp://host:port\n", badBackend.out());
    }
}
