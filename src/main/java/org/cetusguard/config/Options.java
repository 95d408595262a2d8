package org.cetusguard.config;

import java.util.List;
import java.util.Objects;

/**
 * The resolved configuration: command line over environment over defaults. TLS paths are ""
 * when not configured (as in the Go original, where "" means none). Lists are immutable.
 *
 * @param logLevel syslog level, always within 0..7
 * @param auditLog "" (off), "logfmt" or "json": one line per request on stdout
 * @param auditOnly learning mode: forward what the rules would deny, and log it
 * @param metricsAddr "" (off) or the address of the Prometheus listener
 * @param profilesFile "" (off) or a file of per-client profiles
 * @param policy container-policy settings of the default profile, one per entry (newline-separated texts allowed)
 * @param version -version was given: print the version and exit
 * @param help -h/-help was given: print the usage and exit
 * @param maxConnections client connections served at once over all frontends, always at least 1
 */
public record Options(
        String backendAddr,
        String backendTlsCacert,
        String backendTlsCert,
        String backendTlsKey,
        List<String> frontendAddrs,
        String frontendTlsCacert,
        String frontendTlsCert,
        String frontendTlsKey,
        int logLevel,
        boolean noBuiltinRules,
        List<String> rules,
        List<String> rulesFiles,
        String auditLog,
        boolean auditOnly,
        String metricsAddr,
        String profilesFile,
        List<String> policy,
        boolean version,
        boolean help,
        int maxConnections) {

    public static final int MIN_LOG_LEVEL = 0;
    public static final int MAX_LOG_LEVEL = 7;
    /** Far above what the tools this proxy fronts open, far below what exhausts a small container's memory. */
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;

    public Options {
        Objects.requireNonNull(backendAddr, "backendAddr");
        backendTlsCacert = orEmpty(backendTlsCacert);
        backendTlsCert = orEmpty(backendTlsCert);
        backendTlsKey = orEmpty(backendTlsKey);
        frontendTlsCacert = orEmpty(frontendTlsCacert);
        frontendTlsCert = orEmpty(frontendTlsCert);
        frontendTlsKey = orEmpty(frontendTlsKey);
        frontendAddrs = List.copyOf(frontendAddrs);
        rules = List.copyOf(rules);
        rulesFiles = List.copyOf(rulesFiles);
        auditLog = orEmpty(auditLog);
        metricsAddr = orEmpty(metricsAddr);
        profilesFile = orEmpty(profilesFile);
        policy = List.copyOf(policy);
        logLevel = clampLogLevel(logLevel);
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
        }
    }

    /** The original clamps rather than rejects (e.g. -log-level=99 means debug). */
    static int clampLogLevel(long level) {
        return (int) Math.max(MIN_LOG_LEVEL, Math.min(MAX_LOG_LEVEL, level));
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
