package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.cetusguard.json.JsonTrees;
import org.junit.jupiter.api.Test;

/**
 * Property: whatever environment a container has, no value of it survives redact-env, in any
 * spelling. Each case plants a generated environment (names and values of random characters:
 * quotes, backslashes, '=', blanks, control characters, non-ASCII, surrogate pairs, empty values,
 * entries without '=') into the recorded container inspect answer, written with random JSON
 * escaping (\\u escapes for any character, as another encoder might write them), redacts it, and
 * checks: the answer is valid JSON; every entry is {@code NAME=} and the marker, or kept whole for a
 * name given to show-env; no value appears in the answer's decoded strings nor in its bytes. Seeded,
 * so a failure is reproducible from the printed seed.
 */
class RedactionPropertyTest {
    private static final int CASES = 3000;
    private static final String ALPHABET = "abcXYZ019_=-. \"\\'/<>&\t\n\u0001\u007f\u00e9\u00df\u2028\u79d8\uD83D\uDD11";

    @Test
    void noGeneratedValueSurvives() throws Exception {
        String template = new String(AnswerRewriteTest.answer("container-inspect.json"), StandardCharsets.UTF_8);
        int envStart = template.indexOf("\"Env\":[");
        int envEnd = template.indexOf(']', envStart);
        for (int seed = 0; seed < CASES; seed++) {
            Random random = new Random(seed);
            List<String> names = new ArrayList<>();
            List<String> values = new ArrayList<>();
            int n = random.nextInt(12);
            for (int i = 0; i < n; i++) {
                names.add("V" + i + text(random, random.nextInt(4)).replace("=", ""));
                values.add(random.nextInt(8) == 0 ? null : "S" + seed + "x" + i + text(random, random.nextInt(40)));
            }
            Set<String> shown = new LinkedHashSet<>();
            if (n > 0 && random.nextBoolean()) {
                String name = names.get(random.nextInt(n));
                if (name.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '=')) {
                    shown.add(name); // a name show-env can be given
                }
            }
            StringBuilder env = new StringBuilder("\"Env\":[");
            for (int i = 0; i < n; i++) {
                String entry = values.get(i) == null ? names.get(i) : names.get(i) + "=" + values.get(i);
                env.append(i > 0 ? "," : "").append(json(entry, random));
            }
            String answer = template.substring(0, envStart) + env + template.substring(envEnd);
            List<String> directives = new ArrayList<>(List.of("redact-env"));
            shown.forEach(name -> directives.add("show-env " + name));
            AnswerRewrite rewrite = ContainerPolicy.of(directives.toArray(new String[0])).answer("GET", "/v1.41/containers/x/json");
            byte[] out;
            try {
                out = rewrite.rewrite(answer.getBytes(StandardCharsets.UTF_8));
            } catch (AnswerRewrite.Unreadable e) {
                throw new AssertionError("seed " + seed + ": " + e.getMessage() + " in " + answer, e);
            }
            Object tree = JsonTrees.tree(out);
            @SuppressWarnings("unchecked")
            List<Object> got = (List<Object>) ((Map<String, Object>) ((Map<String, Object>) tree).get("Config")).get("Env");
            assertEquals(n, got.size(), "seed " + seed);
            String raw = new String(out, StandardCharsets.UTF_8);
            List<String> decoded = AnswerRewriteTest.strings(tree);
            for (int i = 0; i < n; i++) {
                String name = names.get(i);
                String value = values.get(i);
                if (value == null) {
                    assertEquals(name, got.get(i), "seed " + seed);
                    continue;
                }
                if (shown.contains(name)) {
                    assertEquals(name + "=" + value, got.get(i), "seed " + seed + ": show-env keeps " + name);
                    continue;
                }
                assertEquals(name + "=" + Secrets.MARKER, got.get(i), "seed " + seed);
                String secret = value;
                assertFalse(decoded.stream().anyMatch(s -> s.contains(secret)), "seed " + seed + ": " + secret + " survived");
                assertFalse(raw.contains(secret.substring(0, Math.min(secret.length(), 8))) && secret.length() >= 8
                        && raw.contains(secret), "seed " + seed);
            }
            assertTrue(raw.contains("\"Hostname\""), "the rest of the answer is there");
        }
    }

    private static String text(Random random, int length) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int at = random.nextInt(ALPHABET.length());
            char c = ALPHABET.charAt(at);
            if (Character.isHighSurrogate(c)) {
                out.append(c).append(ALPHABET.charAt(at + 1));
            } else if (!Character.isLowSurrogate(c)) {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A JSON string literal, each character written raw or as a \\u escape at random (controls always escaped). */
    private static String json(String s, Random random) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                // A pair is written whole: both halves raw, or both escaped.
                char low = s.charAt(++i);
                out.append(random.nextBoolean() ? "" + c + low : String.format("\\u%04x\\u%04x", (int) c, (int) low));
                continue;
            }
            boolean mustEscape = c < 0x20 || c == '"' || c == '\\';
            if (mustEscape || random.nextInt(5) == 0) {
                if (c == '"' && random.nextBoolean()) {
                    out.append("\\\"");
                } else if (c == '\\' && random.nextBoolean()) {
                    out.append("\\\\");
                } else {
                    out.append(String.format("\\u%04x", (int) c));
                }
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
