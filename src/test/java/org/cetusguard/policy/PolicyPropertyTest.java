package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.cetusguard.json.JsonException;
import org.cetusguard.json.JsonTrees;
import org.junit.jupiter.api.Test;

/**
 * Property: whatever the policy lets through (the original bytes on ALLOW, the new bytes on
 * REWRITE) is judged ALLOW when checked again, and really satisfies the policy according to a
 * small independent oracle. Bodies are the captured docker CLI bodies with random mutations:
 * dangerous and harmless values in security fields, keys respelled the ways Go still matches,
 * case-duplicated keys, wrong types, removed keys, random labels, random whitespace. Seeded,
 * so a failure is reproducible from the printed seed.
 */
class PolicyPropertyTest {
    private static final int CASES = 4000;

    private enum Kind { ALLOW, REWRITE, DENY, BAD }

    private static final ContainerPolicy STRICT = ContainerPolicyTest.policy("deny-privileged", "deny-host-namespaces", "allow-cap NET_ADMIN",
            "deny-devices", "deny-unsafe-security-opts", "allow-bind /srv/data", "deny-sysctls", "deny-cgroup-parent",
            "allow-image busybox|nginx:1\\.27", "force-label owner=ops");
    private static final ContainerPolicy CHECKS_ONLY = ContainerPolicyTest.policy("deny-privileged", "allow-bind /srv/data", "restrict-caps");
    private static final ContainerPolicy LABELS_ONLY = ContainerPolicyTest.policy("force-label owner=ops", "force-label tier=mgmt");

    private static final List<String> BASES = List.of("create-plain.json", "create-many-flags.json", "run-privileged-bind-root.json",
            "create-volume-opt-bind-and-bind.json", "create-systempaths-nnp-label.json", "create-container-namespaces.json");

    private static final List<String> HOST_FIELDS = List.of("Privileged", "Binds", "Mounts", "CapAdd", "NetworkMode", "PidMode", "Devices",
            "SecurityOpt", "Sysctls", "CgroupParent", "VolumesFrom", "MaskedPaths", "IpcMode");

    private static final List<String> VALUES = List.of("true", "false", "null", "\"host\"", "\"container:x\"", "\"\"", "\"default\"", "[]", "{}",
            "[\"/:/h\"]", "[\"/srv/data/a:/a:ro\"]", "[\"/srv/data/../../etc:/e\"]", "[\"named:/n\"]", "[\"CAP_SYS_ADMIN\"]", "[\"net_admin\"]",
            "[\"ALL\"]", "{\"net.ipv4.ip_forward\":\"1\"}", "[{\"Type\":\"bind\",\"Source\":\"/etc\",\"Target\":\"/x\"}]",
            "[{\"Type\":\"bind\",\"Source\":\"/srv/data/x\",\"Target\":\"/x\"}]", "[{\"Type\":\"tmpfs\",\"Target\":\"/t\"}]",
            "[\"seccomp=unconfined\"]", "[\"no-new-privileges\"]", "1", "\"/custom\"", "[{\"PathOnHost\":\"/dev/sda\"}]", "[\"x\",1]");

    @Test
    void forwardedBytesAlwaysPassAgain() throws JsonException {
        Map<Kind, Integer> seen = new EnumMap<>(Kind.class);
        for (int seed = 0; seed < CASES; seed++) {
            Random random = new Random(seed);
            byte[] body = mutatedBody(random);
            for (ContainerPolicy policy : List.of(STRICT, CHECKS_ONLY, LABELS_ONLY)) {
                try {
                    Kind kind = checkOne(policy, body);
                    seen.merge(kind, 1, Integer::sum);
                } catch (AssertionError | JsonException e) {
                    fail("seed " + seed + ", policy " + policy.describe() + ", body " + new String(body, StandardCharsets.UTF_8), e);
                }
            }
        }
        // The generator must reach every outcome, or the property proves little.
        for (Kind kind : Kind.values()) {
            assertTrue(seen.getOrDefault(kind, 0) > CASES / 50, () -> "too few " + kind + ": " + seen);
        }
    }

    @SuppressWarnings("unchecked")
    private static Kind checkOne(ContainerPolicy policy, byte[] body) throws JsonException {
        Verdict verdict = ContainerPolicyTest.check(policy, ContainerPolicyTest.CREATE, body);
        byte[] forwarded;
        Kind kind;
        if (verdict instanceof Verdict.Allow) {
            forwarded = body;
            kind = Kind.ALLOW;
        } else if (verdict instanceof Verdict.Rewrite) {
            forwarded = ((Verdict.Rewrite) verdict).body();
            kind = Kind.REWRITE;
        } else {
            assertTrue(verdict.status() == 403 || verdict.status() == 400, verdict::toString);
            assertNotEquals(500, verdict.status());
            return verdict instanceof Verdict.Deny ? Kind.DENY : Kind.BAD;
        }
        assertSame(Verdict.ALLOW, ContainerPolicyTest.check(policy, ContainerPolicyTest.CREATE, forwarded), "forwarded bytes re-checked");
        Map<String, Object> sent = (Map<String, Object>) JsonTrees.tree(forwarded);
        oracle(policy, sent);
        if (kind == Kind.REWRITE) {
            Map<String, Object> a = withoutRewrites((Map<String, Object>) JsonTrees.tree(body));
            Map<String, Object> b = withoutRewrites(sent);
            assertEquals(a, b, "a rewrite changes the labels and the cgroup namespace mode only");
        }
        return kind;
    }

    /** The body without what a rewrite may set: Labels, and a HostConfig's empty or private CgroupnsMode (or a HostConfig holding only that). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutRewrites(Map<String, Object> body) {
        Map<String, Object> copy = new LinkedHashMap<>(body);
        copy.remove(JsonTrees.keyOf(copy, "Labels"));
        String hostKey = JsonTrees.keyOf(copy, "HostConfig");
        if (hostKey != null && copy.get(hostKey) instanceof Map) {
            Map<String, Object> host = new LinkedHashMap<>((Map<String, Object>) copy.get(hostKey));
            String mode = JsonTrees.keyOf(host, "CgroupnsMode");
            if (mode != null && List.of("", "private", JsonTrees.NULL).contains(host.get(mode))) {
                host.remove(mode);
            }
            copy.put(hostKey, host);
            if (host.isEmpty()) {
                copy.remove(hostKey);
            }
        } else if (hostKey != null) {
            copy.remove(hostKey); // HostConfig: null
        }
        return copy;
    }

    /** Independent, deliberately simple re-statement of what the policies promise. */
    @SuppressWarnings("unchecked")
    private static void oracle(ContainerPolicy policy, Map<String, Object> sent) {
        List<String> settings = policy.describe();
        Object host = JsonTrees.field(sent, "HostConfig");
        Map<String, Object> hc = host instanceof Map ? (Map<String, Object>) host : Map.of();
        if (settings.contains("deny-privileged")) {
            assertNotEquals(Boolean.TRUE, JsonTrees.field(hc, "Privileged"), "privileged got through");
        }
        if (settings.contains("restrict-binds")) {
            Object binds = JsonTrees.field(hc, "Binds");
            if (binds instanceof List) {
                for (Object bind : (List<Object>) binds) {
                    String source = ((String) bind).split(":")[0];
                    if (source.startsWith("/")) {
                        String clean = java.nio.file.Path.of(source).normalize().toString();
                        assertEquals("/srv/data", clean, "bind got through: " + bind);
                    }
                }
            }
            Object mounts = JsonTrees.field(hc, "Mounts");
            if (mounts instanceof List) {
                for (Object mount : (List<Object>) mounts) {
                    Map<String, Object> m = (Map<String, Object>) mount;
                    if ("bind".equals(JsonTrees.field(m, "Type"))) {
                        assertEquals("/srv/data", java.nio.file.Path.of((String) JsonTrees.field(m, "Source")).normalize().toString(),
                                "bind mount got through: " + m);
                    }
                }
            }
        }
        if (settings.contains("restrict-caps")) {
            Object caps = JsonTrees.field(hc, "CapAdd");
            if (caps instanceof List) {
                for (Object cap : (List<Object>) caps) {
                    String name = DaemonSyntax.normaliseCapability((String) cap);
                    assertTrue(settings.contains("allow-cap " + name) || CapabilityCheck.DOCKER_DEFAULTS.contains(name), "capability got through: " + cap);
                }
            }
        }
        if (settings.contains("deny-host-namespaces")) {
            for (String field : List.of("NetworkMode", "PidMode", "IpcMode")) {
                Object mode = JsonTrees.field(hc, field);
                assertNotEquals("host", mode, field);
                assertTrue(!(mode instanceof String) || !((String) mode).startsWith("container:"), field);
            }
            assertEquals("private", JsonTrees.field(hc, "CgroupnsMode"), "every container gets a private cgroup namespace");
        }
        for (String setting : settings) {
            if (setting.startsWith("force-label ")) {
                String[] kv = setting.substring("force-label ".length()).split("=", 2);
                Map<String, Object> labels = (Map<String, Object>) JsonTrees.field(sent, "Labels");
                assertEquals(kv[1], labels.get(kv[0]), "forced label missing");
            }
        }
    }

    // ---------------------------------------------------------------- generator

    @SuppressWarnings("unchecked")
    private static byte[] mutatedBody(Random random) throws JsonException {
        byte[] base = ContainerPolicyTest.resource(BASES.get(random.nextInt(BASES.size())));
        Map<String, Object> root = (Map<String, Object>) JsonTrees.tree(base);
        Map<String, Object> host = (Map<String, Object>) root.get("HostConfig");
        int mutations = random.nextInt(5);
        boolean caseDuplicate = false;
        for (int i = 0; i < mutations; i++) {
            switch (random.nextInt(7)) {
                case 0:
                case 1:
                    host.put(HOST_FIELDS.get(random.nextInt(HOST_FIELDS.size())), value(random));
                    break;
                case 2: { // respell a key the way Go's decoder still matches it
                    String field = HOST_FIELDS.get(random.nextInt(HOST_FIELDS.size()));
                    String key = JsonTrees.keyOf(host, field);
                    if (key != null) {
                        Object v = host.remove(key);
                        host.put(respell(field, random), v);
                    }
                    break;
                }
                case 3:
                    caseDuplicate = true;
                    break;
                case 4:
                    host.remove(HOST_FIELDS.get(random.nextInt(HOST_FIELDS.size())));
                    break;
                case 5: {
                    Map<String, Object> labels = new LinkedHashMap<>();
                    labels.put(random.nextBoolean() ? "owner" : "team", random.nextBoolean() ? "ops" : "me");
                    root.put("Labels", random.nextInt(8) == 0 ? JsonTrees.NULL : labels);
                    break;
                }
                default:
                    root.put("Image", random.nextBoolean() ? "busybox" : random.nextBoolean() ? "nginx:1.27" : "alpine");
                    break;
            }
        }
        String text = random.nextBoolean() ? JsonTrees.write(root) : spaced(root);
        if (caseDuplicate) {
            // Text-level, since a map cannot hold both: e.g. ...,"privileged":true}
            text = text.replaceFirst("\"HostConfig\"\\s*:\\s*\\{", "\"HostConfig\":{\"privileged\":true,");
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Object value(Random random) throws JsonException {
        String literal = VALUES.get(random.nextInt(VALUES.size()));
        return JsonTrees.tree(literal);
    }

    /** Same field to Go: ASCII case changes, and 's'/'k'/'i' replaced by their Unicode folds. */
    private static String respell(String field, Random random) {
        StringBuilder out = new StringBuilder();
        for (char c : field.toCharArray()) {
            int choice = random.nextInt(4);
            if (c == 's' && choice == 0) {
                out.append('\u017F');
            } else if ((c == 'k' || c == 'K') && choice == 0) {
                out.append('\u212A');
            } else if (c == 'i' && choice == 0) {
                out.append('\u0131');
            } else if (choice == 1) {
                out.append(Character.toUpperCase(c));
            } else if (choice == 2) {
                out.append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Valid JSON with blanks and newlines around every token, so it is not canonical. */
    private static String spaced(Object value) {
        StringBuilder out = new StringBuilder();
        spaced(value, out);
        return out.append("\n").toString();
    }

    private static void spaced(Object value, StringBuilder out) {
        if (value instanceof Map) {
            out.append("{ ");
            List<String> parts = new ArrayList<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                StringBuilder part = new StringBuilder(JsonTrees.write(e.getKey())).append(" :\t");
                spaced(e.getValue(), part);
                parts.add(part.toString());
            }
            out.append(String.join(" ,\n ", parts)).append(" }");
        } else if (value instanceof List) {
            out.append("[ ");
            List<String> parts = new ArrayList<>();
            for (Object element : (List<?>) value) {
                StringBuilder part = new StringBuilder();
                spaced(element, part);
                parts.add(part.toString());
            }
            out.append(String.join(" , ", parts)).append(" ]");
        } else {
            out.append(JsonTrees.write(value));
        }
    }

    /** The parser reads back exactly what was written, escapes and all (the parsed form is the tape, so this is its oracle). */
    @Test
    void theParserReadsBackRandomDocuments() throws JsonException {
        for (int seed = 0; seed < 500; seed++) {
            Random random = new Random(seed);
            Object document = randomValue(random, 0);
            assertEquals(document, JsonTrees.tree(JsonTrees.write(document)), "seed " + seed);
            assertEquals(document, JsonTrees.tree(spaced(document)), "seed " + seed);
        }
    }

    private static Object randomValue(Random random, int depth) {
        int choice = depth > 4 ? 3 + random.nextInt(4) : random.nextInt(7);
        switch (choice) {
            case 0: {
                Map<String, Object> map = new LinkedHashMap<>();
                int size = random.nextInt(4);
                for (int i = 0; i < size; i++) {
                    map.put("k" + i + randomString(random), randomValue(random, depth + 1));
                }
                return map;
            }
            case 1: {
                List<Object> list = new ArrayList<>();
                int size = random.nextInt(4);
                for (int i = 0; i < size; i++) {
                    list.add(randomValue(random, depth + 1));
                }
                return list;
            }
            case 2:
            case 3:
                return randomString(random);
            case 4:
                return new JsonTrees.Num(List.of("0", "-1", "1.5e300", "123456789012345678901234567890", "-0.0E-0").get(random.nextInt(5)));
            case 5:
                return random.nextBoolean();
            default:
                return JsonTrees.NULL;
        }
    }

    private static String randomString(Random random) {
        String alphabet = "aZ09 \"\\/\b\f\n\r\t\u0000\u001f\u007f\u00e9\u2028\u20ac\uD83D\uDE00";
        StringBuilder out = new StringBuilder();
        int length = random.nextInt(6);
        for (int i = 0; i < length; i++) {
            int at = random.nextInt(alphabet.length());
            char c = alphabet.charAt(at);
            if (Character.isHighSurrogate(c)) {
                out.append(c).append(alphabet.charAt(at + 1));
            } else if (!Character.isLowSurrogate(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }
}
