package org.cetusguard.rules;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes {@link RuleParser#parse} with rule text as it may come from an environment variable or a
 * file: only RuleException may come out of it. What it parses is then matched against fixed paths and
 * against every line of the input: matching (RE2, linear time) must never throw.
 *
 * <p>`mvn verify` replays the seeds in src/test/resources/org/cetusguard/rules/RuleParserFuzzTestInputs
 * (each seed is plain rule text); {@code JAZZER_FUZZ=1 mvn test -Dtest=RuleParserFuzzTest} fuzzes.
 */
class RuleParserFuzzTest {
    private static final List<String> PATHS = List.of("/", "/_ping", "/v1.41/containers/json",
            "/v1.41/containers/abc/exec", "/v1.41/images/registry.example:5000/a/b:tag/json", "/v1.41/libpod/_ping");

    @FuzzTest(maxDuration = "60s")
    void parse(FuzzedDataProvider data) {
        String text = data.consumeRemainingAsString();
        List<Rule> rules;
        try {
            rules = RuleParser.parse(text, "fuzz");
        } catch (RuleException expected) {
            return;
        }
        List<String> paths = new ArrayList<>(PATHS);
        paths.addAll(List.of(text.split("\n", 20)));
        for (Rule rule : rules) {
            for (String method : rule.methods()) {
                for (String path : paths) {
                    rule.matches(method, path);
                }
            }
            rule.toString();
        }
    }
}
