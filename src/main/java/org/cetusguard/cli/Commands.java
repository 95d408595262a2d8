package org.cetusguard.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleSet;
import org.cetusguard.text.Escape;

/**
 * The tools beside the proxy ({@code check}, {@code lint}, {@code suggest-rules}, {@code healthcheck})
 * and {@code help}. Each takes the proxy's options (and environment) where they make sense, and
 * prints its help on {@code -h}/{@code -help} instead of running. Exit codes: what the tool says,
 * 2 for a usage error (as Go's flag package).
 */
public final class Commands {
    /** One tool: its name, what follows the name, and its help (the first line is the summary). */
    private record Tool(String name, String arguments, String help) {
        String usage() {
            return "cetusguard " + name + " " + arguments;
        }

        String summary() {
            return help.lines().findFirst().orElse("");
        }
    }

    private static final String RULE_OPTIONS = "Options: the proxy's options and environment variables (cetusguard -h); what counts\n"
            + "here: the rules (-rules, -rules-file, -no-builtin-rules and their CETUSGUARD_* variables).\n";

    private static final List<Tool> TOOLS = List.of(
            new Tool("check", "[options] METHOD PATH", """
                    The decision the proxy would take for one request, and why.
                    Prints allowed, denied (403) or rejected (400), the path as it would be forwarded, and the
                    rule that matched with its expanded regex. PATH is canonicalised exactly as a real request's
                    (a query string is kept apart). Exit 0 allowed, 1 denied or rejected, 2 usage error.
                    Example: cetusguard check -rules-file tool.rules POST /v1.41/containers/web/start
                    """ + RULE_OPTIONS),
            new Tool("lint", "[options]", """
                    Warns about rules that allow more than they look like.
                    A ".*" in the middle of a pattern, write methods on broad prefixes, anything that allows
                    creating containers, exec, archive uploads, image pulls or loads, builds, volume creation,
                    plugins or swarm changes, an inline comment, an unknown variable; with what each such rule
                    hands out. Exit 0 when there is nothing to say, 1 with warnings, 2 usage error.
                    """ + RULE_OPTIONS + "-policy counts too: without it, rules that allow creating containers get a reminder.\n"),
            new Tool("suggest-rules", "[options] < AUDIT_LOG", """
                    Rules that allow what an audit log recorded, written with the variables.
                    Reads the proxy's audit log on standard input (the lines of -audit-log logfmt or json, e.g.
                    recorded in learning mode with -audit-only) and prints the narrowest rules that allow every
                    request in it: version prefixes become %API_PREFIX_...%, ids and names %CONTAINER_ID_OR_NAME%
                    and friends. Requests the rules already allow (the built-ins, unless -no-builtin-rules, and any
                    -rules or -rules-file given) are left out. Review the result before use.
                    Exit 0, 1 when the input holds no audit line, 2 usage error.
                    """ + RULE_OPTIONS),
            new Tool("healthcheck", "[options]", """
                    Exit 0 when the proxy answers on its first frontend and the daemon answers /_ping.
                    Connects to the first -frontend-addr (on a plain frontend any HTTP answer counts, so the
                    rules do not matter; on a TLS frontend, accepting the connection) and sends GET /_ping to
                    the daemon at -backend-addr itself, over TLS with the -backend-tls-* options. Prints the
                    result on stdout. Exit 0 healthy, 1 not, 2 usage error. It needs no shell, so a container
                    HEALTHCHECK can run it directly.
                    Options: the proxy's options and environment variables (cetusguard -h), so it checks what
                    the proxy beside it uses.
                    """),
            new Tool("training-run", "", """
                    Runs the proxy for a moment in front of a stand-in daemon, for the build's class list.
                    Starts the proxy on an ephemeral loopback port in front of a stand-in daemon on a private
                    Unix socket, sends it typical requests (ping, list, inspect, a stream, a refusal, a create
                    the container policy reads) and stops. Run under -XX:DumpLoadedClassList=FILE it records
                    the classes the proxy loads; the build ships that list and bin/cetusguard makes the
                    class-data archive from it, for a fast start. Reaches nothing else. Exit 0, 1 on a surprise.
                    """),
            new Tool("help", "[COMMAND]", """
                    Prints the usage of cetusguard, or of one command.
                    """));

    private Commands() {
    }

    /** Whether the first argument names one of the tools rather than being an option of the proxy. */
    public static boolean isCommand(String[] args) {
        return args.length > 0 && tool(args[0]) != null;
    }

    /** Runs the tool named by args[0]; returns the process exit code. */
    public static int run(String[] args, Map<String, String> env, InputStream in, PrintStream out, PrintStream err) {
        Tool tool = tool(args[0]);
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (tool.name()) {
                case "check" -> CheckCommand.run(rest, env, out);
                case "lint" -> LintCommand.run(rest, env, out);
                case "suggest-rules" -> SuggestRulesCommand.run(rest, env,
                        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), out, err);
                case "healthcheck" -> HealthcheckCommand.run(rest, env, out);
                case "training-run" -> TrainingRunCommand.run(rest, env, out);
                default -> help(rest, out);
            };
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.println("Usage: " + tool.usage() + "  (cetusguard help " + tool.name() + " for more)");
            return 2;
        } catch (RuleException e) {
            err.println(e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("cannot read input: " + e.getMessage());
            return 2;
        }
    }

    /** The proxy's usage (its options) followed by the commands. */
    public static void printUsage(PrintStream out) {
        OptionsParser.printHelp(out);
        StringBuilder b = new StringBuilder("\nCommands (cetusguard help COMMAND, or COMMAND -h, for more):\n");
        for (Tool tool : TOOLS) {
            b.append("  ").append(tool.usage()).append("\n    \t").append(tool.summary()).append('\n');
        }
        out.print(b);
    }

    /** Prints the help of the named tool; the commands print it on -h instead of running. Returns exit code 0. */
    static int printHelp(String name, PrintStream out) {
        Tool tool = tool(name);
        out.print("Usage: " + tool.usage() + "\n\n" + tool.help());
        return 0;
    }

    private static int help(String[] args, PrintStream out) throws ConfigException {
        if (args.length == 0) {
            printUsage(out);
            return 0;
        }
        if (args.length > 1) {
            throw new ConfigException("help takes one command name at most");
        }
        String name = args[0].matches("--?h(elp)?") ? "help" : args[0];
        if (tool(name) == null) {
            throw new ConfigException("no such command " + Escape.forMessage(name) + ": expected one of "
                    + String.join(", ", TOOLS.stream().map(Tool::name).toList()));
        }
        return printHelp(name, out);
    }

    private static Tool tool(String name) {
        for (Tool tool : TOOLS) {
            if (tool.name().equals(name)) {
                return tool;
            }
        }
        return null;
    }

    static RuleSet rules(Options options) throws RuleException {
        return ProfileLoader.rules(options);
    }
}
