package org.cetusguard.gate;

import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.cetusguard.policy.AnswerRewrite;
import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.ImageFacts;
import org.cetusguard.policy.LabelScope;
import org.cetusguard.policy.Verdict;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.Profile;
import org.cetusguard.rules.Rule;
import org.cetusguard.rules.RuleSet;

/**
 * The one place that decides, for every request, plain or upgrading: canonicalise the target, pick
 * the client's profile, ask that profile's rules ({@link #decide}); then, for a body the profile's
 * container policy must read, judge those bytes ({@link #decideBody}). The answer is a
 * {@link Forward} naming exactly what to send, or a {@link Refuse} naming the answer.
 *
 * <p>Pure: it logs nothing, records nothing and touches no request object; the adapters in the
 * proxy log and record what it returns, and {@code cetusguard check} calls the very same code. The
 * only outside question it asks is which image a reference names, through the {@link ImageLookup}
 * it is given.
 */
public final class RequestGate {
    private volatile ClientProfiles profiles;
    private final boolean auditOnly;

    /** One rule set for every client, no container policy. */
    public RequestGate(RuleSet rules) {
        this(ClientProfiles.only(new Profile("default", rules, ContainerPolicy.OFF, "rules")), false);
    }

    /** @param auditOnly learning mode: what the rules deny is forwarded anyway (the container policy still applies) */
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

    public ClientProfiles profiles() {
        return profiles;
    }

    /** Path, profile and rules. */
    public Decision decide(GateRequest request) {
        CanonicalPath path;
        String query;
        try {
            path = CanonicalPath.of(request.rawPath());
            query = CanonicalQuery.of(request.rawQuery());
        } catch (CanonicalPath.RejectedPathException e) {
            return new Refuse(400, "bad request: " + e.getMessage(), Refuse.Cause.AMBIGUOUS, request.rawPath(), null);
        }
        String method = request.method();
        String decoded = path.decoded();
        String target = query == null ? path.encoded() : path.encoded() + "?" + query;
        ClientProfiles current = profiles;
        Profile profile = request.identity() == null ? current.defaultProfile() : current.select(request.identity());
        Rule rule = profile.rules().firstMatch(method, decoded);
        if (rule == null && !auditOnly) {
            return new Refuse(403, "forbidden by CetusGuard: " + method + " " + decoded, Refuse.Cause.RULES, decoded, profile.name());
        }
        ContainerPolicy policy = profile.policy();
        String unredactable;
        try {
            // Only a top request's query matters here (and only under redact-env): others are not read.
            boolean top = policy.redactsEnv() && decoded.endsWith("/top");
            unredactable = policy.refusesAnswer(decoded, top ? ScopedQuery.of(query).single("ps_args") : null);
        } catch (ScopedQuery.Unreadable e) {
            return new Refuse(400, "bad request: " + e.getMessage(), Refuse.Cause.POLICY, decoded, profile.name());
        }
        if (unredactable != null) {
            return new Refuse(403, "forbidden by CetusGuard: " + method + " " + decoded + " is " + unredactable, Refuse.Cause.POLICY,
                    decoded, profile.name());
        }
        boolean upgrade = request.asksForTcpUpgrade() && isHijackEndpoint(decoded);
        boolean checkBody = policy.inspects(method, decoded);
        AnswerRewrite answer = policy.answer(method, decoded);
        LabelScope scope = policy.scope();
        if (scope.isEmpty()) {
            boolean events = policy.redactsEnv() && ScopeRoute.of(method, decoded, path.encoded()).kind() == ScopeRoute.Kind.EVENTS;
            return new Forward(method, target, decoded, query, rule, profile, upgrade, checkBody, null, null, answer, events);
        }
        return scoped(new Forward(method, target, decoded, query, rule, profile, upgrade, checkBody, null, null, answer, false),
                ScopeRoute.of(method, decoded, path.encoded()), path.encoded(), request.contentType());
    }

    // ---------------------------------------------------------------- scope (only-label)

    /**
     * A scoped client's request, as far as it can be decided without the daemon: refused when it
     * reaches containers in bulk, a list or prune gets the scope's label filter in its query, and a
     * request naming a container or an exec is left for {@link #complete} to resolve.
     */
    private Decision scoped(Forward forward, ScopeRoute route, String encodedPath, String contentType) {
        String method = forward.method();
        String path = forward.path();
        String profile = forward.profile().name();
        if (isForm(contentType)) {
            // The daemon reads a form body as query parameters (Go's ParseForm), which would override
            // the filters or the container the proxy put in the query.
            return new Refuse(400, "bad request: a form body is not accepted from a client limited to its own containers",
                    Refuse.Cause.SCOPE, path, profile);
        }
        try {
            switch (route.kind()) {
                case REFUSED:
                    return new Refuse(403, "forbidden by CetusGuard: " + method + " " + path
                            + " reaches containers outside this client's scope", Refuse.Cause.SCOPE, path, profile);
                case LIST, PRUNE: {
                    ScopedQuery query = ScopedQuery.of(forward.query());
                    Map<String, List<String>> filters = query.filters();
                    if (route.kind() == ScopeRoute.Kind.LIST && (filters.containsKey("before") || filters.containsKey("since"))) {
                        return withResolve(forward, route);
                    }
                    return forward.withTarget(encodedPath + "?" + query.withFilters(scopeFilters(filters, forward)));
                }
                case CONTAINER, EXEC, COMMIT:
                    ScopedQuery.of(forward.query());
                    return withResolve(forward, route);
                case BUILD: {
                    String network = ScopedQuery.of(forward.query()).single("networkmode");
                    if (network != null && network.startsWith("container:")) {
                        return new Refuse(403, "forbidden by CetusGuard: a build in another container's network namespace"
                                + " (networkmode=container:...) by a client limited to its own containers", Refuse.Cause.SCOPE, path, profile);
                    }
                    return forward;
                }
                case EVENTS:
                    return new Forward(method, forward.target(), path, forward.query(), forward.rule(), forward.profile(),
                            forward.upgrade(), forward.checkBody(), null, null, forward.answer(), true);
                default:
                    return forward;
            }
        } catch (ScopedQuery.Unreadable e) {
            return new Refuse(400, "bad request: " + e.getMessage(), Refuse.Cause.SCOPE, path, profile);
        }
    }

    private static Forward withResolve(Forward forward, ScopeRoute route) {
        return new Forward(forward.method(), forward.target(), forward.path(), forward.query(), forward.rule(), forward.profile(),
                forward.upgrade(), forward.checkBody(), null, route, forward.answer(), forward.events());
    }

    /** {@code application/x-www-form-urlencoded}, as Go's mime.ParseMediaType reads the header (case and parameters aside). */
    private static boolean isForm(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return type.equalsIgnoreCase("application/x-www-form-urlencoded");
    }

    /** The client's filters with the scope's labels added to its label filters (the daemon ANDs them). */
    private static Map<String, List<String>> scopeFilters(Map<String, List<String>> filters, Forward forward) {
        Map<String, List<String>> out = new LinkedHashMap<>(filters);
        List<String> labels = new ArrayList<>(out.getOrDefault("label", List.of()));
        labels.addAll(forward.policy().scope().filters());
        out.put("label", labels);
        return out;
    }

    /**
     * Attach and exec start, as the daemon's router matches them ({@code /containers/{name:.*}/attach},
     * {@code /exec/{name:.*}/start}, with or without a version prefix, Docker's or libpod's): the
     * only hijacked streams in either API, recognised on the canonical path the rules saw. Any other
     * request, whatever headers it carries, is forwarded without its upgrade headers, so an upgrade
     * cannot carry a body past the policy. (Recognising too much would only upgrade a request the
     * daemon then answers as usual.)
     */
    private static final Pattern HIJACK_ENDPOINT = Pattern.compile("(?:/v[^/]+)?(?:/libpod)?/(?:containers/.+/attach|exec/.+/start)");

    static boolean isHijackEndpoint(String canonicalPath) {
        return HIJACK_ENDPOINT.matches(canonicalPath);
    }

    /**
     * The heap a body check of {@code length} bytes may hold besides the body (see
     * {@link ContainerPolicy#workingMemory}): what an adapter reserves before {@link #decideBody}.
     */
    public long bodyWorkingMemory(Forward forward, int length) {
        return forward.policy().workingMemory(length);
    }

    /** The image references the body names that the policy judges by what the daemon says of them. */
    public List<String> imageReferences(Forward forward, byte[] body) {
        return forward.policy().imageReferences(forward.method(), forward.path(), body);
    }

    /** The body: forward exactly these bytes (the client's, or the policy's rewrite), or refuse. */
    public Decision decideBody(Forward forward, byte[] body, Map<String, ImageFacts> images) {
        return decideBody(forward, body, images, Map.of());
    }

    /** {@link #decideBody(Forward, byte[], Map)}, with the full ID of each container the body names (only-label). */
    public Decision decideBody(Forward forward, byte[] body, Map<String, ImageFacts> images, Map<String, String> containers) {
        if (!forward.checkBody()) {
            return forward.withBody(body);
        }
        Verdict verdict = forward.policy().check(forward.method(), forward.path(), forward.query(), body, images, containers);
        if (verdict instanceof Verdict.Allow) {
            return forward.withBody(body);
        }
        if (verdict instanceof Verdict.Rewrite rewrite) {
            return forward.withBody(rewrite.body());
        }
        return new Refuse(verdict.status(), verdict.message(), Refuse.Cause.POLICY, forward.path(), forward.profile().name());
    }

    /**
     * {@link #decideBody(Forward, byte[], Map)}, first asking {@code images} about every image the
     * body names. Completes on whichever thread the last answer arrives; never exceptionally (a
     * daemon that cannot be asked is a refusal, 502).
     */
    public CompletableFuture<Decision> decideBody(Forward forward, byte[] body, ImageLookup images) {
        return decideBody(forward, body, images, Map.of());
    }

    /**
     * Finishes a decision that needs the daemon ({@link Forward#deferred}): resolves the container or
     * exec a scoped client names (only-label), then judges the body ({@code body} null for a body
     * that streams unjudged). The result names exactly the target (and body) to send, or refuses;
     * an object out of scope is refused with the daemon's own answer for a missing one. Completes on
     * whichever thread the last answer arrives; never exceptionally (a daemon that cannot be asked
     * is a refusal, 502; no memory to ask it, 503).
     */
    public CompletableFuture<Decision> complete(Forward forward, byte[] body, Lookups lookups) {
        CompletableFuture<Decision> target = forward.resolve() == null ? CompletableFuture.completedFuture(forward)
                : new Scoping(forward, lookups.containers()).target();
        return target.thenCompose(decided -> {
            if (!(decided instanceof Forward resolved) || body == null) {
                return CompletableFuture.completedFuture(decided);
            }
            List<String> names = resolved.policy().containerReferences(resolved.method(), resolved.path(), body);
            if (names.isEmpty()) {
                return decideBody(resolved, body, lookups.images(), Map.of());
            }
            return new Scoping(resolved, lookups.containers()).references(names)
                    .thenCompose(ids -> ids.refuse() != null ? CompletableFuture.completedFuture(ids.refuse())
                            : decideBody(resolved, body, lookups.images(), ids.ids()));
        }).handle((decided, failure) -> failure == null ? decided : daemonFailure(forward, failure));
    }

    /** The refusal for a lookup that failed: 503 when it had no memory, else 502. */
    private static Refuse daemonFailure(Forward forward, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof ImageLookup.Busy) {
            return Refuse.busy(forward.path());
        }
        return new Refuse(502, "CetusGuard cannot check the request with the Docker daemon: it did not answer",
                Refuse.Cause.DAEMON, forward.path(), forward.profile().name());
    }

    private CompletableFuture<Decision> decideBody(Forward forward, byte[] body, ImageLookup images, Map<String, String> containers) {
        List<String> references = imageReferences(forward, body);
        Map<String, CompletableFuture<ImageFacts>> pending = new HashMap<>();
        for (String reference : references) {
            pending.computeIfAbsent(reference, images::lookup);
        }
        return CompletableFuture.allOf(pending.values().toArray(new CompletableFuture<?>[0])).handle((done, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (cause instanceof ImageLookup.Busy) {
                    return Refuse.busy(forward.path());
                }
                return new Refuse(502, "CetusGuard cannot check the image with the Docker daemon: it did not answer",
                        Refuse.Cause.DAEMON, forward.path(), forward.profile().name());
            }
            Map<String, ImageFacts> facts = new HashMap<>();
            pending.forEach((reference, future) -> facts.put(reference, future.join()));
            return decideBody(forward, body, facts, containers);
        });
    }
}
