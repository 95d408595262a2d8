package org.cetusguard.config;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import joptsimple.OptionException;
import joptsimple.OptionParser;
import joptsimple.OptionSet;
import joptsimple.OptionSpec;
import org.cetusguard.log.Log;

/**
 * Command line and environment, with the Go original's semantics (SPEC.md, "Command line"):
 * every option accepts {@code -name value}, {@code -name=value}, {@code --name value} and
 * {@code --name=value}; each falls back to its environment variable, then to its default.
 */
public final class OptionsParser {
    static final String DEFAULT_BACKEND_ADDR = "unix:///var/run/docker.sock";
    static final String DEFAULT_FRONTEND_ADDR = "tcp://127.0.0.1:2375";
    static final int DEFAULT_LOG_LEVEL = Log.INFO;

    private enum Kind { STRING, LIST, INT, BOOL, HELP }

    /** One option as Go's flag package describes it; the list is in Go's (alphabetical) usage order. */
    private record Def(String name, Kind kind, String usage, String defaultText) {
    }

    private static final List<Def> DEFS = List.of(
            new Def("audit-log", Kind.STRING,
                    "Log one line per request to stdout, as logfmt or json; off when empty (env CETUSGUARD_AUDIT_LOG)", null),
            new Def("audit-only", Kind.BOOL,
                    "Learning mode: forward requests the rules would deny and log them (env CETUSGUARD_AUDIT_ONLY)", null),
            new Def("backend-addr", Kind.STRING,
                    "Container daemon socket to connect to (env CETUSGUARD_BACKEND_ADDR, CONTAINER_HOST, DOCKER_HOST)",
                    "\"" + DEFAULT_BACKEND_ADDR + "\""),
            new Def("backend-tls-cacert", Kind.STRING,
                    "Path to the backend TLS certificate used to verify the daemon identity (env CETUSGUARD_BACKEND_TLS_CACERT)", null),
            new Def("backend-tls-cert", Kind.STRING,
                    "Path to the backend TLS certificate used to authenticate with the daemon (env CETUSGUARD_BACKEND_TLS_CERT)", null),
            new Def("backend-tls-key", Kind.STRING,
                    "Path to the backend TLS key used to authenticate with the daemon (env CETUSGUARD_BACKEND_TLS_KEY)", null),
            new Def("frontend-addr", Kind.LIST,
                    "Address to bind the server to, can be specified multiple times (env CETUSGUARD_FRONTEND_ADDR)",
                    "[\"" + DEFAULT_FRONTEND_ADDR + "\"]"),
            new Def("frontend-tls-cacert", Kind.STRING,
                    "Path to the frontend TLS certificate used to verify the identity of clients (env CETUSGUARD_FRONTEND_TLS_CACERT)", null),
            new Def("frontend-tls-cert", Kind.STRING, "Path to the frontend TLS certificate (env CETUSGUARD_FRONTEND_TLS_CERT)", null),
            new Def("frontend-tls-key", Kind.STRING, "Path to the frontend TLS key (env CETUSGUARD_FRONTEND_TLS_KEY)", null),
            new Def("help", Kind.HELP, "Show this help and quit (also -h)", null),
            new Def("log-level", Kind.INT,
                    "The minimum entry level to log, from 0 to 7 (env CETUSGUARD_LOG_LEVEL)", String.valueOf(DEFAULT_LOG_LEVEL)),
            new Def("max-connections", Kind.INT,
                    "Maximum number of client connections served at once, over all frontends; more wait to be accepted"
                            + " (env CETUSGUARD_MAX_CONNECTIONS)", String.valueOf(Options.DEFAULT_MAX_CONNECTIONS)),
            new Def("metrics-addr", Kind.STRING,
                    "Address of a separate Prometheus metrics listener; off when empty (env CETUSGUARD_METRICS_ADDR)", null),
            new Def("no-builtin-rules", Kind.BOOL, "Do not load the built-in rules (env CETUSGUARD_NO_BUILTIN_RULES)", null),
            new Def("policy", Kind.LIST,
                    "Container policy setting for clients no profile matches, e.g. deny-privileged; repeatable, or newline-separated (env CETUSGUARD_POLICY)", null),
            new Def("profiles-file", Kind.STRING,
                    "File of per-client profiles: rules and policy chosen by listener, source, certificate or uid (env CETUSGUARD_PROFILES_FILE)", null),
            new Def("rules", Kind.LIST, "Filter rules separated by new lines, can be specified multiple times (env CETUSGUARD_RULES)", null),
            new Def("rules-file", Kind.LIST, "Filter rules file, can be specified multiple times (env CETUSGUARD_RULES_FILE)", null),
            new Def("version", Kind.BOOL, "Show version number and quit", null));

    private OptionsParser() {
    }

    /**
     * @param env the process environment; a name that is present counts even if its value is empty
     * @throws ConfigException for anything on the command line that Go's flag package would refuse,
     *     and for positional arguments (the original silently ignores them)
     */
    public static Options parse(String[] args, Map<String, String> env) throws ConfigException {
        List<String> normalized = new ArrayList<>();
        boolean help = normalize(args, normalized);

        // No abbreviations: "-rule" must not quietly mean "-rules" (or "-rules-file").
        OptionParser parser = new OptionParser(false);
        // Like Go, everything after the first non-option is positional.
        parser.posixlyCorrect(true);
        OptionSpec<String> backendAddr = parser.accepts("backend-addr").withRequiredArg();
        OptionSpec<String> backendTlsCacert = parser.accepts("backend-tls-cacert").withRequiredArg();
        OptionSpec<String> backendTlsCert = parser.accepts("backend-tls-cert").withRequiredArg();
        OptionSpec<String> backendTlsKey = parser.accepts("backend-tls-key").withRequiredArg();
        OptionSpec<String> frontendAddr = parser.accepts("frontend-addr").withRequiredArg();
        OptionSpec<String> frontendTlsCacert = parser.accepts("frontend-tls-cacert").withRequiredArg();
        OptionSpec<String> frontendTlsCert = parser.accepts("frontend-tls-cert").withRequiredArg();
        OptionSpec<String> frontendTlsKey = parser.accepts("frontend-tls-key").withRequiredArg();
        OptionSpec<String> logLevel = parser.accepts("log-level").withRequiredArg();
        OptionSpec<String> maxConnections = parser.accepts("max-connections").withRequiredArg();
        OptionSpec<String> noBuiltinRules = parser.accepts("no-builtin-rules").withRequiredArg();
        OptionSpec<String> rules = parser.accepts("rules").withRequiredArg();
        OptionSpec<String> rulesFile = parser.accepts("rules-file").withRequiredArg();
        OptionSpec<String> version = parser.accepts("version").withRequiredArg();
        OptionSpec<String> auditLog = parser.accepts("audit-log").withRequiredArg();
        OptionSpec<String> auditOnly = parser.accepts("audit-only").withRequiredArg();
        OptionSpec<String> metricsAddr = parser.accepts("metrics-addr").withRequiredArg();
        OptionSpec<String> profilesFile = parser.accepts("profiles-file").withRequiredArg();
        OptionSpec<String> policy = parser.accepts("policy").withRequiredArg();
        parser.accepts("help");

        OptionSet set;
        try {
            set = parser.parse(normalized.toArray(new String[0]));
        } catch (OptionException e) {
            throw new ConfigException("invalid command line: " + e.getMessage(), e);
        }
        if (!set.nonOptionArguments().isEmpty()) {
            throw new ConfigException("unexpected argument " + quote(String.valueOf(set.nonOptionArguments().get(0)))
                    + ": only options are accepted (see -help)");
        }

        return new Options(
                lastOr(set, backendAddr, envString(env, DEFAULT_BACKEND_ADDR, "CETUSGUARD_BACKEND_ADDR", "CONTAINER_HOST", "DOCKER_HOST")),
                lastOr(set, backendTlsCacert, envString(env, "", "CETUSGUARD_BACKEND_TLS_CACERT")),
                lastOr(set, backendTlsCert, envString(env, "", "CETUSGUARD_BACKEND_TLS_CERT")),
                lastOr(set, backendTlsKey, envString(env, "", "CETUSGUARD_BACKEND_TLS_KEY")),
                allOr(set, frontendAddr, envList(env, List.of(DEFAULT_FRONTEND_ADDR), "CETUSGUARD_FRONTEND_ADDR")),
                lastOr(set, frontendTlsCacert, envString(env, "", "CETUSGUARD_FRONTEND_TLS_CACERT")),
                lastOr(set, frontendTlsCert, envString(env, "", "CETUSGUARD_FRONTEND_TLS_CERT")),
                lastOr(set, frontendTlsKey, envString(env, "", "CETUSGUARD_FRONTEND_TLS_KEY")),
                set.has(logLevel) ? Options.clampLogLevel(flagInt(set, logLevel))
                        : envLogLevel(env, DEFAULT_LOG_LEVEL, "CETUSGUARD_LOG_LEVEL"),
                set.has(noBuiltinRules) ? flagBool(set, noBuiltinRules) : envBool(env, false, "CETUSGUARD_NO_BUILTIN_RULES"),
                allOr(set, rules, envList(env, List.of(), "CETUSGUARD_RULES")),
                allOr(set, rulesFile, envList(env, List.of(), "CETUSGUARD_RULES_FILE")),
                auditFormat(lastOr(set, auditLog, envString(env, "", "CETUSGUARD_AUDIT_LOG"))),
                set.has(auditOnly) ? flagBool(set, auditOnly) : envBool(env, false, "CETUSGUARD_AUDIT_ONLY"),
                lastOr(set, metricsAddr, envString(env, "", "CETUSGUARD_METRICS_ADDR")),
                lastOr(set, profilesFile, envString(env, "", "CETUSGUARD_PROFILES_FILE")),
                allOr(set, policy, envList(env, List.of(), "CETUSGUARD_POLICY")),
                set.has(version) && flagBool(set, version),
                help,
                set.has(maxConnections) ? flagCount(set, maxConnections)
                        : envCount(env, Options.DEFAULT_MAX_CONNECTIONS, "CETUSGUARD_MAX_CONNECTIONS"));
    }

    /**
     * Puts the arguments into a shape jopt-simple parses the way Go's flag package does, and
     * rejects what Go would reject. Go lets booleans take a value only as {@code -flag=value}:
     * in {@code -no-builtin-rules false} the "false" is a positional argument. jopt cannot
     * tell the two forms apart once parsed, so a bare boolean becomes {@code --name=true} here
     * and booleans take a required argument in jopt. Values of other options are skipped
     * verbatim, so {@code -rules -version} still means the rule text "-version", as in Go.
     *
     * @return whether help was requested; like Go, parsing stops there
     */
    private static boolean normalize(String[] args, List<String> out) throws ConfigException {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--") || arg.equals("-") || !arg.startsWith("-")) {
                out.addAll(Arrays.asList(args).subList(i, args.length));
                return false;
            }
            String body = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
            int eq = body.indexOf('=');
            String name = eq < 0 ? body : body.substring(0, eq);
            if (name.isEmpty() || name.startsWith("-")) {
                throw new ConfigException("bad option syntax: " + quote(arg));
            }
            Def def = find(name);
            if (def == null) {
                throw new ConfigException("unknown option " + quote("-" + name) + " (see -help)");
            }
            switch (def.kind()) {
                case HELP:
                    out.add("--help");
                    return true;
                case BOOL:
                    out.add(eq < 0 ? "--" + name + "=true" : arg);
                    break;
                default:
                    out.add(arg);
                    if (eq < 0) {
                        if (i + 1 >= args.length) {
                            throw new ConfigException("option -" + name + " needs a value");
                        }
                        out.add(args[++i]);
                    }
            }
        }
        return false;
    }

    private static Def find(String name) {
        String canonical = name.equals("h") ? "help" : name;
        for (Def def : DEFS) {
            if (def.name().equals(canonical)) {
                return def;
            }
        }
        return null;
    }

    /** Go's usage text (flag.PrintDefaults), with the built-in defaults. */
    public static void printHelp(PrintStream out) {
        StringBuilder b = new StringBuilder("Usage of cetusguard:\n");
        for (Def def : DEFS) {
            String type = switch (def.kind()) {
                case STRING -> " string";
                case LIST -> " value";
                case INT -> " int";
                case BOOL, HELP -> "";
            };
            b.append("  -").append(def.name()).append(type).append("\n    \t").append(def.usage());
            if (def.defaultText() != null) {
                b.append(" (default ").append(def.defaultText()).append(')');
            }
            b.append('\n');
        }
        out.print(b);
    }

    private static String auditFormat(String value) throws ConfigException {
        if (value.isEmpty() || value.equals("logfmt") || value.equals("json")) {
            return value;
        }
        throw new ConfigException("invalid audit log format " + quote(value) + ": expected logfmt or json");
    }

    // --- command line values: the last occurrence wins, lists collect every occurrence ---

    private static String lastOr(OptionSet set, OptionSpec<String> spec, String fallback) {
        List<String> values = set.valuesOf(spec);
        return values.isEmpty() ? fallback : values.get(values.size() - 1);
    }

    /** The first occurrence replaces the environment's value, later ones add to it. */
    private static List<String> allOr(OptionSet set, OptionSpec<String> spec, List<String> fallback) {
        List<String> values = set.valuesOf(spec);
        return values.isEmpty() ? fallback : values;
    }

    /** Every occurrence must parse (Go stops at the first bad one); the last one wins. */
    private static long flagInt(OptionSet set, OptionSpec<String> spec) throws ConfigException {
        long result = 0;
        for (String v : set.valuesOf(spec)) {
            Long parsed = GoValues.parseFlagInt(v);
            if (parsed == null) {
                throw new ConfigException("invalid value " + quote(v) + " for option -" + name(spec) + ": not an integer");
            }
            result = parsed;
        }
        return result;
    }

    /** A count such as -max-connections: an integer from 1 to Integer.MAX_VALUE. */
    private static int flagCount(OptionSet set, OptionSpec<String> spec) throws ConfigException {
        long value = flagInt(set, spec);
        if (value < 1 || value > Integer.MAX_VALUE) {
            throw new ConfigException("invalid value " + value + " for option -" + name(spec) + ": must be at least 1");
        }
        return (int) value;
    }

    private static boolean flagBool(OptionSet set, OptionSpec<String> spec) throws ConfigException {
        boolean result = false;
        for (String v : set.valuesOf(spec)) {
            Boolean parsed = GoValues.parseBool(v);
            if (parsed == null) {
                throw new ConfigException("invalid value " + quote(v) + " for option -" + name(spec)
                        + ": expected one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False");
            }
            result = parsed;
        }
        return result;
    }

    private static String name(OptionSpec<String> spec) {
        return spec.options().iterator().next();
    }

    // --- environment: the first name that is set wins, even when empty ---

    private static String envString(Map<String, String> env, String fallback, String... names) {
        for (String name : names) {
            if (env.containsKey(name)) {
                return env.get(name);
            }
        }
        return fallback;
    }

    /** The variable holds one value (one address, one file, one multi-line rules text). */
    private static List<String> envList(Map<String, String> env, List<String> fallback, String name) {
        return env.containsKey(name) ? List.of(env.get(name)) : fallback;
    }

    /** Like Go's IntEnv: a value that does not parse is ignored. Warned about, so it is not a mystery. */
    private static int envLogLevel(Map<String, String> env, int fallback, String name) {
        if (!env.containsKey(name)) {
            return fallback;
        }
        Long value = GoValues.atoi(env.get(name));
        if (value == null) {
            Log.warning("ignoring " + name + "=" + quote(env.get(name)) + ": not an integer, using " + fallback);
            return fallback;
        }
        return Options.clampLogLevel(value);
    }

    /** A count from the environment; one that does not parse or is below 1 is ignored, with a warning. */
    private static int envCount(Map<String, String> env, int fallback, String name) {
        if (!env.containsKey(name)) {
            return fallback;
        }
        Long value = GoValues.atoi(env.get(name));
        if (value == null || value < 1 || value > Integer.MAX_VALUE) {
            Log.warning("ignoring " + name + "=" + quote(env.get(name)) + ": not an integer of at least 1, using " + fallback);
            return fallback;
        }
        return value.intValue();
    }

    private static boolean envBool(Map<String, String> env, boolean fallback, String name) {
        if (!env.containsKey(name)) {
            return fallback;
        }
        Boolean value = GoValues.parseBool(env.get(name));
        if (value == null) {
            Log.warning("ignoring " + name + "=" + quote(env.get(name)) + ": not a boolean, using " + fallback);
            return fallback;
        }
        return value;
    }

    /** Quotes a value for a one-line message; control characters are escaped. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
