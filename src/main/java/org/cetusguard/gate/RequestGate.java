package org.cetusguard.gate;

import com.google.re2j.Pattern;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.ImageFacts;
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
        boolean upgrade = request.asksForTcpUpgrade() && isHijackEndpoint(decoded);
        boolean checkBody = profile.policy().inspects(method, decoded);
        return new Forward(method, target, decoded, query, rule, profile, upgrade, checkBody, null);
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
        if (!forward.checkBody()) {
            return forward.withBody(body);
        }
        Verdict verdict = forward.policy().check(forward.method(), forward.path(), forward.query(), body, images);
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
            return decideBody(forward, body, facts);
        });
    }
}
