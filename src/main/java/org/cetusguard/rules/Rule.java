package org.cetusguard.rules;

import com.google.re2j.Pattern;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One "methods pattern" rule. Immutable and safe to share between request threads (RE2/J
 * patterns are thread-safe).
 */
public final class Rule {
    private final Set<String> methods;
    private final Pattern pattern;
    private final String line;
    private final String origin;
    private final int lineNumber;
    private final String text;
    private final List<String> warnings;

    /**
     * @param expandedPattern the user pattern with variables already expanded. It is compiled as
     *     {@code ^(?:expandedPattern)$}. The Go original compiles {@code "^" + p + "$"}, where a
     *     top-level alternation such as {@code /a|/b} anchors only its outer ends, so {@code /a}
     *     then allows anything starting with {@code /a}. The group makes every alternative whole:
     *     deliberately stricter, and what operators mean.
     * @param warnings what looks wrong in the rule although it loads, for messages
     * @throws com.google.re2j.PatternSyntaxException if RE2 rejects the pattern
     */
    Rule(Set<String> methods, String expandedPattern, String line, String origin, int lineNumber, List<String> warnings) {
        this.methods = Collections.unmodifiableSet(new TreeSet<>(methods));
        // Compile Go's exact string first so that we reject what Go rejects: "/a)|(/b" is
        // unbalanced for Go but would balance inside our group and silently mean something else.
        // (The reverse case, a pattern starting with a repetition operator such as "+x", which Go
        // applies to its "^", is rejected by the second compile; nobody writes such rules.)
        Pattern.compile("^" + expandedPattern + "$");
        this.pattern = Pattern.compile("^(?:" + expandedPattern + ")$");
        this.line = line;
        this.origin = origin;
        this.lineNumber = lineNumber;
        this.text = String.join(",", this.methods) + " " + pattern.pattern();
        this.warnings = List.copyOf(warnings);
    }

    /** The accepted methods, sorted. */
    public Set<String> methods() {
        return methods;
    }

    public Pattern pattern() {
        return pattern;
    }

    /** The rule line as written, for messages. */
    public String line() {
        return line;
    }

    /** Where the rule came from, e.g. "rules file /etc/cetusguard.rules" or "built-in". */
    public String origin() {
        return origin;
    }

    /** 1-based line number within its origin. */
    public int lineNumber() {
        return lineNumber;
    }

    /** What looks wrong in the rule although it loads (unknown variables, an inline comment); logged at load. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * Methods are compared exactly (HTTP methods are case-sensitive). The whole path must match;
     * {@code matches} anchors both ends even if the pattern itself played with flags like (?m).
     */
    public boolean matches(String method, String path) {
        return methods.contains(method) && pattern.matches(path);
    }

    /** Same shape as the Go original's log output: {@code GET,HEAD ^...$}. */
    @Override
    public String toString() {
        return text;
    }
}
