package org.cetusguard.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleSet;

/** The tools beside the proxy: {@code check}, {@code lint}, {@code suggest-rules}, {@code healthcheck}. */
public final class Commands {
    private static final List<String> NAMES = List.of("check", "lint", "suggest-rules", "healthcheck");

    private Commands() {
    }

    /** Whether the first argument names one of the tools rather than being an option of the proxy. */
    public static boolean isCommand(String[] args) {
        return args.length > 0 && NAMES.contains(args[0]);
    }

    /** Runs the tool named by args[0]; returns the process exit code. */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "check" -> CheckCommand.run(rest, env, out);
                case "lint" -> LintCommand.run(rest, env, out);
                case "suggest-rules" -> SuggestRulesCommand.run(
                        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out);
                case "healthcheck" -> HealthcheckCommand.run(rest, env, out);
                default -> 2;
            };
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return 2;
        } catch (RuleException e) {
            err.println(e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            err.println("cannot read input: " + e.getMessage());
            return 2;
        }
    }

    static RuleSet rules(Options options) throws RuleException {
        return ProfileLoader.rules(options);
    }
}
