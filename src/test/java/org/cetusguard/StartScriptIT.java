package org.cetusguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The program as users run it: {@code bin/cetusguard} as a subprocess, configured by options or by
 * the environment exactly as the deployment guide does, with its output captured.
 */
@Timeout(90)
class StartScriptIT {
    static final Duration START = Duration.ofSeconds(30);
    static final Duration QUICK_EXIT = Duration.ofSeconds(30);
    static final String TS = "\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}";

    /** The deployment guide's "High Trust (Management Tools)" tier (YAML `|` keeps the final newline). */
    static final String HIGH_TRUST = """
            GET %API_PREFIX_EVENTS%
            GET,HEAD,POST %API_PREFIX_EXEC%(/.*)?
            GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?
            GET,HEAD %API_PREFIX_IMAGES%(/.*)?
            """;

    /** The guide's "Example: True read-only (no POST operations)". */
    static final String TRUE_READ_ONLY = """
            GET %API_PREFIX_EVENTS%
            GET,HEAD %API_PREFIX_EXEC%(/.*)?
            GET,HEAD %API_PREFIX_CONTAINERS%(/.*)?
            GET,HEAD %API_PREFIX_IMAGES%(/.*)?
            GET,HEAD %API_PREFIX_VOLUMES%(/.*)?
            GET,HEAD %API_PREFIX_NETWORKS%(/.*)?
            GET,HEAD %API_PREFIX_BUILD%(/.*)?
            """;

    /** The guide's "Permissions & Rules" block, inline comments and spacing as printed there. */
    static final List<String> GUIDE_COMMENTED_LINES = List.of(
            "GET %API_PREFIX_EVENTS%                        # Event stream",
            "GET,HEAD,POST %API_PREFIX_EXEC%(/.*)?         # Container exec",
            "GET,HEAD,POST %API_PREFIX_CONTAINERS%(/.*)?   # Container operations",
            "GET,HEAD %API_PREFIX_IMAGES%(/.*)?            # Image read-only",
            "GET,HEAD %API_PREFIX_VOLUMES%(/.*)?           # Volume read-only",
            "GET,HEAD %API_PREFIX_NETWORKS%(/.*)?          # Network read-only",
            "GET,HEAD %API_PREFIX_BUILD%(/.*)?             # Build read-only");

    /** The guide's "Custom Rules" example, whose comment lines start with '#'. */
    static final String GUIDE_CUSTOM_RULES = """
            # Allow GET and HEAD for all container endpoints
            GET,HEAD %API_PREFIX_CONTAINERS%(/.*)?

            # Allow POST only for specific actions
            POST %API_PREFIX_CONTAINERS%/.*/start
            POST %API_PREFIX_CONTAINERS%/.*/stop
            POST %API_PREFIX_CONTAINERS%/.*/restart
            """;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<String> containers = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        if (!containers.isEmpty()) {
            DockerTestbed testbed = DockerTestbed.get();
            for (String c : containers) {
                testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", c);
            }
        }
    }

    ScriptProcess launch(Map<String, String> env, String... args) {
        ScriptProcess p = ScriptProcess.start(env, args);
        cleanup.add(p);
        return p;
    }

    ScriptProcess launchCommand(List<String> command, Map<String, String> env, Path dir) {
        ScriptProcess p = ScriptProcess.startCommand(command, env, dir);
        cleanup.add(p);
        return p;
    }

    static String loopback(int port) {
        return "tcp://127.0.0.1:" + port;
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void versionAndHelp() throws Exception {
        String version = ScriptProcess.projectVersion();
        ScriptProcess single = launch(Map.of(), "-version");
        ScriptProcess dashes = launch(Map.of(), "--version");
        ScriptProcess help = launch(Map.of(), "-help");
        ScriptProcess h = launch(Map.of(), "-h");
        ScriptProcess unknown = launch(Map.of(), "-frontend-adr", "tcp://127.0.0.1:2375");
        ScriptProcess helpCommand = launch(Map.of(), "help");
        ScriptProcess checkHelp = launch(Map.of(), "check", "-h");
        ScriptProcess checkUsage = launch(Map.of(), "check", "-rules", "GET /x");
        ScriptProcess loud = launch(Map.of(), "-log-level", "9", "-version");

        for (ScriptProcess p : List.of(single, dashes)) {
            assertEquals(0, p.awaitExit(QUICK_EXIT), p::describe);
            assertEquals("CetusGuard " + version + "\n", p.stdout(), p::describe);
            assertEquals("", p.stderr(), p::describe);
        }

        assertEquals(0, help.awaitExit(QUICK_EXIT), help::describe);
        Map<String, String> blocks = helpBlocks(help.stdout());
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("backend-addr", List.of("CETUSGUARD_BACKEND_ADDR", "CONTAINER_HOST", "DOCKER_HOST", "unix:///var/run/docker.sock"));
        expected.put("backend-tls-cacert", List.of("CETUSGUARD_BACKEND_TLS_CACERT"));
        expected.put("backend-tls-cert", List.of("CETUSGUARD_BACKEND_TLS_CERT"));
        expected.put("backend-tls-key", List.of("CETUSGUARD_BACKEND_TLS_KEY"));
        expected.put("frontend-addr", List.of("CETUSGUARD_FRONTEND_ADDR", "tcp://127.0.0.1:2375"));
        expected.put("frontend-tls-cacert", List.of("CETUSGUARD_FRONTEND_TLS_CACERT"));
        expected.put("frontend-tls-cert", List.of("CETUSGUARD_FRONTEND_TLS_CERT"));
        expected.put("frontend-tls-key", List.of("CETUSGUARD_FRONTEND_TLS_KEY"));
        expected.put("log-level", List.of("CETUSGUARD_LOG_LEVEL", "(default 6)"));
        expected.put("no-builtin-rules", List.of("CETUSGUARD_NO_BUILTIN_RULES"));
        expected.put("rules", List.of("CETUSGUARD_RULES"));
        expected.put("rules-file", List.of("CETUSGUARD_RULES_FILE"));
        expected.put("version", List.of("version"));
        expected.forEach((option, mentions) -> {
            String block = blocks.get(option);
            assertTrue(block != null, "-help does not list -" + option + ":\n" + help.stdout());
            for (String mention : mentions) {
                assertTrue(block.contains(mention), "-help for -" + option + " does not mention " + mention + ":\n" + block);
            }
        });

        assertEquals(0, h.awaitExit(QUICK_EXIT), h::describe);
        assertEquals(help.stdout(), h.stdout());
        // The tools are found from -h, and "help" is the same usage.
        for (String tool : List.of("check", "lint", "suggest-rules", "healthcheck", "help")) {
            assertTrue(help.stdout().contains("\n  cetusguard " + tool + " "), "-help does not list " + tool + ":\n" + help.stdout());
        }
        assertEquals(0, helpCommand.awaitExit(QUICK_EXIT), helpCommand::describe);
        assertEquals(help.stdout(), helpCommand.stdout());
        assertEquals(0, checkHelp.awaitExit(QUICK_EXIT), checkHelp::describe);
        assertTrue(checkHelp.stdout().startsWith("Usage: cetusguard check [options] METHOD PATH\n"), checkHelp::describe);
        assertEquals(2, checkUsage.awaitExit(QUICK_EXIT), checkUsage::describe);
        assertTrue(checkUsage.stderr().contains("Usage: cetusguard check [options] METHOD PATH"), checkUsage::describe);
        assertEquals("", checkUsage.stdout(), checkUsage::describe);

        // Out of range: taken as 7, as the Go original does, and said so with the range.
        assertEquals(0, loud.awaitExit(QUICK_EXIT), loud::describe);
        assertTrue(loud.stderr().matches("WARNING: " + TS + " -log-level 9 is out of range 0 to 7 .*: using 7\n"), loud::describe);

        assertEquals(2, unknown.awaitExit(QUICK_EXIT), unknown::describe);
        assertTrue(unknown.stderr().contains("-frontend-adr"), unknown::describe);
        assertEquals("", unknown.stdout(), unknown::describe);
    }

    /** Go's usage text: "  -name type" then an indented description; keyed by option name. */
    static Map<String, String> helpBlocks(String help) {
        Map<String, String> blocks = new LinkedHashMap<>();
        String current = null;
        for (String line : help.split("\n")) {
            if (line.startsWith("  -")) {
                current = line.substring(3).split(" ", 2)[0];
                blocks.put(current, line + "\n");
            } else if (current != null) {
                blocks.put(current, blocks.get(current) + line + "\n");
            }
        }
        return blocks;
    }

    // ---------------------------------------------------------------------------------------------

    /** One startup that must fail: exit 1, nothing on stdout, one CRITICAL line on stderr. */
    record Failing(String name, ScriptProcess process, List<String> mentions) {
    }

    @Test
    void startupErrorsAreOneCriticalLineNamingTheCulprit(@TempDir Path dir) throws Exception {
        Path badFile = dir.resolve("bad.rules");
        Files.writeString(badFile, "! comment\nGET %API_PREFIX_PING%\nPOST,get /x\n");
        Path missing = dir.resolve("missing.rules");
        Path dangling = dir.resolve("dangling.rules");
        Files.createSymbolicLink(dangling, dir.resolve("nowhere.rules"));
        Path directory = Files.createDirectory(dir.resolve("rules.d"));
        Path missingCert = dir.resolve("missing-cert.pem");
        Path missingKey = dir.resolve("missing-key.pem");
        TestCerts certs = TestCerts.shared();
        ServerSocket busy = new ServerSocket();
        cleanup.add(busy);
        busy.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        String busyAddr = loopback(busy.getLocalPort());
        String frontend = loopback(ScriptProcess.freeLoopbackPort());

        List<Failing> cases = new ArrayList<>();
        cases.add(new Failing("lower-case method", launch(Map.of(), "-frontend-addr", frontend, "-rules", "get /lowercase"),
                List.of("(-rules #1, line 1)", "\"get /lowercase\"")));
        cases.add(new Failing("bad rule in CETUSGUARD_RULES", launch(Map.of("CETUSGUARD_RULES", "GET /ok\nget /x"), "-frontend-addr", frontend),
                List.of("(CETUSGUARD_RULES, line 2)", "\"get /x\"")));
        cases.add(new Failing("invalid regex on line 2", launch(Map.of(), "-frontend-addr", frontend,
                "-rules", "GET /ok\nGET /broken("), List.of("line 2", "\"GET /broken(\"")));
        cases.add(new Failing("bad line in a rules file", launch(Map.of(), "-frontend-addr", frontend, "-rules-file", badFile.toString()),
                List.of(badFile.toString(), "line 3", "\"POST,get /x\"")));
        cases.add(new Failing("missing rules file", launch(Map.of(), "-frontend-addr", frontend, "-rules-file", missing.toString()),
                List.of(missing.toString(), "no such file")));
        cases.add(new Failing("missing rules file from the environment",
                launch(Map.of("CETUSGUARD_RULES_FILE", missing.toString()), "-frontend-addr", frontend),
                List.of(missing.toString())));
        cases.add(new Failing("dangling symlink as rules file", launch(Map.of(), "-frontend-addr", frontend, "-rules-file", dangling.toString()),
                List.of(dangling.toString())));
        cases.add(new Failing("directory as rules file", launch(Map.of(), "-frontend-addr", frontend, "-rules-file", directory.toString()),
                List.of(directory.toString(), "not a regular file")));
        if (!"root".equals(System.getProperty("user.name"))) {
            // root reads anything, so this case only exists for other users.
            Path unreadable = dir.resolve("unreadable.rules");
            Files.writeString(unreadable, "GET /x\n");
            Files.setPosixFilePermissions(unreadable, PosixFilePermissions.fromString("---------"));
            cases.add(new Failing("unreadable rules file", launch(Map.of(), "-frontend-addr", frontend, "-rules-file", unreadable.toString()),
                    List.of(unreadable.toString(), "permission denied")));
        }
        cases.add(new Failing("'#' comment line (the guide's Custom Rules example)",
                launch(Map.of("CETUSGUARD_RULES", GUIDE_CUSTOM_RULES), "-frontend-addr", frontend),
                List.of("(CETUSGUARD_RULES, line 1)", "\"# Allow GET and HEAD for all container endpoints\"")));
        cases.add(new Failing("frontend address without scheme", launch(Map.of(), "-frontend-addr", "tcp//127.0.0.1:2375"),
                List.of("tcp//127.0.0.1:2375")));
        cases.add(new Failing("frontend port out of range", launch(Map.of(), "-frontend-addr", "tcp://127.0.0.1:99999"),
                List.of("tcp://127.0.0.1:99999")));
        cases.add(new Failing("frontend from the environment without port",
                launch(Map.of("CETUSGUARD_FRONTEND_ADDR", "tcp://127.0.0.1")), List.of("CETUSGUARD_FRONTEND_ADDR: invalid address \"tcp://127.0.0.1\"")));
        cases.add(new Failing("empty DOCKER_HOST (set counts, as in Go)", launch(Map.of("DOCKER_HOST", ""), "-frontend-addr", frontend),
                List.of("DOCKER_HOST: invalid address \"\"")));
        cases.add(new Failing("metrics port already in use", launch(Map.of(), "-frontend-addr", frontend, "-metrics-addr", busyAddr),
                List.of("the metrics listener " + busyAddr)));
        cases.add(new Failing("frontend port already in use", launch(Map.of(), "-frontend-addr", busyAddr),
                List.of(busyAddr)));
        cases.add(new Failing("missing TLS certificate", launch(Map.of(), "-frontend-addr", frontend,
                "-frontend-tls-cert", missingCert.toString(), "-frontend-tls-key", certs.serverKey().toString()),
                List.of("no such file " + missingCert)));
        cases.add(new Failing("missing TLS key", launch(Map.of(), "-frontend-addr", frontend,
                "-frontend-tls-cert", certs.serverCert().toString(), "-frontend-tls-key", missingKey.toString()),
                List.of("no such file " + missingKey)));

        List<String> failures = new ArrayList<>();
        for (Failing c : cases) {
            ScriptProcess p = c.process();
            int exit = p.awaitExit(QUICK_EXIT);
            List<String> lines = p.stderr().lines().filter(l -> !l.isBlank()).toList();
            List<String> problems = new ArrayList<>();
            if (exit != 1) {
                problems.add("exit " + exit + " instead of 1");
            }
            if (!p.stdout().isEmpty()) {
                problems.add("output on stdout");
            }
            if (lines.size() != 1 || !lines.get(0).matches("CRITICAL: " + TS + " .+")) {
                problems.add("stderr is not one CRITICAL line");
            }
            for (String mention : c.mentions()) {
                if (!p.stderr().contains(mention)) {
                    problems.add("the message does not name " + mention);
                }
            }
            if (!problems.isEmpty()) {
                failures.add(c.name() + ": " + String.join("; ", problems) + "\n" + p.describe());
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + cases.size() + " startup errors misbehaved:\n\n" + String.join("\n\n", failures));
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void allFourOptionSyntaxesAndNoBuiltinRules() throws Exception {
        DockerTestbed.get();
        String rules = "GET %API_PREFIX_CONTAINERS%/json";
        record Case(String name, int port, ScriptProcess process, int ping, int list) {
        }
        List<Case> cases = new ArrayList<>();
        int p1 = ScriptProcess.freeLoopbackPort();
        cases.add(new Case("-name value", p1, launch(Map.of(), "-frontend-addr", loopback(p1), "-rules", rules), 200, 200));
        int p2 = ScriptProcess.freeLoopbackPort();
        cases.add(new Case("-name=value", p2, launch(Map.of(), "-frontend-addr=" + loopback(p2), "-rules=" + rules,
                "-no-builtin-rules=false"), 200, 200));
        int p3 = ScriptProcess.freeLoopbackPort();
        cases.add(new Case("--name value", p3, launch(Map.of(), "--frontend-addr", loopback(p3), "--rules", rules,
                "--no-builtin-rules=false"), 200, 200));
        int p4 = ScriptProcess.freeLoopbackPort();
        cases.add(new Case("--name=value, bare -no-builtin-rules", p4, launch(Map.of(), "--frontend-addr=" + loopback(p4),
                "--rules=" + rules, "-no-builtin-rules"), 403, 200));
        int p5 = ScriptProcess.freeLoopbackPort();
        cases.add(new Case("bare --no-builtin-rules, no rules", p5, launch(Map.of(), "-frontend-addr", loopback(p5),
                "--no-builtin-rules"), 403, 403));
        int p6 = ScriptProcess.freeLoopbackPort();
        cases.add(new Case("-no-builtin-rules=false beats CETUSGUARD_NO_BUILTIN_RULES=true", p6,
                launch(Map.of("CETUSGUARD_NO_BUILTIN_RULES", "true"), "-frontend-addr", loopback(p6), "-no-builtin-rules=false"),
                200, 403));
        int p7 = ScriptProcess.freeLoopbackPort();
        cases.add(new Case("CETUSGUARD_NO_BUILTIN_RULES=1", p7,
                launch(Map.of("CETUSGUARD_NO_BUILTIN_RULES", "1", "CETUSGUARD_RULES", rules), "-frontend-addr", loopback(p7)),
                403, 200));

        for (Case c : cases) {
            c.process().awaitStdout("serve on " + loopback(c.port()), START);
        }
        for (Case c : cases) {
            RawHttp.Reply ping = RawHttp.tcp(c.port(), "GET", "/_ping");
            assertEquals(c.ping(), ping.status(), c.name() + ": GET /_ping " + ping + "\n" + c.process().describe());
            if (c.ping() == 200) {
                assertEquals("OK", ping.body(), c.name());
            }
            RawHttp.Reply list = RawHttp.tcp(c.port(), "GET", "/v1.41/containers/json");
            assertEquals(c.list(), list.status(), c.name() + ": GET /v1.41/containers/json " + list + "\n" + c.process().describe());
        }
        for (Case c : cases) {
            assertEquals(0, c.process().terminate(QUICK_EXIT), c.process()::describe);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** The deployment guide's environment (seed 001), verbatim but for the port. */
    static Map<String, String> guideEnvironment(String frontend, String rules) {
        Map<String, String> env = new HashMap<>();
        env.put("CETUSGUARD_BACKEND_ADDR", "unix:///var/run/docker.sock");
        env.put("CETUSGUARD_FRONTEND_ADDR", frontend);
        env.put("CETUSGUARD_LOG_LEVEL", "7");
        env.put("CETUSGUARD_RULES", rules);
        return env;
    }

    @Test
    void deploymentGuideEnvironmentAndChecks() throws Exception {
        DockerTestbed testbed = DockerTestbed.get();
        int port = ScriptProcess.freeLoopbackPort();
        int allPort = ScriptProcess.freeWildcardPort();
        int roPort = ScriptProcess.freeLoopbackPort();
        ScriptProcess high = launch(guideEnvironment(loopback(port), HIGH_TRUST));
        ScriptProcess all = launch(guideEnvironment("tcp://:" + allPort, HIGH_TRUST));
        ScriptProcess readOnly = launch(guideEnvironment(loopback(roPort), TRUE_READ_ONLY));

        String name = "cg-dist-guide-" + UUID.randomUUID().toString().substring(0, 8);
        containers.add(name);
        String id = testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "create", "--name", name, "--network", "none",
                testbed.image(), "sleep", "300").requireOk().stdoutText().trim();
        assertTrue(id.matches("[0-9a-f]{64}"), id);

        high.awaitStdout("serve on " + loopback(port), START);
        all.awaitStdout("serve on tcp://:" + allPort, START);
        readOnly.awaitStdout("serve on " + loopback(roPort), START);

        // The guide's "API Access Test", with a plain HTTP client.
        RawHttp.Reply version = RawHttp.tcp(port, "GET", "/version");
        assertEquals(200, version.status(), version::toString);
        assertTrue(version.body().contains("\"ApiVersion\""), version::toString);
        RawHttp.Reply list = RawHttp.tcp(port, "GET", "/v1.41/containers/json");
        assertEquals(200, list.status(), list::toString);
        assertTrue(list.body().startsWith("["), list::toString);
        RawHttp.Reply start = RawHttp.tcp(port, "POST", "/v1.41/containers/" + id + "/start");
        assertTrue(start.status() == 204 || start.status() == 304, start::toString);
        RawHttp.Reply delete = RawHttp.tcp(port, "DELETE", "/v1.41/containers/" + id);
        assertEquals(403, delete.status(), delete::toString);
        RawHttp.Reply pull = RawHttp.tcp(port, "POST", "/v1.41/images/create");
        assertEquals(403, pull.status(), pull::toString);

        // The docker CLI, as Portainer or Homepage would use it (DOCKER_HOST=tcp://cetusguard:2375).
        String host = loopback(port);
        CliResult ps = testbed.docker(host, "ps", "--format", "{{.Names}}").requireOk();
        assertTrue(ps.stdoutText().lines().anyMatch(name::equals), ps::toString);
        CliResult exec = testbed.docker(host, "exec", name, "echo", "through the proxy").requireOk();
        assertEquals("through the proxy\n", exec.stdoutText(), exec::toString);
        CliResult rm = testbed.docker(host, "rm", name);
        assertNotEquals(0, rm.exitCode(), rm::toString);
        assertTrue(rm.stderr().contains("forbidden by CetusGuard: DELETE /v1.41/containers/" + name), rm::toString);
        testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f", "{{.State.Running}}", name).requireOk();

        // tcp://:PORT listens on every interface: reached here through 127.0.0.1.
        RawHttp.Reply allList = RawHttp.tcp(allPort, "GET", "/v1.41/containers/json");
        assertEquals(200, allList.status(), allList::toString);
        assertEquals(403, RawHttp.tcp(allPort, "DELETE", "/v1.41/containers/" + id).status());
        testbed.docker(loopback(allPort), "ps").requireOk();

        // The "True read-only" tier: reading works, starting does not, nor does exec.
        assertEquals(200, RawHttp.tcp(roPort, "GET", "/v1.41/containers/json").status());
        RawHttp.Reply roStart = RawHttp.tcp(roPort, "POST", "/v1.41/containers/" + id + "/start");
        assertEquals(403, roStart.status(), roStart::toString);
        testbed.docker(loopback(roPort), "ps").requireOk();
        CliResult roExec = testbed.docker(loopback(roPort), "exec", name, "true");
        assertNotEquals(0, roExec.exitCode(), roExec::toString);
        assertTrue(roExec.stderr().contains("forbidden by CetusGuard: POST"), roExec::toString);

        for (ScriptProcess p : List.of(high, all, readOnly)) {
            assertEquals(0, p.terminate(QUICK_EXIT), p::describe);
        }
        // Level 7 (the guide's '7'): rules loaded and allowed requests on stdout, denials on stderr.
        assertMatches(high.stdout(), "DEBUG: " + TS + " allowed request: GET /v1\\.41/containers/json from 127\\.0\\.0\\.1:\\d+", high);
        assertMatches(high.stdout(), "DEBUG: " + TS + " allowed request: POST /v1\\.41/containers/" + id + "/start from .+", high);
        assertEquals(6 + 4, high.stdout().lines().filter(l -> l.contains(" loaded rule: ")).count(), high::describe);
        assertMatches(high.stderr(), "WARNING: " + TS + " denied request: DELETE /v1\\.41/containers/" + id + " from 127\\.0\\.0\\.1:\\d+", high);
        assertMatches(high.stderr(), "WARNING: " + TS + " denied request: POST /v1\\.41/images/create from .+", high);
        assertMatches(readOnly.stderr(), "WARNING: " + TS + " denied request: POST /v1\\.41/containers/" + id + "/start from .+", readOnly);
        assertFalse(high.stdout().contains("WARNING") || high.stderr().contains("DEBUG"), high::describe);
    }

    static void assertMatches(String output, String lineRegex, ScriptProcess p) {
        Pattern pattern = Pattern.compile("^" + lineRegex + "$", Pattern.MULTILINE);
        assertTrue(pattern.matcher(output).find(), () -> "no line matching /" + lineRegex + "/ in\n" + p.describe());
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void logLevels() throws Exception {
        DockerTestbed.get();
        int p4 = ScriptProcess.freeLoopbackPort();
        int p6 = ScriptProcess.freeLoopbackPort();
        int p3 = ScriptProcess.freeLoopbackPort();
        ScriptProcess warning = launch(Map.of("CETUSGUARD_LOG_LEVEL", "4"), "-frontend-addr", loopback(p4));
        ScriptProcess info = launch(Map.of(), "-frontend-addr", loopback(p6));
        // An explicit option beats the environment.
        ScriptProcess error = launch(Map.of("CETUSGUARD_LOG_LEVEL", "7"), "-frontend-addr", loopback(p3), "-log-level=3");
        warning.awaitTcp(p4, START);
        info.awaitStdout("serve on " + loopback(p6), START);
        error.awaitTcp(p3, START);

        for (int port : new int[] {p4, p6, p3}) {
            assertEquals(200, RawHttp.tcp(port, "GET", "/_ping").status());
            assertEquals(200, RawHttp.tcp(port, "GET", "/v1.41/version").status());
            assertEquals(403, RawHttp.tcp(port, "DELETE", "/v1.41/containers/cg-dist-absent").status());
        }
        // Stopped first, so that every line written is read.
        for (ScriptProcess p : List.of(warning, info, error)) {
            assertEquals(0, p.terminate(QUICK_EXIT), p::describe);
        }
        String denied = "WARNING: " + TS + " denied request: DELETE /v1\\.41/containers/cg-dist-absent from 127\\.0\\.0\\.1:\\d+";

        assertMatches(warning.stderr(), denied, warning);
        assertEquals("", warning.stdout(), "level 4 writes no info or debug lines:\n" + warning.describe());

        assertMatches(info.stderr(), denied, info);
        assertMatches(info.stdout(), "INFO: " + TS + " serve on " + Pattern.quote(loopback(p6)), info);
        assertMatches(info.stdout(), "INFO: " + TS + " terminated signal received", info);
        assertFalse(info.stdout().contains("allowed request") || info.stdout().contains("DEBUG"),
                "level 6 does not log allowed requests:\n" + info.describe());

        assertFalse(error.stderr().contains("denied"), "level 3 does not log denials:\n" + error.describe());
        assertEquals("", error.stdout(), "level 3 (-log-level=3 over CETUSGUARD_LOG_LEVEL=7):\n" + error.describe());
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void inlineCommentsAsInTheGuideStartWithAWarningAndNeverMatch() throws Exception {
        DockerTestbed.get();
        int port = ScriptProcess.freeLoopbackPort();
        String rules = String.join("\n", GUIDE_COMMENTED_LINES) + "\n";
        ScriptProcess p = launch(Map.of("CETUSGUARD_RULES", rules), "-frontend-addr", loopback(port));
        p.awaitStdout("serve on " + loopback(port), START);

        for (String line : GUIDE_COMMENTED_LINES) {
            assertTrue(p.stderr().lines().anyMatch(l -> l.startsWith("WARNING: ") && l.contains("\"" + line + "\"")),
                    "no warning quoting " + line + "\n" + p.describe());
        }
        // As in the Go original, "# ..." is part of the regex: nothing the block meant to allow is allowed.
        assertEquals(403, RawHttp.tcp(port, "GET", "/v1.41/events").status());
        assertEquals(403, RawHttp.tcp(port, "GET", "/v1.41/containers/json").status());
        assertEquals(403, RawHttp.tcp(port, "GET", "/v1.41/images/json").status());
        assertEquals(403, RawHttp.tcp(port, "POST", "/v1.41/containers/cg-dist-x/start").status());
        // The built-ins are unaffected.
        assertEquals(200, RawHttp.tcp(port, "GET", "/_ping").status());
        assertEquals(0, p.terminate(QUICK_EXIT), p::describe);
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void sigtermAndSigintStopWithinTheGracePeriodWhileAStreamIsOpen(@TempDir Path dir) throws Exception {
        DockerTestbed.get();
        String rules = "GET %API_PREFIX_EVENTS%";
        int port = ScriptProcess.freeLoopbackPort();
        Path socket = dir.resolve("cetusguard.sock");
        ScriptProcess term = launch(Map.of(), "-frontend-addr", loopback(port), "-rules", rules);
        List<String> intCommand = new ArrayList<>(List.of(ScriptProcess.SCRIPT.toString(),
                "-frontend-addr", "unix://" + socket, "-rules", rules));
        if (sigintIgnored(ProcessHandle.current().pid())) {
            // Started in the background by a shell without job control, this JVM (and so every child) has
            // SIGINT ignored, and a JVM cannot catch a signal that was ignored when it started. Reset it.
            Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")),
                    "SIGINT is ignored by this JVM and there is no perl to reset it for the child");
            intCommand.addAll(0, List.of("/usr/bin/perl", "-e", "$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec: $!\"", "--"));
        }
        ScriptProcess interrupt = launchCommand(intCommand, Map.of(), null);
        term.awaitStdout("serve on " + loopback(port), START);
        interrupt.awaitStdout("serve on unix://" + socket, START);
        assertFalse(sigintIgnored(interrupt.pid()), "the proxy under test has SIGINT ignored");

        try (RawHttp.OpenStream a = RawHttp.openStream(RawHttp.Connection.tcp(port), "GET", "/v1.41/events");
             RawHttp.OpenStream b = RawHttp.openStream(RawHttp.Connection.unix(socket), "GET", "/v1.41/events")) {
            assertEquals("HTTP/1.1 200 OK", a.statusLine(), a.head());
            assertEquals("HTTP/1.1 200 OK", b.statusLine(), b.head());
            long t0 = System.nanoTime();
            term.signal("TERM");
            interrupt.signal("INT");
            // The grace period is 10 s; a little more for the JVM to exit on a busy machine.
            Duration bound = Duration.ofMillis(12_500);
            int termExit = term.awaitExit(bound);
            long termMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();
            int intExit = interrupt.awaitExit(bound.minusMillis(termMs).plusMillis(500));
            long intMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();
            System.out.printf("[StartScriptIT] with a stream open: SIGTERM exit after %d ms, SIGINT exit after %d ms%n", termMs, intMs);

            assertEquals(0, termExit, term::describe);
            assertEquals(0, intExit, interrupt::describe);
            assertMatches(term.stdout(), "INFO: " + TS + " terminated signal received", term);
            assertMatches(interrupt.stdout(), "INFO: " + TS + " interrupt signal received", interrupt);
            assertFalse(Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS),
                    "the Unix frontend socket is removed on exit");
            // The streams end with the process.
            assertTrue(a.readToEnd(Duration.ofSeconds(2)) >= 0, "the TCP stream did not end");
            assertTrue(b.readToEnd(Duration.ofSeconds(2)) >= 0, "the Unix stream did not end");
        }
    }

    /** Whether SIGINT (signal 2) is in the ignored mask of a process. */
    static boolean sigintIgnored(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << (2 - 1))) != 0;
            }
        }
        throw new IOException("no SigIgn in /proc/" + pid + "/status");
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void javaOptsAndJavaHome(@TempDir Path dir) throws Exception {
        Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
        Path javaHome = Files.isExecutable(jdk17.resolve("bin/java")) ? jdk17 : Path.of(System.getProperty("java.home"));
        Path socket = dir.resolve("opts.sock");
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", javaHome.toString());
        env.put("JAVA_OPTS", "-Xmx40m -XX:+PrintCommandLineFlags -Dcetusguard.it.marker=yes");
        ScriptProcess withOpts = launch(env, "-frontend-addr", "unix://" + socket);

        Map<String, String> noJdk = new HashMap<>();
        noJdk.put("JAVA_HOME", dir.resolve("no-jdk").toString());
        ScriptProcess missingJdk = launch(noJdk, "-version");

        Map<String, String> noJavaHome = new HashMap<>();
        noJavaHome.put("JAVA_HOME", null);
        Path socket2 = dir.resolve("path.sock");
        ScriptProcess fromPath = launch(noJavaHome, "-frontend-addr", "unix://" + socket2);

        withOpts.awaitStdout("serve on unix://" + socket, START);
        List<String> cmdline = withOpts.procCmdline();
        assertEquals(javaHome.resolve("bin/java").toString(), cmdline.get(0), "JAVA_HOME chooses the JVM: " + cmdline);
        assertTrue(Files.readSymbolicLink(Path.of("/proc", String.valueOf(withOpts.pid()), "exe")).toRealPath()
                .startsWith(javaHome.toRealPath()), "the running JVM is JAVA_HOME's");
        int defaultXmx = cmdline.indexOf("-Xmx32m");
        int optsXmx = cmdline.indexOf("-Xmx40m");
        assertTrue(optsXmx > defaultXmx && defaultXmx >= 0, "JAVA_OPTS come after the defaults, so they win: " + cmdline);
        assertTrue(cmdline.contains("-Dcetusguard.it.marker=yes"), cmdline::toString);
        assertTrue(cmdline.indexOf("org.cetusguard.Main") > optsXmx, cmdline::toString);
        // The JVM itself says which heap limit it took.
        assertTrue(withOpts.stdout().contains("-XX:MaxHeapSize=41943040 "), withOpts::describe);
        assertEquals(0, withOpts.terminate(QUICK_EXIT), withOpts::describe);

        int exit = missingJdk.awaitExit(QUICK_EXIT);
        assertNotEquals(0, exit, missingJdk::describe);
        assertTrue(missingJdk.stderr().contains(dir.resolve("no-jdk/bin/java").toString()), missingJdk::describe);

        fromPath.awaitStdout("serve on unix://" + socket2, START);
        assertEquals("java", fromPath.procCmdline().get(0), "without JAVA_HOME, java from PATH");
        assertEquals(0, fromPath.terminate(QUICK_EXIT), fromPath::describe);
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * The tuning follows the memory limit of the cgroup the script runs in (small under 96 MiB, fast
     * otherwise) and CETUSGUARD_JVM_PROFILE picks either; the JVM itself reports the flags it took.
     */
    @Test
    void theTuningFollowsTheMemoryLimitAndOneVariable() throws Exception {
        Map<String, String> flags = new HashMap<>();
        flags.put("JAVA_OPTS", "-XX:+PrintCommandLineFlags");
        ScriptProcess fast = launch(flags, "-version");
        assertEquals(0, fast.awaitExit(START), fast::describe);
        flags.put("CETUSGUARD_JVM_PROFILE", "small");
        ScriptProcess small = launch(flags, "-version");
        assertEquals(0, small.awaitExit(START), small::describe);
        flags.put("CETUSGUARD_JVM_PROFILE", "speedy");
        ScriptProcess bogus = launch(flags, "-version");
        assertEquals(2, bogus.awaitExit(QUICK_EXIT), bogus::describe);
        assertTrue(bogus.stderr().contains("CETUSGUARD_JVM_PROFILE must be small or fast, not 'speedy'"), bogus::describe);

        Path limits = Path.of("/sys/fs/cgroup/memory");
        boolean unlimitedHere = !inSmallCgroup();
        if (unlimitedHere) {
            assertTrue(fast.stdout().contains("-XX:-TieredCompilation"), "no limit: the fast tuning: " + fast.describe());
        }
        assertTrue(small.stdout().contains("-XX:TieredStopAtLevel=1") && small.stdout().contains("-XX:MaxHeapSize=16777216"),
                "CETUSGUARD_JVM_PROFILE=small: " + small.describe());

        // Inside a real 64 MiB memory cgroup (v1, as on this test bed), the script picks small by itself.
        Assumptions.assumeTrue(Files.isWritable(limits), "no writable cgroup v1 memory hierarchy at " + limits);
        Path group = limits.resolve("cg-it-" + UUID.randomUUID().toString().substring(0, 8));
        Files.createDirectory(group);
        try {
            Files.writeString(group.resolve("memory.limit_in_bytes"), String.valueOf(64L << 20));
            ScriptProcess contained = launchCommand(List.of("sh", "-c", "echo $$ > \"$1\" && exec \"$2\" -version", "sh",
                    group.resolve("cgroup.procs").toString(), ScriptProcess.SCRIPT.toString()),
                    Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags"), null);
            assertEquals(0, contained.awaitExit(START), contained::describe);
            assertTrue(contained.stdout().contains("-XX:TieredStopAtLevel=1") && contained.stdout().contains("-XX:MaxHeapSize=16777216"),
                    "a 64 MiB limit: the small tuning: " + contained.describe());
        } finally {
            Files.deleteIfExists(group);
        }
    }

    /** Whether this test runs in a memory cgroup limited below 96 MiB (then "no limit" cannot be shown). */
    private static boolean inSmallCgroup() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] parts = line.split(":", 3);
            if (parts.length == 3 && (parts[1].equals("memory") || parts[1].isEmpty())) {
                for (Path limit : List.of(Path.of("/sys/fs/cgroup/memory" + parts[2], "memory.limit_in_bytes"),
                        Path.of("/sys/fs/cgroup" + parts[2], "memory.max"))) {
                    if (Files.isReadable(limit)) {
                        String value = Files.readString(limit).trim();
                        return !value.equals("max") && Long.parseLong(value) < (96L << 20);
                    }
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void scriptIsPosixSh() throws Exception {
        List<String> lines = Files.readAllLines(ScriptProcess.SCRIPT, StandardCharsets.UTF_8);
        assertEquals("#!/bin/sh", lines.get(0));
        assertTrue(Files.isExecutable(ScriptProcess.SCRIPT), "bin/cetusguard is executable");
        // A few bashisms that checkbashisms would report, on the lines that are code.
        Map<String, Pattern> bashisms = new LinkedHashMap<>();
        bashisms.put("[[ ]]", Pattern.compile("\\[\\["));
        bashisms.put("function keyword", Pattern.compile("^\\s*function\\s"));
        bashisms.put("local", Pattern.compile("(^|[;&|]\\s*)local\\s"));
        bashisms.put("$'...'", Pattern.compile("\\$'"));
        bashisms.put("source", Pattern.compile("(^|[;&|]\\s*)source\\s"));
        bashisms.put("echo -e/-n", Pattern.compile("\\becho\\s+-[en]\\b"));
        bashisms.put("== in test", Pattern.compile("\\[\\s[^\\]]*\\s==\\s"));
        bashisms.put("${var//}", Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*//"));
        bashisms.put("${var:n:m}", Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*:[0-9]"));
        bashisms.put("<<< or &>", Pattern.compile("<<<|&>"));
        bashisms.put("arrays", Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=\\(|\\$\\{[A-Za-z_]+\\["));
        bashisms.put("pipefail", Pattern.compile("pipefail"));
        bashisms.put("bash variables", Pattern.compile("\\$\\{?(RANDOM|BASH_SOURCE|BASH_VERSION|PIPESTATUS|FUNCNAME)\\b"));
        List<String> found = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String code = lines.get(i).strip();
            if (code.startsWith("#")) {
                continue;
            }
            int n = i + 1;
            bashisms.forEach((what, pattern) -> {
                if (pattern.matcher(code).find()) {
                    found.add("line " + n + " (" + what + "): " + code);
                }
            });
        }
        assertTrue(found.isEmpty(), "bashisms in bin/cetusguard:\n" + String.join("\n", found));

        Path dash = Path.of("/bin/dash");
        Assumptions.assumeTrue(Files.isExecutable(dash), "dash is not installed");
        ScriptProcess syntax = launchCommand(List.of(dash.toString(), "-n", ScriptProcess.SCRIPT.toString()), Map.of(), null);
        ScriptProcess run = launchCommand(List.of(dash.toString(), ScriptProcess.SCRIPT.toString(), "-version"), Map.of(), null);
        assertEquals(0, syntax.awaitExit(QUICK_EXIT), syntax::describe);
        assertEquals(0, run.awaitExit(QUICK_EXIT), run::describe);
        assertEquals("CetusGuard " + ScriptProcess.projectVersion() + "\n", run.stdout(), run::describe);
        Path busybox = Path.of("/bin/busybox");
        if (Files.isExecutable(busybox)) {
            ScriptProcess ash = launchCommand(List.of(busybox.toString(), "sh", ScriptProcess.SCRIPT.toString(), "-version"),
                    Map.of(), null);
            assertEquals(0, ash.awaitExit(QUICK_EXIT), ash::describe);
            assertEquals(run.stdout(), ash.stdout(), ash::describe);
        }
    }

    @Test
    void scriptWorksThroughSymlinksFromAnyDirectory(@TempDir Path dir) throws Exception {
        String expected = "CetusGuard " + ScriptProcess.projectVersion() + "\n";
        Path x = Files.createDirectories(dir.resolve("x"));
        Path direct = Files.createSymbolicLink(x.resolve("cetusguard"), ScriptProcess.SCRIPT);
        // Removed here, not by @TempDir (which warns about links that leave the temp dir).
        cleanup.add(0, () -> Files.deleteIfExists(direct));
        Path spaced = Files.createDirectories(dir.resolve("with space/bin"));
        // A relative link to a link, in a directory whose name has a space.
        Path chained = Files.createSymbolicLink(spaced.resolve("cg"), Path.of("../../x/cetusguard"));
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));

        Map<String, ScriptProcess> runs = new LinkedHashMap<>();
        runs.put("absolute symlink", launchCommand(List.of(direct.toString(), "-version"), Map.of(), elsewhere));
        runs.put("relative symlink to a symlink", launchCommand(List.of(chained.toString(), "-version"), Map.of(), elsewhere));
        runs.put("relative invocation ./cg", launchCommand(List.of("sh", "-c", "./cg -version"), Map.of(), spaced));
        runs.put("found on PATH", launchCommand(List.of("sh", "-c", "cetusguard -version"),
                Map.of("PATH", x + ":" + System.getenv("PATH")), elsewhere));
        if (Files.isExecutable(Path.of("/bin/dash"))) {
            runs.put("dash through a symlink", launchCommand(List.of("/bin/dash", direct.toString(), "-version"), Map.of(), elsewhere));
        }
        int port = ScriptProcess.freeLoopbackPort();
        ScriptProcess server = launchCommand(List.of(chained.toString(), "-frontend-addr", loopback(port)), Map.of(), elsewhere);
        for (Map.Entry<String, ScriptProcess> run : runs.entrySet()) {
            ScriptProcess p = run.getValue();
            assertEquals(0, p.awaitExit(QUICK_EXIT), () -> run.getKey() + ": " + p.describe());
            assertEquals(expected, p.stdout(), () -> run.getKey() + ": " + p.describe());
        }
        server.awaitStdout("serve on " + loopback(port), START);
        assertEquals(0, server.terminate(QUICK_EXIT), server::describe);
    }
}
