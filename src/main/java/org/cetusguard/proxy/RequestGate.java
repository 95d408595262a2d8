package org.cetusguard.proxy;

import org.cetusguard.audit.Exchange;
import org.cetusguard.log.Log;
import org.cetusguard.policy.ClientIdentity;
import org.cetusguard.policy.ClientProfiles;
import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.Profile;
import org.cetusguard.rules.Rule;
import org.cetusguard.rules.RuleSet;

/**
 * The single decision point every request passes, plain or upgrading: canonicalise the target, pick
 * the client's profile, then ask that profile's rules. What it returns for an allowed request is the
 * only target the proxy forwards, so the path that was checked is the path the daemon receives; it
 * also carries the profile's container policy, which the forwarding code applies to the body.
 */
public final class RequestGate {
    /** What to do with one request. */
    public sealed interface Decision permits Allowed, Refused {
    }

    /**
     * Forward {@code target} (canonical encoded path plus the query) to the daemon, once the body passes
     * {@code policy}. {@code path} is the decoded path the rules matched; {@code rule} is null in
     * audit-only mode.
     */
    public record Allowed(String target, String path, String query, Rule rule, Profile profile) implements Decision {
        public ContainerPolicy policy() {
            return profile.policy();
        }
    }

    /** Answer {@code status} with {@code message} and forward nothing. */
    public record Refused(int status, String message) implements Decision {
    }

    private volatile ClientProfiles profiles;
    private final boolean auditOnly;

    /** One rule set for every client, no container policy. */
    public RequestGate(RuleSet rules) {
        this(only(rules), false);
    }

    /** @param auditOnly learning mode: what the rules deny is forwarded anyway, and logged */
    public RequestGate(ClientProfiles profiles, boolean auditOnly) {
        this.profiles = profiles;
        this.auditOnly = auditOnly;
    }

    /** Whether decisions depend on who the client is (so its identity must be worked out). */
    public boolean needsIdentity() {
        return profiles.hasProfiles();
    }

    /** Swaps rules and profiles atomically; requests already decided keep their decision. */
    public void setProfiles(ClientProfiles profiles) {
        this.profiles = profiles;
    }

    /** Replaces everything with one rule set for every client. */
    public void setRules(RuleSet rules) {
        setProfiles(only(rules));
    }

    private static ClientProfiles only(RuleSet rules) {
        return ClientProfiles.only(new Profile("default", rules, ContainerPolicy.OFF, "rules"));
    }

    /**
     * @param rawPath  the request target's path as received, still percent-encoded
     * @param rawQuery the query as received, or null
     * @param client   the client's address, for the log
     */
    public Decision decide(String method, String rawPath, String rawQuery, String client) {
        return decide(method, rawPath, rawQuery, client, null, null);
    }

    /**
     * The same, for the client with {@code identity} (null: the default profile), recording the
     * decision on the request's {@link Exchange} (null when unobserved).
     */
    public Decision decide(String method, String rawPath, String rawQuery, String client, Exchange exchange, ClientIdentity identity) {
        CanonicalPath path;
        String query;
        try {
            path = CanonicalPath.of(rawPath);
            query = CanonicalQuery.of(rawQuery);
        } catch (CanonicalPath.RejectedPathException e) {
            Log.warning("rejected request: " + e.getMessage() + ": " + method + " " + printable(rawPath) + " from " + client);
            if (exchange != null) {
                exchange.decided(Exchange.Decision.REJECT, "path: " + e.getMessage(), "-", null);
            }
            return new Refused(400, "bad request: " + e.getMessage());
        }
        String encoded = path.encoded();
        String target = query == null ? encoded : encoded + "?" + query;
        ClientProfiles current = profiles;
        Profile profile = identity == null ? current.defaultProfile() : current.select(identity);
        Rule rule = profile.rules().firstMatch(method, path.decoded());
        if (rule == null && auditOnly) {
            Log.warning("would deny request (audit only): " + method + " " + printable(path.decoded()) + " from " + client);
            if (exchange != null) {
                exchange.decided(Exchange.Decision.WOULD_DENY, "rules", "-", path.decoded());
            }
            return new Allowed(target, path.decoded(), query, null, profile);
        }
        if (rule == null) {
            Log.warning("denied request: " + method + " " + printable(path.decoded()) + " from " + client + profileNote(profile));
            if (exchange != null) {
                exchange.decided(Exchange.Decision.DENY, "rules", "-", path.decoded());
            }
            return new Refused(403, "forbidden by CetusGuard: " + method + " " + path.decoded());
        }
        if (Log.enabled(Log.DEBUG)) {
            Log.debug("allowed request: " + method + " " + path.decoded() + " from " + client);
        }
        if (exchange != null) {
            exchange.decided(Exchange.Decision.ALLOW, "-", rule.toString(), path.decoded());
        }
        return new Allowed(target, path.decoded(), query, rule, profile);
    }

    private static String profileNote(Profile profile) {
        return profile.name().equals("default") ? "" : " (profile " + profile.name() + ")";
    }

    /** Control characters must not reach the log raw: a client could forge log lines with them. */
    static String printable(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = c < 0x20 || c == 0x7f;
            if (bad && out == null) {
                out = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (out != null) {
                if (bad) {
                    out.append(String.format("\\x%02x", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? s : out.toString();
    }
}
