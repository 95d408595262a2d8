package org.cetusguard.profile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.cetusguard.rules.RuleException;

/**
 * Per-client rule sets: profiles bind a rule set (and optionally a container policy) to client
 * identities. A request is judged by the first profile, in file order, whose identity matches; when
 * none does, by the default profile (the rules from the command line and environment, as the Go
 * original). Immutable; the syntax of the file is {@link ProfilesFile}'s.
 */
public final class ClientProfiles {
    /** A profile with its identity tests: any {@code match} may hold, every {@code require} must. */
    record Entry(Profile profile, List<IdentityTest> alternatives, List<IdentityTest> requirements) {
        Entry {
            alternatives = List.copyOf(alternatives);
            requirements = List.copyOf(requirements);
        }

        boolean matches(ClientIdentity identity) {
            return alternatives.stream().anyMatch(t -> t.matches(identity)) && requirements.stream().allMatch(t -> t.matches(identity));
        }
    }

    private final List<Entry> entries;
    private final Profile fallback;

    ClientProfiles(List<Entry> entries, Profile fallback) {
        this.entries = List.copyOf(entries);
        this.fallback = fallback;
    }

    /** Reads a profiles file: a regular file, at most 1 MiB, strict UTF-8 (see {@link ProfilesFile}). */
    public static ClientProfiles parse(Path file) throws RuleException {
        return ProfilesFile.parse(file);
    }

    /** Parses profiles text; relative rules-file paths resolve against {@code directory}. */
    public static ClientProfiles parse(String text, String origin, Path directory) throws RuleException {
        return ProfilesFile.parse(text, origin, directory);
    }

    /** No profiles: every client gets {@code fallback} (no profiles file given). */
    public static ClientProfiles only(Profile fallback) {
        return new ClientProfiles(List.of(), fallback);
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
        return new ClientProfiles(entries, fallback);
    }

    /** The first profile whose identity matches, else the default given to {@link #withDefault}, else null. */
    public Profile select(ClientIdentity identity) {
        for (Entry entry : entries) {
            if (entry.matches(identity)) {
                return entry.profile();
            }
        }
        return fallback;
    }

    /** The profiles in file order (without the default). */
    public List<Profile> profiles() {
        List<Profile> out = new ArrayList<>();
        entries.forEach(e -> out.add(e.profile()));
        return out;
    }

    /**
     * The listener addresses the profiles name. {@link ProfileLoader} refuses a set whose listener is
     * not a frontend: a typo would silently send those clients to the default.
     */
    public Set<String> listeners() {
        Set<String> out = new LinkedHashSet<>();
        for (Entry entry : entries) {
            for (List<IdentityTest> tests : List.of(entry.alternatives(), entry.requirements())) {
                tests.stream().map(IdentityTest::listener).filter(l -> l != null).forEach(out::add);
            }
        }
        return out;
    }
}
