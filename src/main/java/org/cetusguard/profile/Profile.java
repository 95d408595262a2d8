package org.cetusguard.profile;

import java.util.Objects;

import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.rules.RuleSet;

/** A named rule set plus container policy: what a matched client is judged by. Immutable. */
public final class Profile {
    private final String name;
    private final RuleSet rules;
    private final ContainerPolicy policy;
    private final String origin;

    /**
     * @param origin where it was defined, for logs (e.g. "profiles file /etc/x, line 12", or
     *     "command line" for the default profile)
     */
    public Profile(String name, RuleSet rules, ContainerPolicy policy, String origin) {
        this.name = Objects.requireNonNull(name);
        this.rules = Objects.requireNonNull(rules);
        this.policy = Objects.requireNonNull(policy);
        this.origin = Objects.requireNonNull(origin);
    }

    public String name() {
        return name;
    }

    public RuleSet rules() {
        return rules;
    }

    /** {@link ContainerPolicy#OFF} unless the profile has policy lines. */
    public ContainerPolicy policy() {
        return policy;
    }

    public String origin() {
        return origin;
    }

    @Override
    public String toString() {
        return "profile " + name + " (" + origin + ")";
    }
}
