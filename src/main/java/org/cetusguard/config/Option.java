package org.cetusguard.config;

import java.util.List;

import org.cetusguard.log.Log;

/**
 * Every option, declared once: its name on the command line, what kind of value it takes, the
 * environment variables it falls back to (the first one set wins), its default, and its usage text.
 * {@link OptionsParser} registers and resolves them in loops and prints the usage from this table;
 * adding an option is adding a line here (and reading it where it is used, see {@link Options}).
 *
 * <p>The table is in Go's usage order (alphabetical). The Go original's options keep its names,
 * variables, defaults and usage texts; the others are ours.
 */
public enum Option {
    AUDIT_LOG("audit-log", Kind.CHOICE, List.of("CETUSGUARD_AUDIT_LOG"), "",
            "Log one line per request to stdout, as logfmt or json; off when empty", "logfmt", "json"),
    AUDIT_ONLY("audit-only", Kind.BOOL, List.of("CETUSGUARD_AUDIT_ONLY"), "false",
            "Learning mode: forward requests the rules would deny and log them"),
    BACKEND_ADDR("backend-addr", Kind.ADDRESS, List.of("CETUSGUARD_BACKEND_ADDR", "CONTAINER_HOST", "DOCKER_HOST"),
            "unix:///var/run/docker.sock", "Container daemon socket to connect to"),
    BACKEND_TLS_CACERT("backend-tls-cacert", Kind.STRING, List.of("CETUSGUARD_BACKEND_TLS_CACERT"), "",
            "Path to the backend TLS certificate used to verify the daemon identity"),
    BACKEND_TLS_CERT("backend-tls-cert", Kind.STRING, List.of("CETUSGUARD_BACKEND_TLS_CERT"), "",
            "Path to the backend TLS certificate used to authenticate with the daemon"),
    BACKEND_TLS_KEY("backend-tls-key", Kind.STRING, List.of("CETUSGUARD_BACKEND_TLS_KEY"), "",
            "Path to the backend TLS key used to authenticate with the daemon"),
    FRONTEND_ADDR("frontend-addr", Kind.ADDRESSES, List.of("CETUSGUARD_FRONTEND_ADDR"), "tcp://127.0.0.1:2375",
            "Address to bind the server to, can be specified multiple times"),
    FRONTEND_TLS_CACERT("frontend-tls-cacert", Kind.STRING, List.of("CETUSGUARD_FRONTEND_TLS_CACERT"), "",
            "Path to the frontend TLS certificate used to verify the identity of clients"),
    FRONTEND_TLS_CERT("frontend-tls-cert", Kind.STRING, List.of("CETUSGUARD_FRONTEND_TLS_CERT"), "",
            "Path to the frontend TLS certificate"),
    FRONTEND_TLS_KEY("frontend-tls-key", Kind.STRING, List.of("CETUSGUARD_FRONTEND_TLS_KEY"), "",
            "Path to the frontend TLS key"),
    HELP("help", Kind.HELP, List.of(), "false", "Show this help and quit (also -h)"),
    LOG_LEVEL("log-level", Kind.LEVEL, List.of("CETUSGUARD_LOG_LEVEL"), String.valueOf(Log.INFO),
            "The minimum entry level to log, from " + Log.NONE + " to " + Log.DEBUG),
    // Far above what the tools this proxy fronts open, far below what exhausts a small container's memory.
    MAX_CONNECTIONS("max-connections", Kind.COUNT, List.of("CETUSGUARD_MAX_CONNECTIONS"), "1024",
            "Maximum number of client connections served at once, over all frontends; more wait to be accepted"),
    METRICS_ADDR("metrics-addr", Kind.ADDRESS, List.of("CETUSGUARD_METRICS_ADDR"), "",
            "Address of a separate Prometheus metrics listener; off when empty"),
    NO_BUILTIN_RULES("no-builtin-rules", Kind.BOOL, List.of("CETUSGUARD_NO_BUILTIN_RULES"), "false",
            "Do not load the built-in rules"),
    POLICY("policy", Kind.LIST, List.of("CETUSGUARD_POLICY"), "",
            "Container policy setting for clients no profile matches, e.g. deny-privileged; repeatable, or newline-separated"),
    PROFILES_FILE("profiles-file", Kind.STRING, List.of("CETUSGUARD_PROFILES_FILE"), "",
            "File of per-client profiles: rules and policy chosen by listener, source, certificate or uid"),
    RULES("rules", Kind.LIST, List.of("CETUSGUARD_RULES"), "",
            "Filter rules separated by new lines, can be specified multiple times"),
    RULES_FILE("rules-file", Kind.LIST, List.of("CETUSGUARD_RULES_FILE"), "",
            "Filter rules file, can be specified multiple times"),
    VERSION("version", Kind.BOOL, List.of(), "false", "Show version number and quit");

    /**
     * What an option's value is, and so how it is parsed (Go's rules, see {@link GoValues}) and
     * shown in the usage. A repeatable option ({@link #LIST}, {@link #ADDRESSES}) collects every
     * occurrence on the command line, while its environment variable holds one value; the others
     * keep the last occurrence.
     */
    public enum Kind {
        /** Any text; "" means none. */
        STRING(" string"),
        /** One of the option's choices, or "" (off). Anything else is an error, also from the environment. */
        CHOICE(" string"),
        /** {@code unix:///path} or {@code tcp://host:port}; "" means off when the default is "". Checked by {@link Options#validate()}. */
        ADDRESS(" string"),
        /** Repeatable text. */
        LIST(" value"),
        /** Repeatable address. */
        ADDRESSES(" value"),
        /** Go's ParseBool spellings; a bare {@code -name} is true. */
        BOOL(""),
        /** A syslog level: a number outside 0..7 is taken as the nearest end, as the Go original does. */
        LEVEL(" int"),
        /** A number of at least 1. */
        COUNT(" int"),
        /** -h, -help: print the usage. */
        HELP("");

        final String usageType;

        Kind(String usageType) {
            this.usageType = usageType;
        }

        boolean repeatable() {
            return this == LIST || this == ADDRESSES;
        }
    }

    private final String flag;
    private final Kind kind;
    private final List<String> env;
    private final String defaultValue;
    private final String usage;
    private final List<String> choices;

    Option(String flag, Kind kind, List<String> env, String defaultValue, String usage, String... choices) {
        this.flag = flag;
        this.kind = kind;
        this.env = env;
        this.defaultValue = defaultValue;
        this.usage = usage;
        this.choices = List.of(choices);
    }

    /** The name on the command line, without dashes. */
    public String flag() {
        return flag;
    }

    public Kind kind() {
        return kind;
    }

    /** The environment variables it falls back to, in order: the first one set wins, even when empty. */
    public List<String> env() {
        return env;
    }

    /** The default as text ("" for none; for a repeatable option, its one default value). */
    String defaultValue() {
        return defaultValue;
    }

    List<String> choices() {
        return choices;
    }

    /** The option's lines in Go's usage format (flag.PrintDefaults): the variables and a non-zero default added. */
    String usageLines() {
        StringBuilder b = new StringBuilder("  -").append(flag).append(kind.usageType).append("\n    \t").append(usage);
        if (!env.isEmpty()) {
            b.append(" (env ").append(String.join(", ", env)).append(')');
        }
        String shown = switch (kind) {
            case STRING, CHOICE, ADDRESS -> defaultValue.isEmpty() ? null : "\"" + defaultValue + "\"";
            case LIST, ADDRESSES -> defaultValue.isEmpty() ? null : "[\"" + defaultValue + "\"]";
            case LEVEL, COUNT -> defaultValue;
            case BOOL, HELP -> defaultValue.equals("true") ? "true" : null;
        };
        if (shown != null) {
            b.append(" (default ").append(shown).append(')');
        }
        return b.append('\n').toString();
    }

    /** The option named {@code flag} on the command line ({@code h} is {@code help}), or null. */
    static Option named(String flag) {
        String canonical = flag.equals("h") ? HELP.flag : flag;
        for (Option option : values()) {
            if (option.flag.equals(canonical)) {
                return option;
            }
        }
        return null;
    }
}
