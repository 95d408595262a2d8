package org.cetusguard.rules;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The loaded rules, in load order. Immutable; shared by all request threads. */
public final class RuleSet {
    private final List<Rule> rules;

    public RuleSet(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * Loads, in this order: the built-ins (if wanted), each -rules text, then each rules file.
     * Order only affects which rule {@link #firstMatch} reports, never the decision.
     */
    public static RuleSet load(boolean builtins, List<String> ruleTexts, List<Path> ruleFiles) throws RuleException {
        List<String> origins = new ArrayList<>();
        for (int i = 1; i <= ruleTexts.size(); i++) {
            origins.add("-rules #" + i);
        }
        return load(builtins, ruleTexts, origins, ruleFiles);
    }

    /**
     * The same, each rules text named in messages by its origin, e.g. "-rules #2" or "CETUSGUARD_RULES".
     *
     * @param textOrigins as many as {@code ruleTexts}
     */
    public static RuleSet load(boolean builtins, List<String> ruleTexts, List<String> textOrigins, List<Path> ruleFiles)
            throws RuleException {
        if (textOrigins.size() != ruleTexts.size()) {
            throw new IllegalArgumentException(ruleTexts.size() + " rules texts but " + textOrigins.size() + " origins");
        }
        List<Rule> all = new ArrayList<>();
        if (builtins) {
            all.addAll(RuleParser.builtins());
        }
        for (int i = 0; i < ruleTexts.size(); i++) {
            all.addAll(RuleParser.parse(ruleTexts.get(i), textOrigins.get(i)));
        }
        for (Path file : ruleFiles) {
            all.addAll(RuleParser.parseFile(file));
        }
        return new RuleSet(all);
    }

    /** The first rule allowing this request, or null if none does (the request gets 403). */
    public Rule firstMatch(String method, String path) {
        // Indexed loop: no iterator or copy per request.
        for (int i = 0; i < rules.size(); i++) {
            Rule rule = rules.get(i);
            if (rule.matches(method, path)) {
                return rule;
            }
        }
        return null;
    }

    public boolean allows(String method, String path) {
        return firstMatch(method, path) != null;
    }

    public List<Rule> rules() {
        return rules;
    }
}
