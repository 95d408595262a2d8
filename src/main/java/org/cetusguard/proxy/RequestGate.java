package org.cetusguard.proxy;

import org.cetusguard.audit.Exchange;
import org.cetusguard.log.Log;
import org.cetusguard.rules.Rule;
import org.cetusguard.rules.RuleSet;

/**
 * The single decision point every request passes, plain or upgrading: canonicalise the target, then
 * ask the rules. What it returns for an allowed request is the only target the proxy forwards, so
 * the path that was checked is the path the daemon receives.
 */
public final class RequestGate {
    /** What to do with one request. */
    public sealed interface Decision permits Allowed, Refused {
    }

    /** Forward {@code target} (canonical encoded path plus the query) to the daemon; rule is null in audit-only mode. */
    public record Allowed(String target, Rule rule) implements Decision {
    }

    /** Answer {@code status} with {@code message} and forward nothing. */
    public record Refused(int status, String message) implements Decision {
    }

    private volatile RuleSet rules;
    private final boolean auditOnly;

    public RequestGate(RuleSet rules) {
        this(rules, false);
    }

    /** @param auditOnly learning mode: what the rules deny is forwarded anyway, and logged */
    public RequestGate(RuleSet rules, boolean auditOnly) {
        this.rules = rules;
        this.auditOnly = auditOnly;
    }

    public RuleSet rules() {
        return rules;
    }

    /** Swaps the rules atomically; requests already decided keep their decision. */
    public void setRules(RuleSet rules) {
        this.rules = rules;
    }

    /**
     * @param rawPath  the request target's path as received, still percent-encoded
     * @param rawQuery the query as received, or null
     * @param client   the client's address, for the log
     */
    public Decision decide(String method, String rawPath, String rawQuery, String client) {
        return decide(method, rawPath, rawQuery, client, null);
    }

    /** The same, recording the decision on the request's {@link Exchange} (null when unobserved). */
    public Decision decide(String method, String rawPath, String rawQuery, String client, Exchange exchange) {
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
        Rule rule = rules.firstMatch(method, path.decoded());
        if (rule == null && auditOnly) {
            Log.warning("would deny request (audit only): " + method + " " + printable(path.decoded()) + " from " + client);
            if (exchange != null) {
                exchange.decided(Exchange.Decision.WOULD_DENY, "rules", "-", path.decoded());
            }
            return new Allowed(target, null);
        }
        if (rule == null) {
            Log.warning("denied request: " + method + " " + printable(path.decoded()) + " from " + client);
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
        return new Allowed(target, rule);
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
