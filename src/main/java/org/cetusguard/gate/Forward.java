package org.cetusguard.gate;

import org.cetusguard.policy.AnswerRewrite;
import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.profile.Profile;
import org.cetusguard.rules.Rule;

/**
 * Send the request to the daemon, exactly so: {@link #target} is the only target forwarded (the
 * canonical encoded path plus the query), so the path that was checked is the path the daemon
 * receives.
 *
 * @param method    the request method
 * @param target    what to request from the daemon; while {@link #resolve} is set, not yet known:
 *                  {@link RequestGate#complete} gives the target to send
 * @param path      the decoded canonical path the rules matched
 * @param query     the query as forwarded, or null
 * @param rule      the rule that allowed it; null in audit-only mode when no rule did
 * @param profile   the profile the client was judged by
 * @param upgrade   relay it as a hijacked stream: attach or exec start asking for {@code Upgrade: tcp}.
 *                  Every other request goes without its upgrade headers
 * @param checkBody the profile's container policy must judge the body first: hold it back, then ask
 *                  {@link RequestGate#complete}, and send only the bytes that returns
 * @param body      after {@link RequestGate#complete}: exactly the bytes to send (with their own
 *                  Content-Length); null before, and for a streamed body
 * @param resolve   for a scoped client (only-label): the container or exec the request names, to be
 *                  resolved in the scope by {@link RequestGate#complete} before anything is sent;
 *                  null when nothing needs the daemon
 * @param answer    how the daemon's answer is rewritten before the client gets it (a 200 answer;
 *                  others go as they are), or null
 * @param events    the answer is an event stream the profile's policy filters line by line
 */
public record Forward(String method, String target, String path, String query, Rule rule, Profile profile,
                      boolean upgrade, boolean checkBody, byte[] body, ScopeRoute resolve, AnswerRewrite answer,
                      boolean events) implements Decision {
    /** Whether the rules refused it and learning mode (-audit-only) lets it through anyway. */
    public boolean wouldDeny() {
        return rule == null;
    }

    /** Whether the adapter must read the whole (small) body before anything is sent to the daemon. */
    public boolean buffersBody() {
        return upgrade || checkBody;
    }

    /**
     * Whether nothing may be sent before {@link RequestGate#complete} decides: a body to judge, or a
     * container to resolve. The adapter then sends exactly the target (and body) that returns.
     */
    public boolean deferred() {
        return checkBody || resolve != null;
    }

    public ContainerPolicy policy() {
        return profile.policy();
    }

    /** The same decision, with the body judged and ready to send. */
    Forward withBody(byte[] checked) {
        return new Forward(method, target, path, query, rule, profile, upgrade, false, checked, resolve, answer, events);
    }

    /** The same decision, with the target resolved. */
    Forward withTarget(String resolved) {
        return new Forward(method, resolved, path, query, rule, profile, upgrade, checkBody, body, null, answer, events);
    }
}
