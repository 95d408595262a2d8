package org.cetusguard;

import org.cetusguard.config.Options;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleSet;

/** Lets tests load rules the way Main does. */
public final class MainAccess {
    private MainAccess() {
    }

    public static RuleSet loadRules(Options options) throws RuleException {
        return Main.loadRules(options);
    }
}
