package org.cetusguard.proxy;

import org.cetusguard.gate.Forward;
import org.cetusguard.gate.Refuse;
import org.cetusguard.log.Log;
import org.cetusguard.observe.Exchange;
import org.cetusguard.observe.Observer;
import org.cetusguard.text.Escape;
import org.eclipse.jetty.server.Request;

/**
 * The edge where the gate's pure decisions become a log line and an audit/metrics record, for both
 * adapters (the servlet passes its core request): one wording whichever adapter applied the decision.
 */
final class DecisionRecord {
    private DecisionRecord() {
    }

    /** The gate said yes: the audit log and metrics learn it; learning mode's yes-anyway is a warning. */
    static void allowed(Request request, Forward forward) {
        Exchange exchange = Exchange.of(request);
        if (forward.wouldDeny()) {
            Log.warning("would deny request (audit only): " + request.getMethod() + " " + Escape.forLog(forward.path())
                    + " from " + Observer.clientOf(request));
            if (exchange != null) {
                exchange.decided(Exchange.Decision.WOULD_DENY, "rules", "-", forward.path());
            }
            return;
        }
        if (Log.enabled(Log.DEBUG)) {
            Log.debug("allowed request: " + request.getMethod() + " " + Escape.forLog(forward.path()) + " from " + Observer.clientOf(request));
        }
        if (exchange != null) {
            exchange.decided(Exchange.Decision.ALLOW, "-", forward.rule().toString(), forward.path());
        }
    }

    /** The gate (or the budget) said no: one warning line, and the decision on the request's exchange. */
    static void refused(Request request, Refuse refuse) {
        log(request, refuse);
        Exchange exchange = Exchange.of(request);
        if (exchange == null) {
            return;
        }
        switch (refuse.cause()) {
            case AMBIGUOUS -> exchange.decided(Exchange.Decision.REJECT, refuse.reason(), "-", null);
            case RULES -> exchange.decided(Exchange.Decision.DENY, refuse.reason(), "-", refuse.path());
            case POLICY -> exchange.policyRefused(refuse.status(), refuse.message());
            case DAEMON -> {
                exchange.backendFailed();
                exchange.policyRefused(refuse.status(), refuse.message());
            }
            case BUSY -> exchange.decided(Exchange.Decision.REJECT, refuse.reason(), "-", refuse.path());
            case SCOPE -> exchange.decided(Exchange.Decision.DENY, refuse.reason(), "-", refuse.path());
        }
    }

    private static void log(Request request, Refuse refuse) {
        String client = Observer.clientOf(request);
        String method = request.getMethod();
        String path = Escape.forLog(refuse.path());
        String profile = refuse.profile() == null || refuse.profile().equals("default") ? "" : " (profile " + refuse.profile() + ")";
        switch (refuse.cause()) {
            case AMBIGUOUS -> Log.warning("rejected request: " + refuse.reason().substring("path: ".length()) + ": " + method + " "
                    + path + " from " + client);
            case RULES -> Log.warning("denied request: " + method + " " + path + " from " + client + profile);
            case POLICY, DAEMON -> Log.warning("denied request by container policy: " + method + " " + path + " from " + client
                    + profile + ": " + Escape.forMessageText(refuse.message()));
            case BUSY -> Log.warning("refused request, too many bodies held back at once: " + method + " " + path + " from " + client);
            case SCOPE -> Log.warning("denied request by scope: " + method + " " + path + " from " + client + profile + ": "
                    + Escape.forMessageText(refuse.message()));
        }
    }
}
