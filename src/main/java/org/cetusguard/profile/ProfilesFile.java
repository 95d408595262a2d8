package org.cetusguard.profile;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.cetusguard.json.JsonWriter;
import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.PolicySettings;
import org.cetusguard.rules.Rule;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleParser;
import org.cetusguard.rules.RuleSet;

/**
 * The profiles file:
 * <pre>
 * ! Lines starting with "!" are comments; blank lines are ignored; CRLF is accepted.
 * [profile portainer]
 * match cert-subject CN=portainer,O=ops     ! alternatives: any "match" line may hold...
 * match source 10.1.2.0/24
 * require listener tcp://:2376              ! ...and every "require" line must hold
 * rules-file management.rules               ! relative to this file's directory
 * rule GET %API_PREFIX_EVENTS%              ! a rule line, exactly as in a rules file
 * no-builtin-rules                          ! (the built-in ping/version/info rules are in by default)
 * policy deny-host-access                   ! a container-policy setting
 * policy allow-bind /srv/data
 * </pre>
 * (Comments go on their own lines; the trailing ones above are for this listing only.) The criteria
 * after {@code match} and {@code require} are {@link IdentityTest}'s; the value is the rest of the
 * line, so a DN may contain blanks. Errors name the file and the line.
 */
final class ProfilesFile {
    private static final String SECTION_PREFIX = "[profile";

    private final String origin;
    private final Path directory;
    private final Set<String> names = new HashSet<>();
    /** Every "rule" line's text at its own line number, other lines blank; see finish(). */
    private final List<String> ruleText = new ArrayList<>();
    private final List<Draft> drafts = new ArrayList<>();
    private Draft current;

    /** A profile being read. */
    private static final class Draft {
        final String name;
        final int line;
        final List<IdentityTest> alternatives = new ArrayList<>();
        final List<IdentityTest> requirements = new ArrayList<>();
        final Set<Integer> ruleLines = new HashSet<>();
        final List<Rule> rules = new ArrayList<>();
        final PolicySettings.Builder policy = PolicySettings.builder();
        boolean builtins = true;

        Draft(String name, int line) {
            this.name = name;
            this.line = line;
        }
    }

    private ProfilesFile(String origin, Path directory) {
        this.origin = origin;
        this.directory = directory;
    }

    static ClientProfiles parse(Path file) throws RuleException {
        String origin = "profiles file " + JsonWriter.quote(file.toString());
        Path directory = file.toAbsolutePath().getParent();
        return parse(RuleParser.readConfigFile(file, origin), origin, directory);
    }

    /**
     * @param origin names the source in messages, e.g. "profiles file /etc/cetusguard/profiles"
     * @param directory where relative rules-file paths are resolved
     */
    static ClientProfiles parse(String text, String origin, Path directory) throws RuleException {
        ProfilesFile parser = new ProfilesFile(origin, directory);
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            parser.ruleText.add("");
            parser.line(line, i + 1);
        }
        return parser.finish();
    }

    private void line(String line, int number) throws RuleException {
        String trimmed = strip(line);
        if (trimmed.isEmpty() || trimmed.startsWith("!")) {
            return;
        }
        if (trimmed.startsWith("[")) {
            section(trimmed, number);
            return;
        }
        int blank = indexOfBlank(trimmed);
        String keyword = blank < 0 ? trimmed : trimmed.substring(0, blank);
        String argument = blank < 0 ? "" : strip(trimmed.substring(blank + 1));
        if (current == null) {
            throw error(number, line, keyword + " outside a [profile NAME] section");
        }
        switch (keyword) {
            case "match", "require" -> criterion(keyword, argument, line, number);
            case "rule" -> {
                if (argument.isEmpty() || argument.startsWith("!")) {
                    throw error(number, line, "rule needs METHODS PATTERN");
                }
                // Kept at its own line number so RuleParser's messages and Rule.lineNumber()
                // point into this file; parsed in finish().
                ruleText.set(number - 1, argument);
                current.ruleLines.add(number);
            }
            case "rules-file" -> {
                if (argument.isEmpty()) {
                    throw error(number, line, "rules-file needs a path");
                }
                Path rulesFile;
                try {
                    rulesFile = directory.resolve(argument);
                } catch (InvalidPathException e) {
                    throw error(number, line, "invalid path");
                }
                try {
                    current.rules.addAll(RuleParser.parseFile(rulesFile));
                } catch (RuleException e) {
                    throw new RuleException(e.getMessage() + " (from " + origin + ", line " + number + ")", e);
                }
            }
            case "no-builtin-rules" -> {
                if (!argument.isEmpty()) {
                    throw error(number, line, "no-builtin-rules takes no argument");
                }
                current.builtins = false;
            }
            case "policy" -> {
                try {
                    current.policy.directive(argument);
                } catch (IllegalArgumentException e) {
                    throw error(number, line, e.getMessage());
                }
            }
            default -> throw error(number, line, "unknown keyword " + JsonWriter.quote(keyword)
                    + " (expected match, require, rule, rules-file, no-builtin-rules or policy)");
        }
    }

    private void section(String trimmed, int number) throws RuleException {
        String name = null;
        if (trimmed.startsWith(SECTION_PREFIX) && trimmed.endsWith("]") && trimmed.length() > SECTION_PREFIX.length() + 1) {
            char after = trimmed.charAt(SECTION_PREFIX.length());
            String inner = strip(trimmed.substring(SECTION_PREFIX.length(), trimmed.length() - 1));
            if ((after == ' ' || after == '\t') && inner.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
                name = inner;
            }
        }
        if (name == null) {
            throw error(number, trimmed, "expected [profile NAME] (NAME: letters, digits, '_', '.', '-')");
        }
        if (!names.add(name)) {
            throw error(number, trimmed, "profile " + name + " is defined twice");
        }
        current = new Draft(name, number);
        drafts.add(current);
    }

    private void criterion(String keyword, String argument, String line, int number) throws RuleException {
        int blank = indexOfBlank(argument);
        String kind = blank < 0 ? argument : argument.substring(0, blank);
        String value = blank < 0 ? "" : strip(argument.substring(blank + 1));
        if (kind.equals("any")) {
            if (!value.isEmpty() || keyword.equals("require")) {
                throw error(number, line, "\"any\" is only valid as \"match any\"");
            }
            current.alternatives.add(IdentityTest.any());
            return;
        }
        if (value.isEmpty()) {
            throw error(number, line, keyword + " " + kind + " needs a value");
        }
        IdentityTest test;
        try {
            test = IdentityTest.of(kind, value);
        } catch (IllegalArgumentException e) {
            throw error(number, line, e.getMessage());
        }
        (keyword.equals("match") ? current.alternatives : current.requirements).add(test);
    }

    private ClientProfiles finish() throws RuleException {
        // One pass of RuleParser over every rule line, each at its own line number, then each rule
        // goes to the profile whose section contains that line.
        List<Rule> inline = RuleParser.parse(String.join("\n", ruleText), origin);
        for (Rule rule : inline) {
            for (Draft draft : drafts) {
                if (draft.ruleLines.contains(rule.lineNumber())) {
                    draft.rules.add(rule);
                }
            }
        }
        List<ClientProfiles.Entry> entries = new ArrayList<>();
        for (Draft draft : drafts) {
            if (draft.alternatives.isEmpty()) {
                throw new RuleException("profile " + draft.name + " has no match line (" + origin + ", line " + draft.line + ")");
            }
            List<Rule> rules = new ArrayList<>();
            if (draft.builtins) {
                rules.addAll(RuleParser.builtins());
            }
            rules.addAll(draft.rules);
            ContainerPolicy policy;
            try {
                policy = new ContainerPolicy(draft.policy.build());
            } catch (IllegalArgumentException e) {
                throw new RuleException("profile " + draft.name + " (" + origin + ", line " + draft.line + "): " + e.getMessage(), e);
            }
            Profile profile = new Profile(draft.name, new RuleSet(rules), policy, origin + ", line " + draft.line);
            entries.add(new ClientProfiles.Entry(profile, draft.alternatives, draft.requirements));
        }
        return new ClientProfiles(entries, null);
    }

    private RuleException error(int number, String line, String why) {
        return new RuleException("invalid profiles line (" + origin + ", line " + number + "): " + JsonWriter.quote(line) + ": " + why);
    }

    /** Blanks are spaces and tabs, as in rules files. */
    private static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(start, end);
    }

    private static int indexOfBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                return i;
            }
        }
        return -1;
    }
}
