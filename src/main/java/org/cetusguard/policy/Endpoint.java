package org.cetusguard.policy;

import com.google.re2j.Pattern;

/**
 * The endpoints whose bodies {@link ContainerPolicy} reads, recognised the way the daemon's
 * router would route the (already canonical) path. All are POST.
 *
 * <p>Docker's router accepts any {@code /v[0-9.]+} prefix and compares versions leniently
 * ("1..2" passes), so the prefix here is as loose as the router's, never stricter: a path the
 * daemon routes to an endpoint must be recognised as that endpoint. Object names use {@code .+}
 * because the router's {@code {name:.*}} also takes slashes, and legacy link aliases
 * ("web/db") are names that resolve.
 */
enum Endpoint {
    CONTAINER_CREATE(Strings.VERSION + "/containers/create"),
    CONTAINER_UPDATE(Strings.VERSION + "/containers/.+/update"),
    CONTAINER_START(Strings.VERSION + "/containers/.+/start"),
    CONTAINER_EXEC(Strings.VERSION + "/containers/.+/exec"),
    SERVICE_CREATE(Strings.VERSION + "/services/create"),
    SERVICE_UPDATE(Strings.VERSION + "/services/.+/update"),
    VOLUME_CREATE(Strings.VERSION + "/volumes/create"),
    /** Podman's own API, whose differently shaped bodies these checks do not understand. */
    LIBPOD_CREATE("(?:/v[^/]+)?/libpod/(?:containers/create|containers/.+/(?:exec|update|start)"
            + "|pods/create|play/kube|kube/play|volumes/create)");

    /** Holder: enum constants cannot refer to the enum's own static fields. */
    private static final class Strings {
        static final String VERSION = "(?:/v[0-9.]+)?";
    }

    private final Pattern path;

    Endpoint(String regex) {
        this.path = Pattern.compile(regex);
    }

    /** The endpoint a request goes to, or null for one whose body is never read. */
    static Endpoint of(String method, String path) {
        if (!"POST".equals(method) || path == null) {
            return null;
        }
        // The patterns do not overlap (each ends in its own last segment), so order is moot.
        for (Endpoint endpoint : values()) {
            if (endpoint.path.matches(path)) {
                return endpoint;
            }
        }
        return null;
    }
}
