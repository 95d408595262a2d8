package org.cetusguard.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class OptionsParserTest {
    private static final Map<String, String> NO_ENV = Map.of();

    private static Options parse(String... args) throws ConfigException {
        return OptionsParser.parse(args, NO_ENV);
    }

    private static Options parseEnv(Map<String, String> env, String... args) throws ConfigException {
        return OptionsParser.parse(args, env);
    }

    private static ConfigException fails(String... args) {
        return assertThrows(ConfigException.class, () -> parse(args));
    }

    /** The four spellings Go's flag package accepts for an option with a value. */
    private static List<String[]> fourSyntaxes(String name, String value) {
        return List.of(
                new String[] {"-" + name, value},
                new String[] {"-" + name + "=" + value},
                new String[] {"--" + name, value},
                new String[] {"--" + name + "=" + value});
    }

    @Test
    void defaults() throws ConfigException {
        Options o = parse();
        assertEquals("unix:///var/run/docker.sock", o.backendAddr());
        assertEquals(List.of("tcp://127.0.0.1:2375"), o.frontendAddrs());
        assertEquals("", o.backendTlsCacert());
        assertEquals("", o.backendTlsCert());
        assertEquals("", o.backendTlsKey());
        assertEquals("", o.frontendTlsCacert());
        assertEquals("", o.frontendTlsCert());
        assertEquals("", o.frontendTlsKey());
        assertEquals(6, o.logLevel());
        assertFalse(o.noBuiltinRules());
        assertEquals(List.of(), o.rules());
        assertEquals(List.of(), o.rulesFiles());
        assertFalse(o.version());
        assertFalse(o.help());
    }

    @Test
    void stringOptionsInAllFourSyntaxes() throws ConfigException {
        Map<String, Function<Options, String>> options = new LinkedHashMap<>();
        options.put("backend-addr", Options::backendAddr);
        options.put("backend-tls-cacert", Options::backendTlsCacert);
        options.put("backend-tls-cert", Options::backendTlsCert);
        options.put("backend-tls-key", Options::backendTlsKey);
        options.put("frontend-tls-cacert", Options::frontendTlsCacert);
        options.put("frontend-tls-cert", Options::frontendTlsCert);
        options.put("frontend-tls-key", Options::frontendTlsKey);
        for (Map.Entry<String, Function<Options, String>> option : options.entrySet()) {
            for (String[] args : fourSyntaxes(option.getKey(), "/some/value=x")) {
                assertEquals("/some/value=x", option.getValue().apply(parse(args)), String.join(" ", args));
            }
            // Repeated: the last one wins, as in Go.
            assertEquals("b", option.getValue().apply(parse("-" + option.getKey(), "a", "--" + option.getKey() + "=b")));
        }
    }

    @Test
    void listOptionsInAllFourSyntaxes() throws ConfigException {
        Map<String, Function<Options, List<String>>> options = new LinkedHashMap<>();
        options.put("frontend-addr", Options::frontendAddrs);
        options.put("rules", Options::rules);
        options.put("rules-file", Options::rulesFiles);
        for (Map.Entry<String, Function<Options, List<String>>> option : options.entrySet()) {
            for (String[] args : fourSyntaxes(option.getKey(), "v1")) {
                assertEquals(List.of("v1"), option.getValue().apply(parse(args)), String.join(" ", args));
            }
            String n = option.getKey();
            assertEquals(List.of("a", "b", "c", "d"),
                    option.getValue().apply(parse("-" + n, "a", "-" + n + "=b", "--" + n, "c", "--" + n + "=d")));
        }
    }

    @Test
    void logLevelInAllFourSyntaxes() throws ConfigException {
        for (String[] args : fourSyntaxes("log-level", "3")) {
            assertEquals(3, parse(args).logLevel(), String.join(" ", args));
        }
    }

    @Test
    void logLevelUsesGoIntegerSyntaxAndIsClamped() throws ConfigException {
        assertEquals(7, parse("-log-level=99").logLevel());
        assertEquals(0, parse("-log-level", "-1").logLevel());
        assertEquals(0, parse("-log-level=0").logLevel());
        assertEquals(7, parse("-log-level=0x7").logLevel());
        assertEquals(3, parse("-log-level=0b11").logLevel());
        assertEquals(4, parse("-log-level=04").logLevel());
        assertEquals(5, parse("-log-level=+5").logLevel());
        assertEquals(2, parse("-log-level=4", "-log-level=2").logLevel());
        assertTrue(fails("-log-level=abc").getMessage().contains("\"abc\""));
        assertTrue(fails("-log-level=abc").getMessage().contains("-log-level"));
        fails("-log-level=");
        fails("-log-level= 5");
        fails("-log-level=08");
        fails("-log-level=5.0");
        fails("-log-level=99999999999999999999");
        fails("-log-level=abc", "-log-level=5");
    }

    @Test
    void booleanForms() throws ConfigException {
        assertTrue(parse("-no-builtin-rules").noBuiltinRules());
        assertTrue(parse("--no-builtin-rules").noBuiltinRules());
        assertTrue(parse("-no-builtin-rules=true").noBuiltinRules());
        assertTrue(parse("--no-builtin-rules=T").noBuiltinRules());
        assertTrue(parse("-no-builtin-rules=1").noBuiltinRules());
        assertFalse(parse("-no-builtin-rules=false").noBuiltinRules());
        assertFalse(parse("-no-builtin-rules=0").noBuiltinRules());
        assertFalse(parse("--no-builtin-rules=F").noBuiltinRules());
        assertFalse(parse("-no-builtin-rules", "-no-builtin-rules=false").noBuiltinRules());
        assertTrue(fails("-no-builtin-rules=yes").getMessage().contains("\"yes\""));
        fails("-no-builtin-rules=");
        fails("-no-builtin-rules=tRUE");
    }

    @Test
    void booleanDoesNotTakeTheNextArgument() throws ConfigException {
        // In Go, "false" here is a positional argument and the flag is true; we refuse the line.
        ConfigException e = fails("-no-builtin-rules", "false");
        assertTrue(e.getMessage().contains("\"false\""), e.getMessage());
        Options o = parse("-no-builtin-rules", "-rules", "GET /x");
        assertTrue(o.noBuiltinRules());
        assertEquals(List.of("GET /x"), o.rules());
    }

    @Test
    void version() throws ConfigException {
        assertTrue(parse("-version").version());
        assertTrue(parse("--version").version());
        assertFalse(parse("-version=false").version());
        assertTrue(parse("-log-level=2", "-version").version());
    }

    @Test
    void help() throws ConfigException {
        for (String h : List.of("-h", "--h", "-help", "--help", "-h=false")) {
            assertTrue(parse(h).help(), h);
        }
        // Go stops parsing at -h: what follows does not matter, what precedes still does.
        assertTrue(parse("-h", "-no-such-option", "positional").help());
        assertFalse(parse("-rules", "-h").help());
        assertEquals(List.of("-h"), parse("-rules", "-h").rules());
        fails("-no-such-option", "-h");
    }

    @Test
    void valueThatLooksLikeAnOptionIsAValue() throws ConfigException {
        Options o = parse("-rules", "-version", "-backend-addr", "--rules");
        assertEquals(List.of("-version"), o.rules());
        assertFalse(o.version());
        assertEquals("--rules", o.backendAddr());
        assertEquals(List.of("--"), parse("-rules", "--").rules());
        assertEquals(List.of("-"), parse("-rules", "-").rules());
        assertEquals(List.of(""), parse("-rules=").rules());
        assertEquals(List.of("GET /a=b"), parse("-rules=GET /a=b").rules());
        assertEquals(List.of("GET /a\nPOST /b"), parse("-rules", "GET /a\nPOST /b").rules());
    }

    @Test
    void abbreviationsAreRejected() {
        for (String abbreviation : List.of("-rule", "-backend", "--no-builtin", "-log", "-vers", "-r", "-frontend-addrs")) {
            ConfigException e = fails(abbreviation, "x");
            assertTrue(e.getMessage().contains("unknown option \"" + abbreviation.replaceFirst("^-+", "-") + "\""), e.getMessage());
        }
    }

    @Test
    void badCommandLines() {
        assertTrue(fails("positional").getMessage().contains("\"positional\""));
        assertTrue(fails("-rules", "x", "positional", "-rules", "y").getMessage().contains("\"positional\""));
        assertTrue(fails("--", "-rules").getMessage().contains("\"-rules\""));
        fails("-");
        assertTrue(fails("-rules").getMessage().contains("-rules needs a value"));
        fails("---rules", "x");
        fails("-=x");
    }

    @Test
    void doubleDashAloneEndsOptions() throws ConfigException {
        assertEquals(List.of("x"), parse("-rules", "x", "--").rules());
    }

    @Test
    void backendAddrEnvironmentPrecedence() throws ConfigException {
        Map<String, String> env = new HashMap<>();
        env.put("DOCKER_HOST", "tcp://docker:2375");
        assertEquals("tcp://docker:2375", parseEnv(env).backendAddr());
        env.put("CONTAINER_HOST", "unix:///run/podman/podman.sock");
        assertEquals("unix:///run/podman/podman.sock", parseEnv(env).backendAddr());
        env.put("CETUSGUARD_BACKEND_ADDR", "unix:///x.sock");
        assertEquals("unix:///x.sock", parseEnv(env).backendAddr());
        assertEquals("tcp://cli:1", parseEnv(env, "-backend-addr", "tcp://cli:1").backendAddr());
        // Set but empty still counts, exactly like Go's os.LookupEnv.
        env.put("CETUSGUARD_BACKEND_ADDR", "");
        assertEquals("", parseEnv(env).backendAddr());
    }

    @Test
    void stringEnvironmentFallbacks() throws ConfigException {
        Map<String, String> env = Map.of(
                "CETUSGUARD_BACKEND_TLS_CACERT", "/b/ca", "CETUSGUARD_BACKEND_TLS_CERT", "/b/cert", "CETUSGUARD_BACKEND_TLS_KEY", "/b/key",
                "CETUSGUARD_FRONTEND_TLS_CACERT", "/f/ca", "CETUSGUARD_FRONTEND_TLS_CERT", "/f/cert", "CETUSGUARD_FRONTEND_TLS_KEY", "/f/key");
        Options o = parseEnv(env);
        assertEquals(List.of("/b/ca", "/b/cert", "/b/key", "/f/ca", "/f/cert", "/f/key"), List.of(o.backendTlsCacert(), o.backendTlsCert(),
                o.backendTlsKey(), o.frontendTlsCacert(), o.frontendTlsCert(), o.frontendTlsKey()));
        Options cli = parseEnv(env, "-backend-tls-key", "/cli/key", "-frontend-tls-cacert=");
        assertEquals("/cli/key", cli.backendTlsKey());
        assertEquals("", cli.frontendTlsCacert());
        assertEquals("/b/cert", cli.backendTlsCert());
    }

    @Test
    void repeatableOptionsReplaceThenAppendToEnvironment() throws ConfigException {
        Map<String, String> env = Map.of(
                "CETUSGUARD_FRONTEND_ADDR", "tcp://0.0.0.0:2375",
                "CETUSGUARD_RULES", "GET /a\nGET /b",
                "CETUSGUARD_RULES_FILE", "/etc/a.rules,/etc/b.rules");
        Options fromEnv = parseEnv(env);
        assertEquals(List.of("tcp://0.0.0.0:2375"), fromEnv.frontendAddrs());
        assertEquals(List.of("GET /a\nGET /b"), fromEnv.rules());
        assertEquals(List.of("/etc/a.rules,/etc/b.rules"), fromEnv.rulesFiles());

        Options cli = parseEnv(env, "-frontend-addr", "unix:///a.sock", "-frontend-addr", "tcp://:1",
                "-rules", "GET /c", "-rules-file", "/x", "-rules-file", "/y");
        assertEquals(List.of("unix:///a.sock", "tcp://:1"), cli.frontendAddrs());
        assertEquals(List.of("GET /c"), cli.rules());
        assertEquals(List.of("/x", "/y"), cli.rulesFiles());

        assertEquals(List.of(""), parseEnv(Map.of("CETUSGUARD_FRONTEND_ADDR", "")).frontendAddrs());
    }

    @Test
    void environmentIntegerAndBoolean() throws ConfigException {
        assertEquals(2, parseEnv(Map.of("CETUSGUARD_LOG_LEVEL", "2")).logLevel());
        assertEquals(7, parseEnv(Map.of("CETUSGUARD_LOG_LEVEL", "+7")).logLevel());
        assertEquals(7, parseEnv(Map.of("CETUSGUARD_LOG_LEVEL", "42")).logLevel());
        assertEquals(0, parseEnv(Map.of("CETUSGUARD_LOG_LEVEL", "-3")).logLevel());
        assertEquals(4, parseEnv(Map.of("CETUSGUARD_LOG_LEVEL", "7"), "-log-level=4").logLevel());
        assertTrue(parseEnv(Map.of("CETUSGUARD_NO_BUILTIN_RULES", "1")).noBuiltinRules());
        assertTrue(parseEnv(Map.of("CETUSGUARD_NO_BUILTIN_RULES", "True")).noBuiltinRules());
        assertFalse(parseEnv(Map.of("CETUSGUARD_NO_BUILTIN_RULES", "true"), "-no-builtin-rules=false").noBuiltinRules());
        assertTrue(parseEnv(Map.of("CETUSGUARD_NO_BUILTIN_RULES", "false"), "-no-builtin-rules").noBuiltinRules());
    }

    @Test
    void unparseableEnvironmentValuesAreIgnored() throws ConfigException {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            // Go's Atoi is base 10 only and takes no blanks; ParseBool takes 12 spellings only.
            for (String bad : List.of("abc", "", " 5", "5 ", "0x5", "1_0", "5.0", "\u0665", "99999999999999999999")) {
                assertEquals(6, parseEnv(Map.of("CETUSGUARD_LOG_LEVEL", bad)).logLevel(), bad);
            }
            for (String bad : List.of("yes", "", "on", "TRUE ", "tRUE")) {
                assertFalse(parseEnv(Map.of("CETUSGUARD_NO_BUILTIN_RULES", bad)).noBuiltinRules(), bad);
            }
        } finally {
            System.setErr(original);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("ignoring CETUSGUARD_LOG_LEVEL=\"abc\""));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("ignoring CETUSGUARD_NO_BUILTIN_RULES=\"yes\""));
    }

    @Test
    void maxConnectionsFromFlagOrEnvironment() throws ConfigException {
        assertEquals(1024, parse().maxConnections());
        for (String[] args : List.of(new String[] {"-max-connections", "50"}, new String[] {"-max-connections=50"},
                new String[] {"--max-connections", "50"}, new String[] {"--max-connections=50"})) {
            assertEquals(50, parse(args).maxConnections(), String.join(" ", args));
        }
        assertEquals(7, parseEnv(Map.of("CETUSGUARD_MAX_CONNECTIONS", "7")).maxConnections());
        assertEquals(9, parseEnv(Map.of("CETUSGUARD_MAX_CONNECTIONS", "7"), "-max-connections=9").maxConnections());
        for (String bad : List.of("0", "-1", "x", "99999999999")) {
            assertThrows(ConfigException.class, () -> parse("-max-connections", bad), bad);
        }
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            for (String bad : List.of("0", "-5", "many", "")) {
                assertEquals(1024, parseEnv(Map.of("CETUSGUARD_MAX_CONNECTIONS", bad)).maxConnections(), bad);
            }
        } finally {
            System.setErr(original);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("ignoring CETUSGUARD_MAX_CONNECTIONS=\"many\""));
    }

    @Test
    void optionsAreImmutable() throws ConfigException {
        Options o = parse("-rules", "x");
        assertThrows(UnsupportedOperationException.class, () -> o.rules().add("y"));
        assertThrows(UnsupportedOperationException.class, () -> o.frontendAddrs().clear());
        assertThrows(UnsupportedOperationException.class, () -> o.origins(Option.RULES).clear());
        assertEquals(7, parse("-log-level=100").logLevel());
    }

    @Test
    void helpTextListsEveryOption() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OptionsParser.printHelp(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String help = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(help.startsWith("Usage of cetusguard:\n"), help);
        for (String expected : List.of(
                "  -backend-addr string\n    \tContainer daemon socket to connect to (env CETUSGUARD_BACKEND_ADDR, CONTAINER_HOST, DOCKER_HOST)"
                        + " (default \"unix:///var/run/docker.sock\")\n",
                "  -backend-tls-cacert string\n", "(env CETUSGUARD_BACKEND_TLS_CACERT)\n",
                "  -backend-tls-cert string\n", "(env CETUSGUARD_BACKEND_TLS_CERT)\n",
                "  -backend-tls-key string\n", "(env CETUSGUARD_BACKEND_TLS_KEY)\n",
                "  -frontend-addr value\n", "(env CETUSGUARD_FRONTEND_ADDR) (default [\"tcp://127.0.0.1:2375\"])\n",
                "  -frontend-tls-cacert string\n", "(env CETUSGUARD_FRONTEND_TLS_CACERT)\n",
                "  -frontend-tls-cert string\n", "(env CETUSGUARD_FRONTEND_TLS_CERT)\n",
                "  -frontend-tls-key string\n", "(env CETUSGUARD_FRONTEND_TLS_KEY)\n",
                "  -log-level int\n    \tThe minimum entry level to log, from 0 to 7 (env CETUSGUARD_LOG_LEVEL) (default 6)\n",
                "  -max-connections int\n", "(env CETUSGUARD_MAX_CONNECTIONS) (default 1024)\n",
                "  -no-builtin-rules\n    \tDo not load the built-in rules (env CETUSGUARD_NO_BUILTIN_RULES)\n",
                "  -rules value\n", "(env CETUSGUARD_RULES)\n",
                "  -rules-file value\n", "(env CETUSGUARD_RULES_FILE)\n",
                "  -version\n    \tShow version number and quit\n",
                "  -help\n")) {
            assertTrue(help.contains(expected), "missing " + expected + " in\n" + help);
        }
    }

    // --- the option table: declared once, sources named ---

    /** Captures what the parser warns about on stderr (the log's warnings go there). */
    private static String warnings(ThrowingRunnable body) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void helpIsGeneratedFromTheTableWithEachVariableOnce() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        OptionsParser.printHelp(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String help = bytes.toString(StandardCharsets.UTF_8);
        for (Option option : Option.values()) {
            assertTrue(help.contains("  -" + option.flag() + option.kind().usageType + "\n"), option + " missing in\n" + help);
            for (String variable : option.env()) {
                assertEquals(1, help.split(variable + "[,)]", -1).length - 1, variable + " in\n" + help);
            }
        }
        assertTrue(help.contains("(env CETUSGUARD_AUDIT_LOG)\n"), help);
        assertTrue(help.contains("(env CETUSGUARD_POLICY)\n"), help);
    }

    @Test
    void everyOptionIsAcceptedAndItsDefaultParses() throws ConfigException {
        Options defaults = parse();
        for (Option option : Option.values()) {
            assertEquals(Options.DEFAULT_ORIGIN, defaults.origin(option), option.name());
            String[] args = switch (option.kind()) {
                case BOOL, HELP -> new String[] {"-" + option.flag()};
                case LEVEL, COUNT -> new String[] {"-" + option.flag(), "3"};
                case CHOICE -> new String[] {"-" + option.flag(), "json"};
                default -> new String[] {"-" + option.flag(), "tcp://127.0.0.1:1"};
            };
            Options given = parse(args);
            if (option != Option.HELP) {
                assertEquals("-" + option.flag() + (option.kind().repeatable() ? " #1" : ""), given.origin(option), option.name());
            }
        }
    }

    @Test
    void originsNameTheFlagOrTheVariable() throws ConfigException {
        Options fromEnv = parseEnv(Map.of("DOCKER_HOST", "tcp://docker:2375", "CETUSGUARD_RULES", "GET /a"));
        assertEquals("DOCKER_HOST", fromEnv.origin(Option.BACKEND_ADDR));
        assertEquals(List.of("CETUSGUARD_RULES"), fromEnv.origins(Option.RULES));
        assertEquals(List.of(), fromEnv.origins(Option.RULES_FILE));
        assertEquals(Options.DEFAULT_ORIGIN, fromEnv.origin(Option.FRONTEND_ADDR));
        Options fromFlags = parseEnv(Map.of("CETUSGUARD_RULES", "GET /a"), "-rules", "GET /b", "-rules=GET /c", "-backend-addr", "unix:///x");
        assertEquals(List.of("-rules #1", "-rules #2"), fromFlags.origins(Option.RULES));
        assertEquals("-backend-addr", fromFlags.origin(Option.BACKEND_ADDR));
    }

    @Test
    void badAddressesNameTheirSource() throws ConfigException {
        ConfigException empty = assertThrows(ConfigException.class,
                () -> parseEnv(Map.of("DOCKER_HOST", "")).validate());
        assertEquals("DOCKER_HOST: invalid address \"\": expected unix:///path or tcp://host:port", empty.getMessage());
        // The first set variable wins, and is the one named.
        ConfigException podman = assertThrows(ConfigException.class,
                () -> parseEnv(Map.of("CONTAINER_HOST", "podman.sock", "DOCKER_HOST", "unix:///ok.sock")).validate());
        assertTrue(podman.getMessage().startsWith("CONTAINER_HOST: invalid address \"podman.sock\""), podman.getMessage());
        ConfigException frontend = assertThrows(ConfigException.class,
                () -> parseEnv(Map.of("CETUSGUARD_FRONTEND_ADDR", "tcp://127.0.0.1")).validate());
        assertTrue(frontend.getMessage().startsWith("CETUSGUARD_FRONTEND_ADDR: invalid address \"tcp://127.0.0.1\": missing port"),
                frontend.getMessage());
        ConfigException second = assertThrows(ConfigException.class,
                () -> parse("-frontend-addr", "tcp://127.0.0.1:1", "-frontend-addr", "tcp//x").validate());
        assertTrue(second.getMessage().startsWith("-frontend-addr #2: invalid address \"tcp//x\""), second.getMessage());
        ConfigException metrics = assertThrows(ConfigException.class,
                () -> parseEnv(Map.of("CETUSGUARD_METRICS_ADDR", "9323")).validate());
        assertTrue(metrics.getMessage().startsWith("CETUSGUARD_METRICS_ADDR: invalid address \"9323\""), metrics.getMessage());
        // Off by default and when empty; the defaults are valid.
        parse().validate();
        parseEnv(Map.of("CETUSGUARD_METRICS_ADDR", "")).validate();
        assertEquals(List.of(), parse().addresses(Option.METRICS_ADDR));
        // -version and -help do not look at addresses (as in Go): parsing alone does not fail.
        assertTrue(parseEnv(Map.of("DOCKER_HOST", ""), "-version").version());
    }

    @Test
    void badAuditFormatNamesItsSource() {
        assertEquals("invalid -audit-log \"xml\": expected logfmt or json", fails("-audit-log", "xml").getMessage());
        ConfigException env = assertThrows(ConfigException.class, () -> parseEnv(Map.of("CETUSGUARD_AUDIT_LOG", "text")));
        assertEquals("invalid CETUSGUARD_AUDIT_LOG \"text\": expected logfmt or json", env.getMessage());
    }

    @Test
    void outOfRangeLogLevelsAreTakenAsGoDoesAndWarnedAboutWithTheRange() throws Exception {
        String flag = warnings(() -> assertEquals(7, parse("-log-level", "9").logLevel()));
        assertTrue(flag.contains("WARNING: ") && flag.contains("-log-level 9 is out of range 0 to 7"), flag);
        String env = warnings(() -> assertEquals(7, parseEnv(Map.of("CETUSGUARD_LOG_LEVEL", "10")).logLevel()));
        assertTrue(env.contains("CETUSGUARD_LOG_LEVEL=10 is out of range 0 to 7"), env);
        // Below 0 means "log nothing": no warning contradicts it.
        // (Not compared with "": a fuzz test's agent, when one ran in this JVM, notes classes it instruments.)
        assertFalse(warnings(() -> assertEquals(0, parse("-log-level=-1").logLevel())).contains("WARNING"));
        assertFalse(warnings(() -> assertEquals(7, parse("-log-level=7").logLevel())).contains("WARNING"));
    }

    @Test
    void argumentsAfterTheOptionsAreKeptForTheTools() throws ConfigException {
        OptionsParser.CommandLine line = OptionsParser.parseCommandLine(
                new String[] {"-rules", "GET /x", "POST", "/v1.41/containers/x/start"}, NO_ENV);
        assertEquals(List.of("POST", "/v1.41/containers/x/start"), line.arguments());
        assertEquals(List.of("GET /x"), line.options().rules());
        assertTrue(OptionsParser.parseCommandLine(new String[] {"-rules", "GET /x"}, NO_ENV).arguments().isEmpty());
    }
}
