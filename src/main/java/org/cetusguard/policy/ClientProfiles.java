package org.cetusguard.policy;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import javax.security.auth.x500.X500Principal;
import org.cetusguard.config.Address;
import org.cetusguard.config.ConfigException;
import org.cetusguard.rules.Rule;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleParser;
import org.cetusguard.rules.RuleSet;

/**
 * Per-client rule sets: a profiles file binds a rule set (and optionally a
 * {@link ContainerPolicy}) to client identities. A request is judged by the first profile, in
 * file order, whose identity matches; when none does, by the default profile (the rules from the
 * command line and environment, as today).
 *
 * <pre>
 * ! Lines starting with "!" are comments; blank lines are ignored; CRLF is accepted.
 * [profile portainer]
 * match cert-subject CN=portainer,O=ops     ! alternatives: any "match" line may hold...
 * match source 10.1.2.0/24
 * require listener tcp://:2376              ! ...and every "require" line must hold
 * rules-file management.rules               ! relative to this file's directory
 * rule GET %API_PREFIX_EVENTS%              ! a rule line, exactly as in a rules file
 * no-builtin-rules                          ! (the built-in ping/version/info rules are in by default)
 * policy deny-privileged                    ! a ContainerPolicy setting
 * policy allow-bind /srv/data
 * </pre>
 * (Comments go on their own lines; the trailing ones above are for this listing only.)
 *
 * <p>Identity criteria, usable after {@code match} or {@code require}: {@code any} (match only),
 * {@code listener ADDR} (exactly as written in -frontend-addr), {@code source CIDR} (IPv4 or
 * IPv6, a bare address is a /32 or /128), {@code cert-subject DN} (RFC 2253, compared in
 * canonical form, i.e. ignoring case and spacing), {@code cert-dns NAME} (ignoring ASCII case),
 * {@code cert-email ADDR} and {@code cert-uri URI} (exact), {@code unix-uid N},
 * {@code unix-gid N}. The value is the rest of the line, so a DN may contain blanks.
 */
public final class ClientProfiles {
    /** Far above any real profiles file; stops a wrong path from eating memory (the rules files' limit). */
    static final int MAX_FILE_BYTES = RuleParser.MAX_FILE_BYTES;

    private static final String SECTION_PREFIX = "[profile";

    private final List<Entry> entries;
    private final Profile fallback;
    private final Set<String> listeners;

    /** A profile with its identity tests. */
    private static final class Entry {
        final Profile profile;
        final List<Predicate<ClientIdentity>> alternatives;
        final List<Predicate<ClientIdentity>> requirements;

        Entry(Profile profile, List<Predicate<ClientIdentity>> alternatives, List<Predicate<ClientIdentity>> requirements) {
            this.profile = profile;
            this.alternatives = List.copyOf(alternatives);
            this.requirements = List.copyOf(requirements);
        }

        boolean matches(ClientIdentity identity) {
            return alternatives.stream().anyMatch(p -> p.test(identity)) && requirements.stream().allMatch(p -> p.test(identity));
        }
    }

    private ClientProfiles(List<Entry> entries, Profile fallback, Set<String> listeners) {
        this.entries = List.copyOf(entries);
        this.fallback = fallback;
        this.listeners = Set.copyOf(listeners);
    }

    /** Reads a profiles file: a regular file, at most 1 MiB, strict UTF-8. */
    public static ClientProfiles parse(Path file) throws RuleException {
        String origin = "profiles file " + Json.quote(file.toString());
        Path directory = file.toAbsolutePath().getParent();
        return parse(RuleParser.readConfigFile(file, origin), origin, directory);
    }

    /**
     * Parses profiles text.
     *
     * @param origin names the source in messages, e.g. "profiles file /etc/cetusguard/profiles"
     * @param directory where relative rules-file paths are resolved
     */
    public static ClientProfiles parse(String text, String origin, Path directory) throws RuleException {
        return new Parser(origin, directory).parse(text);
    }

    /** No profiles: every client gets {@code fallback} (no profiles file given). */
    public static ClientProfiles only(Profile fallback) {
        return new ClientProfiles(List.of(), fallback, Set.of());
    }

    /** The profile of clients no entry matches. */
    public Profile defaultProfile() {
        return fallback;
    }

    /** Whether any profile is bound to an identity, i.e. whether identities need to be looked at at all. */
    public boolean hasProfiles() {
        return !entries.isEmpty();
    }

    /** The same profiles, with {@code fallback} selected when no profile matches. */
    public ClientProfiles withDefault(Profile fallback) {
        return new ClientProfiles(entries, fallback, listeners);
    }

    /**
     * The first profile whose identity matches, else the default given to
     * {@link #withDefault}, else null.
     */
    public Profile select(ClientIdentity identity) {
        for (Entry entry : entries) {
            if (entry.matches(identity)) {
                return entry.profile;
            }
        }
        return fallback;
    }

    /** The profiles in file order (without the default). */
    public List<Profile> profiles() {
        List<Profile> out = new ArrayList<>();
        entries.forEach(e -> out.add(e.profile));
        return out;
    }

    /**
     * The listener addresses the file names. The caller should refuse to start when one of them
     * is not a configured frontend: a typo would silently send those clients to the default.
     */
    public Set<String> listeners() {
        return listeners;
    }

    // ---------------------------------------------------------------- parser

    private static final class Parser {
        final String origin;
        final Path directory;
        final List<Entry> entries = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        final Set<String> listeners = new LinkedHashSet<>();
        /** Every "rule" line's text at its own line number, other lines blank; see finish(). */
        final List<String> ruleText = new ArrayList<>();
        final List<Draft> drafts = new ArrayList<>();
        Draft current;

        Parser(String origin, Path directory) {
            this.origin = origin;
            this.directory = directory;
        }

        ClientProfiles parse(String text) throws RuleException {
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
                ruleText.add("");
                parseLine(line, i + 1);
            }
            return finish();
        }

        private void parseLine(String line, int number) throws RuleException {
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
                case "match":
                case "require":
                    criterion(keyword, argument, line, number);
                    break;
                case "rule":
                    if (argument.isEmpty() || argument.startsWith("!")) {
                        throw error(number, line, "rule needs METHODS PATTERN");
                    }
                    // Kept at its own line number so RuleParser's messages and Rule.lineNumber()
                    // point into this file; parsed in finish().
                    ruleText.set(number - 1, argument);
                    current.ruleLines.add(number);
                    break;
                case "rules-file":
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
                    break;
                case "no-builtin-rules":
                    if (!argument.isEmpty()) {
                        throw error(number, line, "no-builtin-rules takes no argument");
                    }
                    current.builtins = false;
                    break;
                case "policy":
                    try {
                        current.policy.directive(argument);
                    } catch (IllegalArgumentException e) {
                        throw error(number, line, e.getMessage());
                    }
                    break;
                default:
                    throw error(number, line, "unknown keyword " + Json.quote(keyword)
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
                current.alternatives.add(identity -> true);
                return;
            }
            if (value.isEmpty()) {
                throw error(number, line, keyword + " " + kind + " needs a value");
            }
            Predicate<ClientIdentity> test;
            try {
                test = test(kind, value);
            } catch (IllegalArgumentException e) {
                throw error(number, line, e.getMessage());
            }
            (keyword.equals("match") ? current.alternatives : current.requirements).add(test);
        }

        private Predicate<ClientIdentity> test(String kind, String value) {
            switch (kind) {
                case "listener": {
                    try {
                        Address.parse(value);
                    } catch (ConfigException e) {
                        throw new IllegalArgumentException(e.getMessage(), e);
                    }
                    listeners.add(value);
                    return identity -> value.equals(identity.listener());
                }
                case "source": {
                    Cidr network = Cidr.parse(value);
                    return identity -> network.contains(identity.remote());
                }
                case "cert-subject": {
                    String wanted = canonicalDn(value);
                    if (wanted == null) {
                        throw new IllegalArgumentException("not an RFC 2253 distinguished name: " + Json.quote(value));
                    }
                    return identity -> identity.certSubjectAndSans().stream()
                            .filter(s -> s.startsWith("subject:"))
                            .anyMatch(s -> wanted.equals(canonicalDn(s.substring("subject:".length()))));
                }
                case "cert-dns": {
                    // DNS names are ASCII (IDNs travel as punycode); compare ignoring ASCII case.
                    String wanted = "dns:" + asciiLower(value);
                    return identity -> identity.certSubjectAndSans().stream()
                            .anyMatch(s -> s.startsWith("dns:") && asciiLower(s).equals(wanted));
                }
                case "cert-email":
                    return identity -> identity.certSubjectAndSans().contains("email:" + value);
                case "cert-uri":
                    return identity -> identity.certSubjectAndSans().contains("uri:" + value);
                case "unix-uid": {
                    int uid = id(value);
                    return identity -> identity.uid() != null && identity.uid() == uid;
                }
                case "unix-gid": {
                    int gid = id(value);
                    return identity -> identity.gid() != null && identity.gid() == gid;
                }
                default:
                    throw new IllegalArgumentException("unknown identity " + Json.quote(kind) + " (expected any, listener, source,"
                            + " cert-subject, cert-dns, cert-email, cert-uri, unix-uid or unix-gid)");
            }
        }

        private ClientProfiles finish() throws RuleException {
            // One pass of RuleParser over every rule line, each at its own line number, then
            // each rule goes to the profile whose section contains that line.
            List<Rule> inline = RuleParser.parse(String.join("\n", ruleText), origin);
            for (Rule rule : inline) {
                for (Draft draft : drafts) {
                    if (draft.ruleLines.contains(rule.lineNumber())) {
                        draft.rules.add(rule);
                    }
                }
            }
            for (Draft draft : drafts) {
                if (draft.alternatives.isEmpty()) {
                    throw new RuleException("profile " + draft.name + " has no match line (" + origin + ", line " + draft.line + ")");
                }
                List<Rule> rules = new ArrayList<>();
                if (draft.builtins) {
                    rules.addAll(RuleParser.builtins());
                }
                rules.addAll(draft.rules);
                Profile profile = new Profile(draft.name, new RuleSet(rules), draft.policy.build(), origin + ", line " + draft.line);
                entries.add(new Entry(profile, draft.alternatives, draft.requirements));
            }
            return new ClientProfiles(entries, null, listeners);
        }

        private RuleException error(int number, String line, String why) {
            return new RuleException("invalid profiles line (" + origin + ", line " + number + "): " + Json.quote(line) + ": " + why);
        }
    }

    /** A profile being read. */
    private static final class Draft {
        final String name;
        final int line;
        final List<Predicate<ClientIdentity>> alternatives = new ArrayList<>();
        final List<Predicate<ClientIdentity>> requirements = new ArrayList<>();
        final Set<Integer> ruleLines = new HashSet<>();
        final List<Rule> rules = new ArrayList<>();
        final ContainerPolicy.Builder policy = ContainerPolicy.builder();
        boolean builtins = true;

        Draft(String name, int line) {
            this.name = name;
            this.line = line;
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Canonical form of an RFC 2253 DN, or null when it does not parse. */
    static String canonicalDn(String dn) {
        try {
            return new X500Principal(dn).getName(X500Principal.CANONICAL);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String asciiLower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return out.toString();
    }

    private static int id(String value) {
        if (!value.matches("0|[1-9][0-9]{0,9}") || Long.parseLong(value) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("not a numeric id: " + Json.quote(value));
        }
        return Integer.parseInt(value);
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
