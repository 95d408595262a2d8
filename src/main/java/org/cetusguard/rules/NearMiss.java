package org.cetusguard.rules;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Why a request that no rule allows was not allowed: the rules that came closest, and where each
 * stopped matching. A rule's pattern is cut into its top-level pieces as written (a %VARIABLE%, a
 * group, a character class, one character, each with its repetition); the longest run of leading
 * pieces that still matches the start of the path shows how far the path got, and the next piece is
 * the one it failed. For {@code cetusguard check}; nothing here decides a request.
 */
public final class NearMiss {
    /**
     * One rule's near miss.
     *
     * @param rule          the rule
     * @param methodAllowed whether the rule lists the request's method
     * @param pathMatches   whether the whole path matches the rule's pattern
     * @param matched       how much of the path the rule's leading pieces match (all of it when pathMatches)
     * @param failedAt      the pattern as written from the piece that did not match on, or "" when none is known
     */
    public record Explanation(Rule rule, boolean methodAllowed, boolean pathMatches, String matched, String failedAt) {
        /** One line saying why the rule did not allow the request. */
        public String why(String method, String path) {
            if (pathMatches) {
                return "the path matches, but the rule allows only " + String.join(",", rule.methods()) + ", not " + method;
            }
            String where = matched.isEmpty()
                    ? "the path does not match from its start"
                    : "the path matches up to \"" + matched + "\", then \"" + path.substring(matched.length()) + "\" does not match "
                            + (failedAt.isEmpty() ? "the rest of the pattern" : failedAt);
            return methodAllowed ? where : where + " (and the rule allows only " + String.join(",", rule.methods()) + ")";
        }
    }

    private NearMiss() {
    }

    /** The {@code max} rules that came closest to allowing {@code method path}, closest first. */
    public static List<Explanation> closest(RuleSet rules, String method, String path, int max) {
        List<Explanation> all = new ArrayList<>();
        for (Rule rule : rules.rules()) {
            all.add(explain(rule, method, path));
        }
        all.sort(Comparator.comparingInt((Explanation e) -> score(e)).reversed());
        return all.subList(0, Math.min(max, all.size()));
    }

    /** A wrong method on a matching path first, then the longest matched start, a listed method breaking ties. */
    private static int score(Explanation e) {
        if (e.pathMatches()) {
            return Integer.MAX_VALUE;
        }
        return e.matched().length() * 2 + (e.methodAllowed() ? 1 : 0);
    }

    static Explanation explain(Rule rule, String method, String path) {
        boolean methodAllowed = rule.methods().contains(method);
        if (rule.pattern().matches(path)) {
            return new Explanation(rule, methodAllowed, true, path, "");
        }
        String written = patternAsWritten(rule);
        List<String> pieces = pieces(written);
        String matched = "";
        String failedAt = "";
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < pieces.size(); i++) {
            prefix.append(pieces.get(i));
            Matcher m;
            try {
                m = Pattern.compile("^(?:" + Variables.expand(prefix.toString()) + ")").matcher(path);
            } catch (PatternSyntaxException e) {
                break;
            }
            if (!m.lookingAt()) {
                failedAt = String.join("", pieces.subList(i, pieces.size()));
                break;
            }
            matched = path.substring(0, m.end());
        }
        return new Explanation(rule, methodAllowed, false, matched, failedAt);
    }

    /** The pattern part of the rule line, before variables are expanded. */
    private static String patternAsWritten(Rule rule) {
        String line = rule.line().strip();
        int blank = 0;
        while (blank < line.length() && line.charAt(blank) != ' ' && line.charAt(blank) != '\t') {
            blank++;
        }
        return line.substring(blank).strip();
    }

    /**
     * The pattern's top-level pieces, each with its repetition operator. A top-level alternation has
     * no common start, so such a pattern is one piece.
     */
    static List<String> pieces(String pattern) {
        List<String> pieces = new ArrayList<>();
        int i = 0;
        while (i < pattern.length()) {
            int end = pieceEnd(pattern, i);
            if (end < 0 || pattern.charAt(i) == '|') {
                return List.of(pattern);
            }
            end = repetitionEnd(pattern, end);
            pieces.add(pattern.substring(i, end));
            i = end;
        }
        return pieces;
    }

    /** Where the piece starting at {@code i} ends, or -1 when the pattern is not simple enough to cut. */
    private static int pieceEnd(String p, int i) {
        char c = p.charAt(i);
        if (c == '%') {
            int close = p.indexOf('%', i + 1);
            if (close > i + 1 && p.substring(i + 1, close).matches("[A-Z0-9_]+")) {
                return close + 1;
            }
            return i + 1;
        }
        if (c == '\\') {
            if (i + 1 >= p.length()) {
                return -1;
            }
            int after = i + 2;
            if (after < p.length() && p.charAt(after) == '{' && "pPx".indexOf(p.charAt(i + 1)) >= 0) {
                int close = p.indexOf('}', after);
                return close < 0 ? -1 : close + 1;
            }
            return after;
        }
        if (c == '[') {
            int j = i + 1;
            if (j < p.length() && p.charAt(j) == '^') {
                j++;
            }
            if (j < p.length() && p.charAt(j) == ']') {
                j++;
            }
            while (j < p.length() && p.charAt(j) != ']') {
                j += p.charAt(j) == '\\' ? 2 : 1;
            }
            return j < p.length() ? j + 1 : -1;
        }
        if (c == '(') {
            int depth = 0;
            for (int j = i; j < p.length(); j++) {
                char d = p.charAt(j);
                if (d == '\\') {
                    j++;
                } else if (d == '[') {
                    j = pieceEnd(p, j) - 1;
                    if (j < 0) {
                        return -1;
                    }
                } else if (d == '(') {
                    depth++;
                } else if (d == ')' && --depth == 0) {
                    return j + 1;
                }
            }
            return -1;
        }
        if (c == ')' || c == '*' || c == '+' || c == '?' || c == '{') {
            return -1;
        }
        return i + 1;
    }

    /** Past any repetition operator ({@code * + ? {n,m}}, lazy or not) after a piece. */
    private static int repetitionEnd(String p, int i) {
        while (i < p.length()) {
            char c = p.charAt(i);
            if (c == '*' || c == '+' || c == '?') {
                i++;
            } else if (c == '{' && p.indexOf('}', i) > i && p.substring(i + 1, p.indexOf('}', i)).matches("[0-9]+(,[0-9]*)?")) {
                i = p.indexOf('}', i) + 1;
            } else {
                return i;
            }
        }
        return i;
    }
}
