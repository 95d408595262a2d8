package org.cetusguard.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;

import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.log.Log;
import org.cetusguard.proxy.RequestGate;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleSet;

/**
 * {@code cetusguard check [rule options] METHOD PATH}: the decision the proxy would take, with the
 * rule that matched and its expanded regex. The path goes through the same canonicalisation as a
 * real request, so what this says is what the proxy does. Exit 0 allowed, 1 denied or rejected.
 */
final class CheckCommand {
    private CheckCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException, RuleException {
        if (args.length < 2) {
            throw new ConfigException("usage: cetusguard check [rule options] METHOD PATH");
        }
        String method = args[args.length - 2];
        String target = args[args.length - 1];
        Options options = OptionsParser.parse(Arrays.copyOf(args, args.length - 2), env);
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
