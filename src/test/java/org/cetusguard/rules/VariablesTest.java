package org.cetusguard.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class VariablesTest {
    private static final String HEX64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static final List<String> DOCKER_ENDPOINTS = List.of("AUTH", "BUILD", "COMMIT", "CONFIGS", "CONTAINERS", "DEBUG",
            "DISTRIBUTION", "EVENTS", "EXEC", "GRPC", "IMAGES", "INFO", "NETWORKS", "NODES", "PLUGINS", "SECRETS", "SERVICES",
            "SESSION", "SWARM", "SYSTEM", "TASKS", "VERSION", "VOLUMES");
    private static final List<String> LIBPOD_ENDPOINTS = List.of("BUILD", "COMMIT", "CONTAINERS", "EVENTS", "EXEC", "GENERATE",
            "IMAGES", "INFO", "MANIFESTS", "NETWORKS", "PLAY", "PODS", "SECRETS", "SYSTEM", "VERSION", "VOLUMES");

    private static Pattern compiled(String variable) {
        return Pattern.compile("^(?:" + Variables.expand("%" + variable + "%") + ")$");
    }

    private static void accepts(String variable, String... values) {
        Pattern p = compiled(variable);
        for (String v : values) {
            assertTrue(p.matches(v), variable + " should match " + v);
        }
    }

    private static void rejects(String variable, String... values) {
        Pattern p = compiled(variable);
        for (String v : values) {
            assertFalse(p.matches(v), variable + " should not match " + v);
        }
    }

    @Test
    void tableHasExactlyTheSpecNames() {
        Set<String> expected = new TreeSet<>(List.of("DOMAIN", "IPV4", "IPV6", "IP", "DOMAIN_OR_IP", "HOST",
                "IMAGE_ID", "IMAGE_COMPONENT", "IMAGE_TAG", "IMAGE_DIGEST", "IMAGE_NAME", "IMAGE_REFERENCE", "IMAGE_ID_OR_REFERENCE",
                "CONTAINER_ID", "CONTAINER_NAME", "CONTAINER_ID_OR_NAME", "VOLUME_ID", "VOLUME_NAME", "VOLUME_ID_OR_NAME",
                "NETWORK_ID", "NETWORK_NAME", "NETWORK_ID_OR_NAME", "PLUGIN_ID", "PLUGIN_NAME", "PLUGIN_ID_OR_NAME",
                "API_PREFIX", "API_PREFIX_PING", "API_PREFIX_LIBPOD", "API_PREFIX_LIBPOD_PING",
                "_API_VERSION", "_OBJECT_ID", "_OBJECT_NAME"));
        DOCKER_ENDPOINTS.forEach(e -> expected.add("API_PREFIX_" + e));
        LIBPOD_ENDPOINTS.forEach(e -> expected.add("API_PREFIX_LIBPOD_" + e));
        assertEquals(expected, new TreeSet<>(Variables.table().keySet()));
    }

    @Test
    void everyVariableExpandsFullyAndCompiles() {
        for (String name : Variables.table().keySet()) {
            String expanded = Variables.expand("%" + name + "%");
            assertTrue(Variables.unknownVariables(expanded).isEmpty(), name);
            for (String other : Variables.table().keySet()) {
                assertFalse(expanded.contains("%" + other + "%"), name + " still contains %" + other + "%");
            }
            Pattern.compile(expanded);
        }
    }

    @Test
    void verbatimValues() {
        assertEquals("(?:[a-fA-F0-9]+)", Variables.expand("%CONTAINER_ID%"));
        assertEquals("(?:(?:/v[0-9]+(?:\\.[0-9]+)*)?/containers)", "(?:" + Variables.expand("%API_PREFIX_CONTAINERS%") + ")");
        assertEquals("(?:/v[0-9]+(?:\\.[0-9]+)*)/libpod/_ping", Variables.expand("%API_PREFIX_LIBPOD_PING%"));
        assertEquals("(?:[^/]+)", Variables.expand("%NETWORK_NAME%"));
    }

    @Test
    void hostParts() {
        accepts("DOMAIN", "example.com", "a", "my-host.local", "xn--bcher-kva.example");
        rejects("DOMAIN", "-bad.com", "bad-.com", "a..b", "a_b", "", "a.");
        accepts("IPV4", "192.168.1.1", "0.0.0.0");
        rejects("IPV4", "1.2.3", "1.2.3.4.5", "1234.1.1.1", "a.b.c.d");
        accepts("IPV6", "[::1]", "[2001:db8::1]", "[fe80::1%eth0]", "[fe80::1%25]");
        rejects("IPV6", "::1", "[::1%]", "[g::1]", "[::1", "[1]");
        accepts("IP", "10.0.0.1", "[::1]");
        rejects("IP", "example.com", "::1");
        accepts("DOMAIN_OR_IP", "example.com", "10.0.0.1", "[::1]");
        rejects("DOMAIN_OR_IP", "exa mple", "host:1", "");
        accepts("HOST", "registry.example.com:5000", "localhost", "[::1]:5000", "1.2.3.4", "[fe80::1%eth0]:443");
        rejects("HOST", "host:", "host:port", "user@host", "host/x");
    }

    @Test
    void images() {
        accepts("IMAGE_ID", "abc123", "ABCDEF");
        rejects("IMAGE_ID", "sha256:abc", "xyz", "");
        accepts("IMAGE_COMPONENT", "nginx", "my_image", "a__b", "a-b", "a---b", "a.b");
        rejects("IMAGE_COMPONENT", "a___b", "_a", "a.", "a..b", "a/b", "A:b");
        accepts("IMAGE_TAG", "latest", "_x", "v1.2-3", "x".repeat(128));
        rejects("IMAGE_TAG", ".x", "-x", "x".repeat(129), "a:b", "");
        accepts("IMAGE_DIGEST", "sha256:" + HEX64, "sha256+b64:" + HEX64.substring(0, 32));
        rejects("IMAGE_DIGEST", "sha256:abc", "256:" + HEX64, "sha256:" + HEX64.replace('a', 'g'));
        accepts("IMAGE_NAME", "nginx", "library/nginx", "localhost:5000/foo/bar", "[::1]:5000/x", "ghcr.io/org/app");
        rejects("IMAGE_NAME", "/nginx", "nginx:latest", "foo//bar", "nginx/");
        accepts("IMAGE_REFERENCE", "nginx", "nginx:1.25", "nginx@sha256:" + HEX64,
                "registry.example.com:5000/team/app:v1@sha256:" + HEX64, "[::1]:5000/app:latest");
        rejects("IMAGE_REFERENCE", "nginx:", "nginx@sha256:xyz", "nginx:a:b", "nginx@", "registry:5000/");
        accepts("IMAGE_ID_OR_REFERENCE", "0123abc", "nginx:1");
        rejects("IMAGE_ID_OR_REFERENCE", "nginx:", "");
    }

    @Test
    void objects() {
        for (String kind : List.of("CONTAINER", "VOLUME", "NETWORK", "PLUGIN")) {
            accepts(kind + "_ID", "0123abcdef");
            rejects(kind + "_ID", "xyz", "", "ab/cd");
        }
        for (String kind : List.of("CONTAINER", "VOLUME")) {
            accepts(kind + "_NAME", "my_container", "a1", "web-1.x");
            rejects(kind + "_NAME", "a", "_x", "-x", "a/b", "a b");
            accepts(kind + "_ID_OR_NAME", "0123abcd", "web-1", "f");
            rejects(kind + "_ID_OR_NAME", "x", "a/b", "", "..");
        }
        accepts("NETWORK_NAME", "my net", "x", "bridge", "ü");
        rejects("NETWORK_NAME", "a/b", "");
        accepts("NETWORK_ID_OR_NAME", "abc", "my net");
        rejects("NETWORK_ID_OR_NAME", "a/b", "");
        accepts("PLUGIN_NAME", "vieux/sshfs", "localhost:5000/p");
        rejects("PLUGIN_NAME", "vieux/sshfs:latest", "/p");
        accepts("PLUGIN_ID_OR_NAME", "abc", "vieux/sshfs");
        rejects("PLUGIN_ID_OR_NAME", "vieux/sshfs:latest", "");
        accepts("_OBJECT_ID", "abc");
        rejects("_OBJECT_ID", "abg");
        accepts("_OBJECT_NAME", "ab");
        rejects("_OBJECT_NAME", "a");
    }

    @Test
    void apiPrefixes() {
        accepts("_API_VERSION", "/v1", "/v1.41", "/v4.0.0");
        rejects("_API_VERSION", "", "/1.41", "/v", "/v1.", "/v1.41/");
        accepts("API_PREFIX", "", "/v1.41");
        rejects("API_PREFIX", "/v", "/x", "/");
        for (String e : DOCKER_ENDPOINTS) {
            String path = "/" + e.toLowerCase();
            accepts("API_PREFIX_" + e, path, "/v1.41" + path, "/v1" + path);
            rejects("API_PREFIX_" + e, path + "/x", "/V1.41" + path, "/v1.41" + path.toUpperCase(), "/v1.41/libpod" + path, path + "s");
        }
        accepts("API_PREFIX_PING", "/_ping", "/v1.41/_ping");
        rejects("API_PREFIX_PING", "/ping", "/v1.41/_ping/");
        accepts("API_PREFIX_LIBPOD", "/v4.0.0/libpod", "/v5/libpod");
        rejects("API_PREFIX_LIBPOD", "/libpod", "/v4.0.0/libpod/", "/v4/Libpod");
        for (String e : LIBPOD_ENDPOINTS) {
            String path = "/" + e.toLowerCase();
            accepts("API_PREFIX_LIBPOD_" + e, "/v4.0.0/libpod" + path);
            rejects("API_PREFIX_LIBPOD_" + e, "/libpod" + path, "/v4.0.0" + path, path, "/v4.0.0/libpod" + path + "/x");
        }
        accepts("API_PREFIX_LIBPOD_PING", "/v4.0.0/libpod/_ping");
        rejects("API_PREFIX_LIBPOD_PING", "/libpod/_ping", "/_ping");
    }

    @Test
    void unknownTokensStayLiteralAndAreReported() {
        assertEquals("/a/%FOO%/b", Variables.expand("/a/%FOO%/b"));
        assertEquals(Set.of("FOO"), Variables.unknownVariables("/a/%FOO%/b"));
        // The closing '%' of an unknown token can open a known one, as with Go's plain replacement.
        assertEquals("%foo(?:[a-fA-F0-9]+)", Variables.expand("%foo%_OBJECT_ID%"));
        assertEquals(Set.of("foo"), Variables.unknownVariables("%foo%_OBJECT_ID%"));
        assertEquals(Set.of("container_id"), Variables.unknownVariables("%container_id%"));
        assertTrue(Variables.unknownVariables("/100% sure/%IPV4%/50%").isEmpty());
        assertEquals("100%", Variables.expand("100%"));
    }

    @Test
    void replacementTextIsNotRescanned() {
        // IPV6 contains a literal '%'; it must not combine with the user's text into a token.
        String expanded = Variables.expand("%IPV6%IPV4%");
        assertEquals(Variables.expand("%IPV6%") + "IPV4%", expanded);
    }

    @Test
    void cyclesAreRejected() {
        Map<String, String> table = new LinkedHashMap<>();
        table.put("A", "x%B%");
        table.put("B", "%A%y");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Variables.expandAll(table));
        assertTrue(e.getMessage().contains("refers to itself"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Variables.expandAll(Map.of("SELF", "%SELF%")));
    }

    @Test
    void exponentialGrowthIsBounded() {
        Map<String, String> table = new LinkedHashMap<>();
        table.put("V0", "abcdefgh");
        for (int i = 1; i <= 40; i++) {
            table.put("V" + i, "%V" + (i - 1) + "%%V" + (i - 1) + "%");
        }
        assertThrows(IllegalArgumentException.class, () -> Variables.expandAll(table));
        table.remove("V40");
        for (int i = 39; i > 14; i--) {
            table.remove("V" + i);
        }
        assertEquals(8 << 14, Variables.expandAll(table).get("V14").length());
    }

    @Test
    void userPatternGrowthIsBounded() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            parts.add("%IMAGE_REFERENCE%");
        }
        String pattern = String.join("/", parts);
        assertThrows(IllegalArgumentException.class, () -> Variables.expand(pattern));
        Variables.expand(String.join("/", parts.subList(0, 10)));
    }
}
