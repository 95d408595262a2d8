package org.cetusguard.gate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.cetusguard.policy.LabelScope;

/**
 * The part of a scoped client's decision that needs the daemon (only-label): the container or exec
 * a request names is resolved in the client's scope ({@link ContainerView#resolve}), and the request
 * is forwarded naming the container's full ID, so the container the daemon acts on is the one that
 * was checked; a name another container takes between the check and the forward cannot redirect it.
 * An object the scope does not hold gets the daemon's answer for a missing object, whether it
 * exists out of scope or not at all, so a client cannot tell the two apart. A name the cached view
 * does not know is looked up again in a list the daemon makes now (a container created a moment
 * ago) before it is called missing.
 */
final class Scoping {
    /** The containers a create body names, each resolved to its full ID, or the refusal for the first one that is not in scope. */
    record References(Map<String, String> ids, Refuse refuse) {
    }

    private final Forward forward;
    private final ScopeRoute route;
    private final LabelScope scope;
    private final ContainerLookup lookup;

    Scoping(Forward forward, ContainerLookup lookup) {
        this.forward = forward;
        this.route = forward.resolve();
        this.scope = forward.policy().scope();
        this.lookup = lookup;
    }

    /** The request with its target resolved, or the refusal. */
    CompletableFuture<Decision> target() {
        return switch (route.kind()) {
            case CONTAINER -> resolve(route.name()).thenCompose(resolution -> {
                if (resolution.outcome() == ContainerView.Outcome.FOUND) {
                    return done(forward.withTarget(route.pathWith(resolution.id()) + query(forward.query())));
                }
                return missing(resolution, route.notFoundKind(forward.method()), route.name());
            });
            case EXEC -> exec();
            case COMMIT -> commit();
            case LIST -> list();
            default -> done(forward);
        };
    }

    /** Each name of a create body resolved in the scope. */
    CompletableFuture<References> references(List<String> names) {
        Map<String, String> ids = new LinkedHashMap<>();
        CompletableFuture<References> chain = CompletableFuture.completedFuture(new References(ids, null));
        for (String name : names) {
            chain = chain.thenCompose(sofar -> sofar.refuse() != null ? CompletableFuture.completedFuture(sofar)
                    : resolve(name).thenCompose(resolution -> {
                        if (resolution.outcome() == ContainerView.Outcome.FOUND) {
                            ids.put(name, resolution.id());
                            return CompletableFuture.completedFuture(sofar);
                        }
                        return missing(resolution, NotFound.Kind.CONTAINER, name)
                                .thenApply(refuse -> new References(ids, asCreateAnswers((Refuse) refuse)));
                    }));
        }
        return chain;
    }

    /**
     * Docker's create answers a container its body names but the daemon has not got with 400, not
     * 404, in inspect's words (for a link: "could not get container for X: " before them). The
     * status matters beyond fidelity: the docker CLI reads a 404 from create as "no such image" and
     * tries to pull.
     */
    private static Refuse asCreateAnswers(Refuse refuse) {
        DaemonAnswer answer = refuse.answer();
        if (answer == null || answer.status() != 404) {
            return refuse;
        }
        return Refuse.outOfScope(new DaemonAnswer(400, answer.headers(), answer.body()), refuse.path(), refuse.profile());
    }

    /** A name resolved in the cached view, or, when that does not hold it, in a list made now. */
    private CompletableFuture<ContainerView.Resolution> resolve(String name) {
        return lookup.view(scope).thenCompose(view -> {
            ContainerView.Resolution resolution = view.resolve(name);
            if (resolution.outcome() != ContainerView.Outcome.MISSING) {
                return CompletableFuture.completedFuture(resolution);
            }
            return lookup.refresh(scope).thenApply(fresh -> fresh.resolve(name));
        });
    }

    /** An exec session: its container must be in scope; the exec ID is forwarded as it is (the daemon takes exec IDs whole). */
    private CompletableFuture<Decision> exec() {
        String id = route.name();
        return lookup.execContainer(id).thenCompose(container -> {
            if (container == null) {
                return notFound(NotFound.Kind.EXEC, id);
            }
            return lookup.view(scope).thenCompose(view -> view.contains(container)
                    ? CompletableFuture.completedFuture(view) : lookup.refresh(scope)).thenCompose(view -> view.contains(container)
                    ? done(forward.withTarget(forward.target())) : notFound(NotFound.Kind.EXEC, id));
        });
    }

    /** {@code POST /commit?container=NAME}: the daemon reads the first {@code container} parameter. */
    private CompletableFuture<Decision> commit() {
        ScopedQuery query;
        try {
            query = ScopedQuery.of(forward.query());
        } catch (ScopedQuery.Unreadable e) {
            return done(new Refuse(400, "bad request: " + e.getMessage(), Refuse.Cause.SCOPE, forward.path(), forward.profile().name()));
        }
        String name = query.first("container");
        if (name == null || name.isEmpty()) {
            return done(forward.withTarget(forward.target()));
        }
        return resolve(name).thenCompose(resolution -> resolution.outcome() == ContainerView.Outcome.FOUND
                ? done(forward.withTarget(pathOf(forward) + "?" + query.with("container", resolution.id())))
                : missing(resolution, NotFound.Kind.CONTAINER, name));
    }

    /** A list filtered {@code before} or {@code since} containers: each resolved in the scope, then the label filter added. */
    private CompletableFuture<Decision> list() {
        ScopedQuery query;
        Map<String, List<String>> filters;
        try {
            query = ScopedQuery.of(forward.query());
            filters = query.filters();
        } catch (ScopedQuery.Unreadable e) {
            return done(new Refuse(400, "bad request: " + e.getMessage(), Refuse.Cause.SCOPE, forward.path(), forward.profile().name()));
        }
        Map<String, List<String>> out = new LinkedHashMap<>(filters);
        CompletableFuture<Refuse> chain = CompletableFuture.completedFuture(null);
        for (String key : List.of("before", "since")) {
            List<String> values = filters.get(key);
            if (values == null) {
                continue;
            }
            String[] ids = new String[values.size()];
            for (int i = 0; i < values.size(); i++) {
                int at = i;
                String name = values.get(i);
                chain = chain.thenCompose(refused -> refused != null ? CompletableFuture.completedFuture(refused)
                        : resolve(name).thenCompose(resolution -> {
                            if (resolution.outcome() == ContainerView.Outcome.FOUND) {
                                ids[at] = resolution.id();
                                return CompletableFuture.completedFuture(null);
                            }
                            return missing(resolution, NotFound.Kind.LIST_REFERENCE, name).thenApply(d -> (Refuse) d);
                        }));
            }
            chain = chain.thenApply(refused -> {
                if (refused == null) {
                    out.put(key, List.of(ids));
                }
                return refused;
            });
        }
        return chain.thenApply(refused -> {
            if (refused != null) {
                return refused;
            }
            List<String> labels = new java.util.ArrayList<>(out.getOrDefault("label", List.of()));
            labels.addAll(scope.filters());
            out.put("label", labels);
            return forward.withTarget(pathOf(forward) + "?" + query.withFilters(out));
        });
    }

    private CompletableFuture<Decision> missing(ContainerView.Resolution resolution, NotFound.Kind kind, String name) {
        if (resolution.outcome() == ContainerView.Outcome.AMBIGUOUS) {
            return done(Refuse.outOfScope(NotFound.ambiguous(name), forward.path(), forward.profile().name()));
        }
        return notFound(kind, name);
    }

    private CompletableFuture<Decision> notFound(NotFound.Kind kind, String name) {
        // A create body's references come without a route (creation is not resolved, only what it names).
        boolean libpod = route != null && route.libpod();
        return lookup.notFound(kind, libpod)
                .thenApply(template -> Refuse.outOfScope(template.answer(name), forward.path(), forward.profile().name()));
    }

    private static CompletableFuture<Decision> done(Decision decision) {
        return CompletableFuture.completedFuture(decision);
    }

    private static String query(String query) {
        return query == null ? "" : "?" + query;
    }

    /** The forward's encoded path, without its query. */
    private static String pathOf(Forward forward) {
        String target = forward.target();
        int question = target.indexOf('?');
        return question < 0 ? target : target.substring(0, question);
    }
}
