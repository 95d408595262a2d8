package org.cetusguard.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.log.Log;
import org.cetusguard.policy.Setting;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.Profile;
import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.rules.Rule;
import org.cetusguard.rules.RuleException;

/**
 * {@code cetusguard lint [proxy options]}: warns about rules that allow more than they look like, in
 * the default profile and every profile of -profiles-file. Each rule is tried against requests that
 * hand out control of the host; a rule that lets one through is reported with what it allows, and a
 * profile whose rules allow creating containers or exec without every protection of
 * {@code deny-host-access} is reported with what it lacks. Exit 0 when there is nothing to say, 1
 * otherwise.
 */
final class LintCommand {
    /**
     * Requests that amount to root on the host, or to reading or changing other workloads.
     * {@code hostAccess}: the container policy is what stands between it and the host.
     */
    record Risk(String method, String path, String why, boolean hostAccess) {
        Risk(String method, String path, String why) {
            this(method, path, why, false);
        }
    }

    static final List<Risk> RISKS = List.of(
            new Risk("POST", "/v1.41/containers/create", "creates containers: with a privileged body or a bind of / this is root on the host", true),
            new Risk("POST", "/v1.41/containers/abc/exec", "runs commands inside any container", true),
            new Risk("POST", "/v1.41/exec/abc/start", "starts commands created with exec"),
            new Risk("PUT", "/v1.41/containers/abc/archive", "writes files into any container"),
            new Risk("POST", "/v1.41/containers/abc/update", "changes a container's resources and restart policy", true),
            new Risk("DELETE", "/v1.41/containers/abc", "removes containers"),
            new Risk("POST", "/v1.41/containers/abc/attach", "attaches to a container's stdin and stdout"),
            new Risk("POST", "/v1.41/images/create", "pulls or imports arbitrary images"),
            new Risk("POST", "/v1.41/images/load", "loads arbitrary images"),
            new Risk("DELETE", "/v1.41/images/abc", "removes images"),
            new Risk("POST", "/v1.41/build", "builds images, running arbitrary build steps"),
            new Risk("POST", "/v1.41/volumes/create", "creates volumes, including local bind volumes of host paths"),
            new Risk("POST", "/v1.41/networks/create", "creates networks"),
            new Risk("POST", "/v1.41/plugins/pull", "installs plugins, which run with host privileges"),
            new Risk("POST", "/v1.41/swarm/init", "changes the swarm"),
            new Risk("POST", "/v1.41/services/create", "creates swarm services", true),
            new Risk("GET", "/v1.41/secrets", "lists swarm secrets"),
            new Risk("POST", "/v1.41/libpod/containers/create", "creates Podman containers"));

    private LintCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException, RuleException {
        Options options = OptionsParser.parse(args, env);
        if (options.help()) {
            return Commands.printHelp("lint", out);
        }
        // The loader's own warnings (inline comment, unknown variable) are listed and counted below with
        // the others, rather than logged apart and left out of the count.
        int level = Log.level();
        Log.setLevel(Log.ERROR);
        ClientProfiles profiles;
        try {
            profiles = ProfileLoader.load(options);
        } finally {
            Log.setLevel(level);
        }
        List<Profile> all = new ArrayList<>();
        all.add(profiles.defaultProfile());
        all.addAll(profiles.profiles());
        int rules = 0;
        int warnings = 0;
        for (Profile profile : all) {
            if (all.size() > 1) {
                out.println("profile " + profile.name() + " (" + profile.origin() + "):");
            }
            rules += profile.rules().rules().size();
            boolean reachesHost = false;
            for (Rule rule : profile.rules().rules()) {
                List<String> found = new ArrayList<>(rule.warnings());
                String source = rule.pattern().pattern();
                if (source.contains(".*") && !source.endsWith("(/.*)?)$") && !source.endsWith("/.*)$")) {
                    found.add("\".*\" in the middle of a pattern matches across path segments (\"/\" included)");
                }
                for (Risk risk : RISKS) {
                    if (rule.matches(risk.method(), risk.path())) {
                        found.add("allows " + risk.method() + " " + risk.path().replace("/v1.41", "") + ": " + risk.why());
                        reachesHost |= risk.hostAccess();
                    }
                }
                if (!found.isEmpty()) {
                    warnings += found.size();
                    out.println(rule.origin() + ", line " + rule.lineNumber() + ": " + rule.line().strip());
                    for (String warning : found) {
                        out.println("  warning: " + warning);
                    }
                }
            }
            Set<Setting> missing = profile.policy().settings().missingHostProtections();
            if (reachesHost && !missing.isEmpty()) {
                warnings++;
                List<String> names = new ArrayList<>();
                missing.forEach(s -> names.add(s.directive()));
                out.println("  warning: profile " + profile.name() + " allows creating containers or exec without policy"
                        + " deny-host-access: a client can reach the host through " + String.join(", ", names));
            }
        }
        out.println(rules + " rules, " + warnings + " warnings");
        return warnings == 0 ? 0 : 1;
    }
}
