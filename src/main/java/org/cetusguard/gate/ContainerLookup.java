package org.cetusguard.gate;

import java.util.concurrent.CompletableFuture;

import org.cetusguard.policy.LabelScope;

/**
 * What the gate asks the daemon to scope a client to its containers (only-label): which containers
 * a scope holds, which container an exec belongs to, and how the daemon answers for a missing
 * object. Answered asynchronously; the proxy's implementation caches and keeps its answers fresh
 * from the daemon's events, {@code cetusguard check} asks once. A lookup that cannot be made
 * completes exceptionally ({@link ImageLookup.Busy} when the proxy has no memory to spare for it).
 */
public interface ContainerLookup {
    /** The scope's containers: a cached view while the lookup can vouch for it, else a new one. */
    CompletableFuture<ContainerView> view(LabelScope scope);

    /**
     * The scope's containers from a list the daemon makes after this call: for a name the cached view
     * does not know (a container created a moment ago). Unknown stays out of scope until then.
     */
    CompletableFuture<ContainerView> refresh(LabelScope scope);

    /** The full ID of the container exec {@code execId} belongs to; null when the daemon has no such exec. */
    CompletableFuture<String> execContainer(String execId);

    /** How the daemon answers a request for a missing object of this kind, in the API of {@code libpod} or Docker's. */
    CompletableFuture<NotFound> notFound(NotFound.Kind kind, boolean libpod);

    /** Whether container {@code id} is known to be in {@code scope}, without waiting: for event streams. */
    boolean knownInScope(LabelScope scope, String id);

    /** For clients without a scope: every question is a mistake. */
    ContainerLookup NONE = new ContainerLookup() {
        @Override
        public CompletableFuture<ContainerView> view(LabelScope scope) {
            return CompletableFuture.failedFuture(new IllegalStateException("no container lookups here"));
        }

        @Override
        public CompletableFuture<ContainerView> refresh(LabelScope scope) {
            return view(scope);
        }

        @Override
        public CompletableFuture<String> execContainer(String execId) {
            return CompletableFuture.failedFuture(new IllegalStateException("no container lookups here"));
        }

        @Override
        public CompletableFuture<NotFound> notFound(NotFound.Kind kind, boolean libpod) {
            return CompletableFuture.completedFuture(NotFound.fallback(kind));
        }

        @Override
        public boolean knownInScope(LabelScope scope, String id) {
            return false;
        }
    };
}
