package org.cetusguard.profile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.cetusguard.config.Option;
import org.cetusguard.config.Options;
import org.cetusguard.json.JsonWriter;
import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.PolicySettings;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleSet;

/**
 * Everything that decides requests, from the options: the default profile (the Go original's rules
 * flags, plus any -policy settings) and, with -profiles-file, the per-client profiles in front of
 * it. Startup, every reload and the check command load through {@link #load}, so all three read
 * the same sources and refuse the same mistakes.
 */
public final class ProfileLoader {
    private ProfileLoader() {
    }

    /**
     * Loads and validates: a profile that names a listener which is not one of the frontends is an
     * error, because its clients would silently get the default rules instead.
     */
    public static ClientProfiles load(Options options) throws RuleException {
        Profile fallback = new Profile("default", rules(options), policy(options.policy()), "command line and environment");
        if (options.profilesFile().isEmpty()) {
            return ClientProfiles.only(fallback);
        }
        ClientProfiles profiles = ClientProfiles.parse(Path.of(options.profilesFile())).withDefault(fallback);
        for (String listener : profiles.listeners()) {
            if (!options.frontendAddrs().contains(listener)) {
                throw new RuleException("the profiles file names listener " + listener
                        + ", which is not a -frontend-addr (" + String.join(", ", options.frontendAddrs()) + ")");
            }
        }
        return profiles;
    }

    /** The rules the options name: built-ins, then each -rules text, then each file. */
    public static RuleSet rules(Options options) throws RuleException {
        List<Path> files = new ArrayList<>();
        for (String file : options.rulesFiles()) {
            files.add(Path.of(file));
        }
        return RuleSet.load(!options.noBuiltinRules(), options.rules(), options.origins(Option.RULES), files);
    }

    /** Settings as in a profiles file's "policy" lines; each entry may hold several lines ("!" comments allowed). */
    static ContainerPolicy policy(List<String> entries) throws RuleException {
        PolicySettings.Builder builder = PolicySettings.builder();
        for (String entry : entries) {
            for (String line : entry.split("\\r?\\n", -1)) {
                String setting = line.strip();
                if (setting.isEmpty() || setting.startsWith("!")) {
                    continue;
                }
                try {
                    builder.directive(setting);
                } catch (IllegalArgumentException e) {
                    throw new RuleException("invalid -policy setting " + JsonWriter.quote(setting) + ": " + e.getMessage());
                }
            }
        }
        try {
            return new ContainerPolicy(builder.build());
        } catch (IllegalArgumentException e) {
            throw new RuleException("invalid -policy settings: " + e.getMessage(), e);
        }
    }
}
