package org.cetusguard.config;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The resolved configuration (command line over environment over defaults), as typed values, with
 * where each came from so that an error can name it: {@code "-frontend-addr #2"},
 * {@code "CETUSGUARD_RULES"}, {@code "DOCKER_HOST"} or {@code "default"}. Immutable.
 *
 * <p>The named accessors are for the options the code reads; any option can also be read through
 * {@link #string}, {@link #list}, {@link #bool} and {@link #integer}, so a new option needs only
 * its line in {@link Option}. TLS paths and the other off-by-default texts are "" when not set (as
 * in the Go original, where "" means none).
 */
public final class Options {
    /** Where a value came from when neither the command line nor the environment set it. */
    public static final String DEFAULT_ORIGIN = "default";

    private final Map<Option, Object> values;
    private final Map<Option, List<String>> origins;

    /** @param origins for each option, where its value came from; for a repeatable one, one origin per element */
    Options(Map<Option, Object> values, Map<Option, List<String>> origins) {
        this.values = new EnumMap<>(values);
        this.origins = new EnumMap<>(Option.class);
        origins.forEach((option, list) -> this.origins.put(option, List.copyOf(list)));
        for (Option option : Option.values()) {
            if (!values.containsKey(option) || !origins.containsKey(option)) {
                throw new IllegalArgumentException("no value for -" + option.flag());
            }
        }
    }

    public String string(Option option) {
        return (String) values.get(option);
    }

    /** An immutable list (repeatable options). */
    @SuppressWarnings("unchecked")
    public List<String> list(Option option) {
        return (List<String>) values.get(option);
    }

    public boolean bool(Option option) {
        return (Boolean) values.get(option);
    }

    public int integer(Option option) {
        return (Integer) values.get(option);
    }

    /** Where the (first) value of {@code option} came from, e.g. "-backend-addr", "DOCKER_HOST", "-rules #1" or "default". */
    public String origin(Option option) {
        List<String> list = origins.get(option);
        return list.isEmpty() ? DEFAULT_ORIGIN : list.get(0);
    }

    /** Where each value of a repeatable option came from, in order ("-rules #1", "-rules #2", or its variable); as many as values. */
    public List<String> origins(Option option) {
        return origins.get(option);
    }

    /**
     * Parses every address option, so that a bad one stops startup with an error naming where it came
     * from ({@code DOCKER_HOST: invalid address "": ...}). Not part of parsing: like the Go original,
     * -version and -help work whatever the addresses are, and the tools that need no address ignore them.
     */
    public void validate() throws ConfigException {
        for (Option option : Option.values()) {
            if (option.kind() == Option.Kind.ADDRESS || option.kind() == Option.Kind.ADDRESSES) {
                addresses(option);
            }
        }
    }

    /** The addresses an address option holds (none for an optional one that is off), each checked. */
    public List<Address> addresses(Option option) throws ConfigException {
        List<String> texts = option.kind() == Option.Kind.ADDRESSES ? list(option) : List.of(string(option));
        List<Address> addresses = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text.isEmpty() && option.defaultValue().isEmpty()) {
                continue; // an optional listener, off
            }
            try {
                addresses.add(Address.parse(text));
            } catch (ConfigException e) {
                throw new ConfigException(origins(option).get(i) + ": " + e.getMessage(), e);
            }
        }
        return addresses;
    }

    public String backendAddr() {
        return string(Option.BACKEND_ADDR);
    }

    public String backendTlsCacert() {
        return string(Option.BACKEND_TLS_CACERT);
    }

    public String backendTlsCert() {
        return string(Option.BACKEND_TLS_CERT);
    }

    public String backendTlsKey() {
        return string(Option.BACKEND_TLS_KEY);
    }

    public List<String> frontendAddrs() {
        return list(Option.FRONTEND_ADDR);
    }

    public String frontendTlsCacert() {
        return string(Option.FRONTEND_TLS_CACERT);
    }

    public String frontendTlsCert() {
        return string(Option.FRONTEND_TLS_CERT);
    }

    public String frontendTlsKey() {
        return string(Option.FRONTEND_TLS_KEY);
    }

    /** Syslog level, always within 0..7. */
    public int logLevel() {
        return integer(Option.LOG_LEVEL);
    }

    public boolean noBuiltinRules() {
        return bool(Option.NO_BUILTIN_RULES);
    }

    public List<String> rules() {
        return list(Option.RULES);
    }

    public List<String> rulesFiles() {
        return list(Option.RULES_FILE);
    }

    /** "" (off), "logfmt" or "json": one line per request on stdout. */
    public String auditLog() {
        return string(Option.AUDIT_LOG);
    }

    /** Learning mode: forward what the rules would deny, and log it. */
    public boolean auditOnly() {
        return bool(Option.AUDIT_ONLY);
    }

    /** "" (off) or the address of the Prometheus listener. */
    public String metricsAddr() {
        return string(Option.METRICS_ADDR);
    }

    /** "" (off) or a file of per-client profiles. */
    public String profilesFile() {
        return string(Option.PROFILES_FILE);
    }

    /** Container-policy settings of the default profile, one per entry (newline-separated texts allowed). */
    public List<String> policy() {
        return list(Option.POLICY);
    }

    /** -version was given: print the version and exit. */
    public boolean version() {
        return bool(Option.VERSION);
    }

    /** -h/-help was given: print the usage and exit. */
    public boolean help() {
        return bool(Option.HELP);
    }

    /** Client connections served at once over all frontends, always at least 1. */
    public int maxConnections() {
        return integer(Option.MAX_CONNECTIONS);
    }
}
