package org.cetusguard.rules;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code %NAME%} variables usable in rule patterns, copied verbatim from the compatibility
 * contract (SPEC.md), which in turn matches the Go original. Operators' rule files depend on
 * these exact names and values, so they must not be "improved" here.
 */
public final class Variables {
    /**
     * Upper bound for an expanded pattern. User input can reference the big variables many times
     * (a 1 MiB rules file full of %IMAGE_REFERENCE% would otherwise expand to hundreds of MiB and
     * exhaust memory in the regex compiler).
     */
    static final int MAX_EXPANDED_LENGTH = 256 * 1024;

    private static final Map<String, String> RAW = rawTable();
    private static final Map<String, String> EXPANDED = expandAll(RAW);

    private Variables() {
    }

    private static Map<String, String> rawTable() {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("DOMAIN", "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*)");
        t.put("IPV4", "(?:[0-9]{1,3}(?:\\.[0-9]{1,3}){3})");
        t.put("IPV6", "(?:\\[[a-fA-F0-9]{0,4}(?::[a-fA-F0-9]{0,4}){2,7}(?:%[a-zA-Z0-9_]+)?\\])");
        t.put("IP", "(?:%IPV4%|%IPV6%)");
        t.put("DOMAIN_OR_IP", "(?:%DOMAIN%|%IP%)");
        t.put("HOST", "(?:%DOMAIN_OR_IP%(?::[0-9]+)?)");

        t.put("IMAGE_ID", "%_OBJECT_ID%");
        t.put("IMAGE_COMPONENT", "(?:[a-zA-Z0-9]+(?:(?:\\.|_{1,2}|-+)[a-zA-Z0-9]+)*)");
        t.put("IMAGE_TAG", "(?:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127})");
        t.put("IMAGE_DIGEST", "(?:[a-zA-Z][a-zA-Z0-9]*(?:[_.+-][a-zA-Z][a-zA-Z0-9]*)*:[a-fA-F0-9]{32,})");
        t.put("IMAGE_NAME", "(?:(?:%HOST%/)?%IMAGE_COMPONENT%(?:/%IMAGE_COMPONENT%)*)");
        t.put("IMAGE_REFERENCE", "(?:%IMAGE_NAME%(?::%IMAGE_TAG%)?(?:@%IMAGE_DIGEST%)?)");
        t.put("IMAGE_ID_OR_REFERENCE", "(?:%IMAGE_ID%|%IMAGE_REFERENCE%)");

        t.put("CONTAINER_ID", "%_OBJECT_ID%");
        t.put("CONTAINER_NAME", "%_OBJECT_NAME%");
        t.put("CONTAINER_ID_OR_NAME", "(?:%CONTAINER_ID%|%CONTAINER_NAME%)");

        t.put("VOLUME_ID", "%_OBJECT_ID%");
        t.put("VOLUME_NAME", "%_OBJECT_NAME%");
        t.put("VOLUME_ID_OR_NAME", "(?:%VOLUME_ID%|%VOLUME_NAME%)");

        t.put("NETWORK_ID", "%_OBJECT_ID%");
        t.put("NETWORK_NAME", "(?:[^/]+)");
        t.put("NETWORK_ID_OR_NAME", "(?:%NETWORK_ID%|%NETWORK_NAME%)");

        t.put("PLUGIN_ID", "%_OBJECT_ID%");
        t.put("PLUGIN_NAME", "%IMAGE_NAME%");
        t.put("PLUGIN_ID_OR_NAME", "(?:%PLUGIN_ID%|%PLUGIN_NAME%)");

        t.put("API_PREFIX", "%_API_VERSION%?");
        t.put("API_PREFIX_AUTH", "%API_PREFIX%/auth");
        t.put("API_PREFIX_BUILD", "%API_PREFIX%/build");
        t.put("API_PREFIX_COMMIT", "%API_PREFIX%/commit");
        t.put("API_PREFIX_CONFIGS", "%API_PREFIX%/configs");
        t.put("API_PREFIX_CONTAINERS", "%API_PREFIX%/containers");
        t.put("API_PREFIX_DEBUG", "%API_PREFIX%/debug");
        t.put("API_PREFIX_DISTRIBUTION", "%API_PREFIX%/distribution");
        t.put("API_PREFIX_EVENTS", "%API_PREFIX%/events");
        t.put("API_PREFIX_EXEC", "%API_PREFIX%/exec");
        t.put("API_PREFIX_GRPC", "%API_PREFIX%/grpc");
        t.put("API_PREFIX_IMAGES", "%API_PREFIX%/images");
        t.put("API_PREFIX_INFO", "%API_PREFIX%/info");
        t.put("API_PREFIX_NETWORKS", "%API_PREFIX%/networks");
        t.put("API_PREFIX_NODES", "%API_PREFIX%/nodes");
        t.put("API_PREFIX_PING", "%API_PREFIX%/_ping");
        t.put("API_PREFIX_PLUGINS", "%API_PREFIX%/plugins");
        t.put("API_PREFIX_SECRETS", "%API_PREFIX%/secrets");
        t.put("API_PREFIX_SERVICES", "%API_PREFIX%/services");
        t.put("API_PREFIX_SESSION", "%API_PREFIX%/session");
        t.put("API_PREFIX_SWARM", "%API_PREFIX%/swarm");
        t.put("API_PREFIX_SYSTEM", "%API_PREFIX%/system");
        t.put("API_PREFIX_TASKS", "%API_PREFIX%/tasks");
        t.put("API_PREFIX_VERSION", "%API_PREFIX%/version");
        t.put("API_PREFIX_VOLUMES", "%API_PREFIX%/volumes");

        // Podman's native API: unlike the Docker one, the version segment is mandatory.
        t.put("API_PREFIX_LIBPOD", "%_API_VERSION%/libpod");
        t.put("API_PREFIX_LIBPOD_BUILD", "%API_PREFIX_LIBPOD%/build");
        t.put("API_PREFIX_LIBPOD_COMMIT", "%API_PREFIX_LIBPOD%/commit");
        t.put("API_PREFIX_LIBPOD_CONTAINERS", "%API_PREFIX_LIBPOD%/containers");
        t.put("API_PREFIX_LIBPOD_EVENTS", "%API_PREFIX_LIBPOD%/events");
        t.put("API_PREFIX_LIBPOD_EXEC", "%API_PREFIX_LIBPOD%/exec");
        t.put("API_PREFIX_LIBPOD_GENERATE", "%API_PREFIX_LIBPOD%/generate");
        t.put("API_PREFIX_LIBPOD_IMAGES", "%API_PREFIX_LIBPOD%/images");
        t.put("API_PREFIX_LIBPOD_INFO", "%API_PREFIX_LIBPOD%/info");
        t.put("API_PREFIX_LIBPOD_MANIFESTS", "%API_PREFIX_LIBPOD%/manifests");
        t.put("API_PREFIX_LIBPOD_NETWORKS", "%API_PREFIX_LIBPOD%/networks");
        t.put("API_PREFIX_LIBPOD_PING", "%API_PREFIX_LIBPOD%/_ping");
        t.put("API_PREFIX_LIBPOD_PLAY", "%API_PREFIX_LIBPOD%/play");
        t.put("API_PREFIX_LIBPOD_PODS", "%API_PREFIX_LIBPOD%/pods");
        t.put("API_PREFIX_LIBPOD_SECRETS", "%API_PREFIX_LIBPOD%/secrets");
        t.put("API_PREFIX_LIBPOD_SYSTEM", "%API_PREFIX_LIBPOD%/system");
        t.put("API_PREFIX_LIBPOD_VERSION", "%API_PREFIX_LIBPOD%/version");
        t.put("API_PREFIX_LIBPOD_VOLUMES", "%API_PREFIX_LIBPOD%/volumes");

        // "Private" in the original (may change between versions), but usable in rules all the same.
        t.put("_API_VERSION", "(?:/v[0-9]+(?:\\.[0-9]+)*)");
        t.put("_OBJECT_ID", "(?:[a-fA-F0-9]+)");
        t.put("_OBJECT_NAME", "(?:[a-zA-Z0-9][a-zA-Z0-9_.-]+)");
        return Collections.unmodifiableMap(t);
    }

    /** The variable table as written (values not expanded), in a stable order. */
    public static Map<String, String> table() {
        return RAW;
    }

    /**
     * Replaces every known {@code %NAME%} in a user pattern by its fully expanded value. Unknown
     * tokens are left as they are, as the Go original does; see {@link #unknownVariables}.
     *
     * @throws IllegalArgumentException if the result would exceed {@link #MAX_EXPANDED_LENGTH}
     */
    public static String expand(String pattern) {
        return substitute(pattern, EXPANDED::get, null);
    }

    /** Names written as {@code %NAME%} in the pattern that are not variables (likely typos). */
    public static Set<String> unknownVariables(String pattern) {
        Set<String> unknown = new LinkedHashSet<>();
        substitute(pattern, EXPANDED::get, unknown);
        return Collections.unmodifiableSet(unknown);
    }

    /**
     * Expands every value of a table against the table itself. Package-private so that the
     * cycle and growth guards can be tested with a hostile table.
     *
     * @throws IllegalArgumentException on a reference cycle or an oversized value
     */
    static Map<String, String> expandAll(Map<String, String> raw) {
        Map<String, String> done = new HashMap<>();
        for (String name : raw.keySet()) {
            resolve(name, raw, done, new HashSet<>());
        }
        return Collections.unmodifiableMap(done);
    }

    private static String resolve(String name, Map<String, String> raw, Map<String, String> done, Set<String> inProgress) {
        String cached = done.get(name);
        if (cached != null) {
            return cached;
        }
        if (!inProgress.add(name)) {
            throw new IllegalArgumentException("variable %" + name + "% refers to itself");
        }
        String value = substitute(raw.get(name), ref -> raw.containsKey(ref) ? resolve(ref, raw, done, inProgress) : null, null);
        inProgress.remove(name);
        done.put(name, value);
        return value;
    }

    /**
     * Scans left to right. At each '%' that starts a {@code %NAME%} token with a known NAME the
     * token is replaced; otherwise only the '%' is copied and scanning resumes right after it, so
     * in {@code %foo%IPV4%} the second '%' can still open the {@code %IPV4%} token (as Go's
     * plain string replacement would find it). Replacement text is never rescanned.
     */
    private static String substitute(String text, Function<String, String> lookup, Set<String> unknownOut) {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int end = c == '%' ? tokenEnd(text, i) : -1;
            if (end < 0) {
                out.append(c);
                i++;
                continue;
            }
            String name = text.substring(i + 1, end);
            String value = lookup.apply(name);
            if (value == null) {
                if (unknownOut != null) {
                    unknownOut.add(name);
                }
                out.append(c);
                i++;
                continue;
            }
            if (out.length() + value.length() > MAX_EXPANDED_LENGTH) {
                throw new IllegalArgumentException("pattern is longer than " + MAX_EXPANDED_LENGTH + " characters once variables are expanded");
            }
            out.append(value);
            i = end + 1;
        }
        if (out.length() > MAX_EXPANDED_LENGTH) {
            throw new IllegalArgumentException("pattern is longer than " + MAX_EXPANDED_LENGTH + " characters once variables are expanded");
        }
        return out.toString();
    }

    /** Index of the closing '%' of a name-shaped token starting at {@code start}, or -1. */
    private static int tokenEnd(String text, int start) {
        int i = start + 1;
        if (i >= text.length() || !isNameStart(text.charAt(i))) {
            return -1;
        }
        while (i < text.length() && isNamePart(text.charAt(i))) {
            i++;
        }
        return i < text.length() && text.charAt(i) == '%' ? i : -1;
    }

    private static boolean isNameStart(char c) {
        return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static boolean isNamePart(char c) {
        return isNameStart(c) || (c >= '0' && c <= '9');
    }
}
