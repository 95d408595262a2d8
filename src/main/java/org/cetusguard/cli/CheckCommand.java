package org.cetusguard.cli;

import java.io.PrintStream;
import java.util.Map;

import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.log.Log;
import org.cetusguard.proxy.RequestGate;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleSet;
import org.cetusguard.text.Escape;

/**
 * {@code cetusguard check [options] METHOD PATH}: the decision the proxy would take, with the
 * rule that matched and its expanded regex. The path goes through the same canonicalisation as a
 * real request, so what this says is what the proxy does. Exit 0 allowed, 1 denied or rejected,
 * 2 usage error (no METHOD and PATH after the options).
 */
final class CheckCommand {
    private CheckCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException, RuleException {
        OptionsParser.CommandLine line = OptionsParser.parseCommandLine(args, env);
        Options options = line.options();
        if (options.help()) {
            return Commands.printHelp("check", out);
        }
        if (line.arguments().size() != 2) {
            throw new ConfigException("check needs a METHOD and a PATH after the options" + (line.arguments().isEmpty() ? ""
                    : ", not " + Escape.forMessage(String.join(" ", line.arguments()))));
        }
        String method = line.arguments().get(0);
        String target = line.arguments().get(1);
        RuleSet rules = Commands.rules(options);
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? null : target.substring(q + 1);
        int level = Log.level();
        Log.setLevel(Log.NONE);
        RequestGate.Decision decision;
        try {
            decision = new RequestGate(rules).decide(method, path, query, "check");
        } finally {
            Log.setLevel(level);
        }
        if (decision instanceof RequestGate.Allowed allowed) {
            out.println("allowed: " + method + " " + target);
            out.println("  forwarded as: " + allowed.target());
            out.println("  rule: " + allowed.rule().line().strip() + "  (" + allowed.rule().origin() + ", line "
                    + allowed.rule().lineNumber() + ")");
            out.println("  regex: " + allowed.rule().pattern().pattern());
            return 0;
        }
        RequestGate.Refused refused = (RequestGate.Refused) decision;
        out.println((refused.status() == 400 ? "rejected (400): " : "denied (403): ") + refused.message());
        return 1;
    }
}
