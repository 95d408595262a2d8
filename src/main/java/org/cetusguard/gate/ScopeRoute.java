package org.cetusguard.gate;

/**
 * Where a request of a scoped client (only-label) goes, read from its canonical path as the
 * daemon's router reads it: an optional version prefix ({@code /v} and a digit: Docker takes
 * {@code /v[0-9.]+}, Podman more, and reading too much as a version only sends the daemon a path it
 * answers 404), Podman's optional {@code /libpod}, then the family. Object names are one segment:
 * the router's {@code {name:.*}} would take more, but no container a scope holds has a '/' in its
 * name (only legacy link aliases do), so {@code /containers/a/b/json} is container {@code a}'s
 * path {@code /b/json}, which the daemon answers 404 once {@code a} is forwarded as its ID.
 *
 * <p>Kinds: a list or prune (the scope's label filter merged into the query), a create (labels
 * forced by the policy, named containers resolved), a call on one container (the name resolved in
 * the scope and replaced by the full ID), an exec session (its container must be in scope), a
 * commit (its {@code container} parameter resolved), the event stream (filtered line by line),
 * endpoints that reach containers in bulk and cannot be scoped (refused), and the rest (images,
 * volumes, networks but connect and disconnect, swarm, system info: forwarded as they are).
 *
 * @param kind   what the request is
 * @param prefix the encoded path up to the family ({@code /v1.41}, {@code /v4.0.0/libpod}, or "")
 * @param libpod whether it is Podman's API
 * @param name   the decoded object segment (container name, ID or prefix; exec ID), or null
 * @param rest   the encoded path after the object segment ({@code /json}, or "")
 */
record ScopeRoute(Kind kind, String prefix, boolean libpod, String name, String rest) {
    enum Kind { LIST, PRUNE, CREATE, CONTAINER, EXEC, COMMIT, EVENTS, BUILD, REFUSED, OTHER }

    /** libpod families a scoped client may use: the rest reach containers in bulk (pods, kube, generate, events, system). */
    private static final java.util.Set<String> LIBPOD_ALLOWED = java.util.Set.of("_ping", "version", "info", "images", "volumes");

    static ScopeRoute of(String method, String decoded, String encoded) {
        String[] d = decoded.split("/", -1);
        String[] e = encoded.split("/", -1);
        int i = 1; // d[0] is the empty string before the leading '/'
        StringBuilder prefix = new StringBuilder();
        if (i < d.length && d[i].length() > 1 && d[i].charAt(0) == 'v' && Character.isDigit(d[i].charAt(1))) {
            prefix.append('/').append(e[i]);
            i++;
        }
        boolean libpod = false;
        if (i < d.length && d[i].equals("libpod")) {
            prefix.append("/libpod");
            libpod = true;
            i++;
        }
        String family = i < d.length ? d[i] : "";
        String object = i + 1 < d.length ? d[i + 1] : null;
        boolean last = i + 2 >= d.length;
        String rest = object == null ? "" : join(e, i + 2);
        String base = prefix.toString();
        boolean read = method.equals("GET") || method.equals("HEAD");
        switch (family) {
            case "containers" -> {
                if (object == null) {
                    return new ScopeRoute(Kind.OTHER, base, libpod, null, "");
                }
                if (last && read && object.equals("json")) {
                    return new ScopeRoute(Kind.LIST, base, libpod, null, "");
                }
                if (last && method.equals("POST") && object.equals("create")) {
                    return new ScopeRoute(Kind.CREATE, base, libpod, null, "");
                }
                if (last && method.equals("POST") && object.equals("prune")) {
                    return new ScopeRoute(Kind.PRUNE, base, libpod, null, "");
                }
                if (last && libpod && (object.equals("stats") || object.equals("showmounted"))) {
                    return new ScopeRoute(Kind.REFUSED, base, true, null, "");
                }
                return new ScopeRoute(Kind.CONTAINER, base, libpod, object, rest);
            }
            case "exec" -> {
                return new ScopeRoute(object == null ? Kind.OTHER : Kind.EXEC, base, libpod, object, rest);
            }
            case "commit" -> {
                return new ScopeRoute(Kind.COMMIT, base, libpod, null, "");
            }
            default -> {
                // below
            }
        }
        if (libpod) {
            return new ScopeRoute(LIBPOD_ALLOWED.contains(family) ? Kind.OTHER : Kind.REFUSED, base, true, null, "");
        }
        return switch (family) {
            case "events" -> new ScopeRoute(object == null ? Kind.EVENTS : Kind.OTHER, base, false, null, "");
            // system df lists every container with its command and labels
            case "system" -> new ScopeRoute("df".equals(object) ? Kind.REFUSED : Kind.OTHER, base, false, null, "");
            // connecting or disconnecting a container names it in the body
            case "networks" -> new ScopeRoute(method.equals("POST") && (rest.equals("/connect") || rest.equals("/disconnect"))
                    ? Kind.REFUSED : Kind.OTHER, base, false, null, "");
            // a build may run its steps in another container's network namespace (networkmode=container:X)
            case "build" -> new ScopeRoute(Kind.BUILD, base, false, null, "");
            default -> new ScopeRoute(Kind.OTHER, base, false, null, "");
        };
    }

    private static String join(String[] segments, int from) {
        StringBuilder out = new StringBuilder();
        for (int i = from; i < segments.length; i++) {
            out.append('/').append(segments[i]);
        }
        return out.toString();
    }

    /**
     * Which of the daemon's answers for a missing container this call gets: Docker words kill's
     * differently, and answers attach as a raw stream; every other container call as inspect.
     */
    NotFound.Kind notFoundKind(String method) {
        if (method.equals("POST") && rest.equals("/kill") && !libpod) {
            return NotFound.Kind.KILL;
        }
        if (method.equals("POST") && rest.equals("/attach") && !libpod) {
            return NotFound.Kind.ATTACH;
        }
        return NotFound.Kind.CONTAINER;
    }

    /** The encoded path of the same request on container (or exec) {@code id}. */
    String pathWith(String id) {
        return prefix + (kind == Kind.EXEC ? "/exec/" : "/containers/") + id + rest;
    }
}
