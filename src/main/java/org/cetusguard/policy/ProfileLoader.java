package org.cetusguard.policy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.cetusguard.config.Option;
import org.cetusguard.config.Options;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleSet;

/**
 * Everything that decides requests, from the options: the default profile (the Go original's rules
 * flags, plus any -policy settings) and, with -profiles-file, the per-client profiles in front of it.
 * Used at startup and on every reload, so both read exactly the same sources.
 */
public final class ProfileLoader {
    private ProfileLoader() {
    }

    public static ClientProfiles load(Options options) throws RuleException {
        Profile fallback = new Profile("default", rules(options), policy(options.policy()), "command line and environment");
        if (options.profilesFile().isEmpty()) {
            return ClientProfiles.only(fallback);
        }
        return ClientProfiles.parse(Path.of(options.profilesFile())).withDefault(fallback);
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
        ContainerPolicy.Builder builder = ContainerPolicy.builder();
        for (String entry : entries) {
            for (String line : entry.split("\\r?\\n", -1)) {
                String setting = line.strip();
                if (setting.isEmpty() || setting.startsWith("!")) {
                    continue;
                }
                try {
                    builder.directive(setting);
                } catch (IllegalArgumentException e) {
                    throw new RuleException("invalid -policy setting " + Json.quote(setting) + ": " + e.getMessage());
                }
            }
        }
        return builder.build();
    }
}
