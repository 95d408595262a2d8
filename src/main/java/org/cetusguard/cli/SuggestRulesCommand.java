package org.cetusguard.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleSet;

/**
 * {@code cetusguard suggest-rules [options] < audit.log}: turns observed traffic (the audit log, logfmt
 * or JSON lines, typically recorded with -audit-only) into the narrowest rule file that allows it,
 * written with the variables: version prefixes become %API_PREFIX_...%, ids and names become
 * %CONTAINER_ID_OR_NAME% and friends, the action words of the API stay literal. What the rules of the
 * options already allow (the built-ins by default) is left out. Review it before use.
 */
final class SuggestRulesCommand {
    // Our own audit output, both formats: the values are quoted when they contain anything unusual.
    private static final Pattern LOGFMT_FIELD = Pattern.compile("(?:^| )(method|path|decision)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)");
    private static final Pattern JSON_FIELD = Pattern.compile("\"(method|path|decision)\":\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern VERSION = Pattern.compile("/v[0-9]+(?:\\.[0-9]+)*");

    /** Resource collections of the Docker and libpod APIs, and the variable for one of their members. */
    private static final Map<String, String> MEMBER = Map.ofEntries(
            Map.entry("containers", "%CONTAINER_ID_OR_NAME%"),
            Map.entry("exec", "%_OBJECT_ID%"),
            Map.entry("images", "%IMAGE_ID_OR_REFERENCE%"),
            Map.entry("volumes", "%VOLUME_ID_OR_NAME%"),
            Map.entry("networks", "%NETWORK_ID_OR_NAME%"),
            Map.entry("plugins", "%PLUGIN_ID_OR_NAME%"),
            Map.entry("pods", "%CONTAINER_ID_OR_NAME%"),
            Map.entry("manifests", "%IMAGE_ID_OR_REFERENCE%"),
            Map.entry("services", "%_OBJECT_NAME%"),
            Map.entry("tasks", "%_OBJECT_NAME%"),
            Map.entry("nodes", "%_OBJECT_NAME%"),
            Map.entry("secrets", "%_OBJECT_NAME%"),
            Map.entry("configs", "%_OBJECT_NAME%"),
            Map.entry("distribution", "%IMAGE_REFERENCE%"));

    /** Path words that are API actions, never object names. */
    private static final Set<String> ACTIONS = Set.of("json", "create", "start", "stop", "restart", "kill", "wait",
            "attach", "exec", "resize", "top", "logs", "stats", "archive", "export", "changes", "pause", "unpause",
            "update", "rename", "prune", "history", "push", "tag", "get", "load", "search", "inspect", "df", "ws",
            "exists", "init", "mount", "unmount", "healthcheck", "checkpoint", "restore", "generate", "connect",
            "disconnect", "enable", "disable", "upgrade", "privileges", "pull", "set", "import", "commit", "tree");

    private static final List<String> PREFIXED = List.of("auth", "build", "commit", "configs", "containers", "debug",
            "distribution", "events", "exec", "grpc", "images", "info", "networks", "nodes", "plugins", "secrets",
            "services", "session", "swarm", "system", "tasks", "version", "volumes");
    private static final List<String> LIBPOD_PREFIXED = List.of("build", "commit", "containers", "events", "exec",
            "generate", "images", "info", "manifests", "networks", "play", "pods", "secrets", "system", "version", "volumes");

    private SuggestRulesCommand() {
    }

    static int run(String[] args, Map<String, String> env, BufferedReader in, PrintStream out, PrintStream err)
            throws ConfigException, RuleException, IOException {
        Options options = OptionsParser.parse(args, env);
        if (options.help()) {
            return Commands.printHelp("suggest-rules", out);
        }
        RuleSet given = Commands.rules(options);
        Map<String, Set<String>> methodsByPattern = new TreeMap<>();
        String line;
        int lines = 0;
        int audited = 0;
        int used = 0;
        int allowed = 0;
        while ((line = in.readLine()) != null) {
            lines++;
            Map<String, String> fields = fields(line);
            String method = fields.get("method");
            String path = fields.get("path");
            if (method == null || path == null) {
                continue;
            }
            audited++;
            if ("reject".equals(fields.get("decision")) || !method.matches("[A-Z]+")) {
                continue;
            }
            int q = path.indexOf('?');
            String bare = q < 0 ? path : path.substring(0, q);
            if (given.allows(method, bare)) {
                allowed++;
                continue;
            }
            String pattern = generalise(bare);
            methodsByPattern.computeIfAbsent(pattern, k -> new TreeSet<>()).add(method);
            used++;
        }
        if (audited == 0) {
            err.println("suggest-rules: no audit log line in the " + lines + " line(s) on standard input. It reads the"
                    + " proxy's audit log, one line per request, as written by -audit-log logfmt (time=... method=GET"
                    + " path=/v1.41/containers/json status=200 decision=allow ...) or -audit-log json ({\"time\":...,"
                    + "\"method\":\"GET\",\"path\":\"/v1.41/containers/json\",...}); record one with"
                    + " cetusguard -audit-only -audit-log logfmt > audit.log");
            return 1;
        }
        out.println("! Suggested by cetusguard suggest-rules from " + used + " observed requests. Review before use:");
        out.println("! every line below lets its clients do what they were seen doing, with any object.");
        if (allowed > 0) {
            out.println("! " + allowed + " requests the rules already allow (built-in or given) are left out.");
        }
        for (Map.Entry<String, Set<String>> entry : methodsByPattern.entrySet()) {
            out.println(String.join(",", entry.getValue()) + " " + entry.getKey());
        }
        return 0;
    }

    static Map<String, String> fields(String line) {
        Map<String, String> fields = new TreeMap<>();
        Matcher m = (line.startsWith("{") ? JSON_FIELD : LOGFMT_FIELD).matcher(line);
        while (m.find()) {
            String value = m.group(2);
            if (value.startsWith("\"")) {
                value = value.substring(1, value.length() - 1);
            }
            fields.put(m.group(1), value.replace("\\\"", "\"").replace("\\\\", "\\"));
        }
        return fields;
    }

    /** "/v1.41/containers/3f2a.../json" becomes "%API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/json". */
    static String generalise(String path) {
        String rest = path;
        boolean versioned = false;
        Matcher version = VERSION.matcher(rest);
        if (version.lookingAt()) {
            rest = rest.substring(version.end());
            versioned = true;
        }
        List<String> segments = new ArrayList<>(List.of(rest.substring(1).split("/", -1)));
        String prefix;
        if (versioned && segments.size() >= 2 && segments.get(0).equals("libpod") && variable(LIBPOD_PREFIXED, segments.get(1))) {
            prefix = "%API_PREFIX_LIBPOD_" + name(segments.get(1)) + "%";
            segments.remove(0);
        } else if (segments.get(0).equals("_ping")) {
            return "%API_PREFIX_PING%";
        } else if (variable(PREFIXED, segments.get(0))) {
            prefix = "%API_PREFIX_" + name(segments.get(0)) + "%";
        } else {
            return quoteLiteral(path);
        }
        String collection = segments.remove(0);
        StringBuilder pattern = new StringBuilder(prefix);
        String member = MEMBER.get(collection);
        // A member name may span several segments (image references): it runs up to the last action word.
        int end = segments.size();
        while (end > 0 && ACTIONS.contains(segments.get(end - 1))) {
            end--;
        }
        if (member != null && end > 0 && !(end == 1 && ACTIONS.contains(segments.get(0)))) {
            pattern.append('/').append(member);
        } else {
            end = 0;
        }
        for (int i = end; i < segments.size(); i++) {
            pattern.append('/').append(quoteLiteral(segments.get(i)));
        }
        return pattern.toString();
    }

    private static boolean variable(List<String> names, String segment) {
        return names.contains(segment);
    }

    private static String name(String segment) {
        return segment.toUpperCase(Locale.ROOT);
    }

    /** Regex metacharacters in a literal path are escaped; "%" would start a variable and is escaped too. */
    private static String quoteLiteral(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if ("\\.+*?()|[]{}^$%".indexOf(c) >= 0) {
                b.append('\\');
            }
            b.append(c);
        }
        return b.toString();
    }
}
