package org.cetusguard.policy;

import java.util.List;
import java.util.Map;

import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonEdit;
import org.cetusguard.json.JsonException;
import org.cetusguard.json.JsonParser;
import org.cetusguard.json.JsonWriter;

/**
 * Body-aware checks on the requests that create or change containers: the path rules decide
 * whether a client may call POST /containers/create at all, this decides what it may ask for.
 *
 * <p>Immutable and shared by request threads. Every setting ({@link Setting}) is off by default,
 * and a policy with every setting off ({@link #OFF}) inspects nothing: bodies pass unchanged, as
 * with the Go original. The checks are split by what they judge ({@link Check} and its subclasses);
 * this class parses the body, hands it to each, and proves any rewrite by judging the new bytes
 * again.
 *
 * <p>Field names and semantics were checked against moby's sources: api/types/container/
 * hostconfig.go (HostConfig, Resources, UpdateConfig, namespace modes and their "container:"
 * parsing), api/types/mount/mount.go (mount types), api/types/swarm/container.go (ContainerSpec,
 * Privileges with Seccomp/AppArmor/SELinuxContext, CapabilityAdd, Sysctls),
 * volume/mounts/linux_parser.go (Binds syntax, absolute source = bind, path.Clean, "ro" mode),
 * daemon/images/image.go (how an image reference is resolved) and runconfig's
 * ContainerConfigWrapper (older daemons read HostConfig fields at the top level). The daemon is
 * assumed to be Linux. Which paths are inspected: {@link Endpoint}; how the daemon parses
 * capability names, security options, exec users and queries: {@link DaemonSyntax}.
 */
public final class ContainerPolicy {
    /** Create, exec, volume and service bodies are a few KiB; a custom seccomp profile tens. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    /** Docker bodies nest about 6 levels (TaskTemplate.ContainerSpec.Privileges.Seccomp...). */
    public static final int MAX_DEPTH = 32;
    /** Values (keys included) in one body: real ones hold a few hundred; this bounds the parsed form. */
    public static final int MAX_VALUES = 10_000;
    static final JsonParser.Limits LIMITS = new JsonParser.Limits(MAX_BODY_BYTES, MAX_DEPTH, MAX_VALUES);
    /**
     * Strings decoded from a body at once: a few short ones (paths, names) plus the one being
     * decoded, whose decoding (UTF-8 to Java's UTF-16, then compacted) may briefly take four times
     * its bytes; no field read is longer than the body or than {@link Node#MAX_FIELD_BYTES}.
     */
    private static long decodedStrings(int length) {
        return 4L * Math.min(length, Node.MAX_FIELD_BYTES) + 16 * 1024;
    }

    public static final ContainerPolicy OFF = new ContainerPolicy(PolicySettings.NONE);

    /**
     * Security-relevant HostConfig fields. runconfig's ContainerConfigWrapper (API < 1.19
     * compatibility, still in the moby versions checked) embeds a second HostConfig at the top level
     * of a create body and uses it when "HostConfig" is absent (merging some fields when present).
     * The checks look inside "HostConfig" only, so these names at the top level are refused
     * outright. No container Config field has any of these names.
     */
    private static final List<String> TOP_LEVEL_HOSTCONFIG_FIELDS = List.of(
            "Binds", "Mounts", "VolumesFrom", "VolumeDriver", "Privileged", "CapAdd", "Capabilities",
            "Devices", "DeviceCgroupRules", "DeviceRequests", "SecurityOpt", "MaskedPaths", "ReadonlyPaths",
            "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode", "NetworkMode", "Cgroup",
            "Sysctls", "CgroupParent", "Runtime", "Links", "Annotations");

    private final PolicySettings settings;
    private final List<Check> checks;
    private final LabelScope scope;
    private final java.util.Set<String> shownEnv;
    /** The most a rewrite adds to a body: the forced labels, and a HostConfig with a cgroup namespace mode. */
    private final int rewriteAllowance;

    public ContainerPolicy(PolicySettings settings) {
        this.settings = settings;
        this.checks = List.of(new PrivilegeCheck(settings), new NamespaceCheck(settings), new CapabilityCheck(settings),
                new DeviceCheck(settings), new SecurityOptionCheck(settings), new MountCheck(settings),
                new KernelCheck(settings), new RuntimeCheck(settings), new ExecCheck(settings), new ImageCheck(settings),
                new ScopeReferences(settings), new LabelRewrite(settings));
        this.scope = new LabelScope(settings.values(Setting.ONLY_LABEL, LabelScope.Label.class));
        this.shownEnv = java.util.Set.copyOf(settings.values(Setting.SHOW_ENV, String.class));
        int allowance = 128;
        for (Arguments.Label label : LabelRewrite.forced(settings)) {
            allowance += JsonWriter.string(label.key()).length() * 3 + JsonWriter.string(label.value()).length() * 3 + 8;
        }
        for (LabelScope.Label label : scope.labels()) {
            allowance += JsonWriter.string(label.key()).length() * 3 + 8;
        }
        if (!scope.isEmpty()) {
            // Each container a body names may become a 64-character ID (and a link its alias too).
            allowance += ScopeReferences.MAX_REFERENCES * 2 * 72;
        }
        this.rewriteAllowance = allowance;
    }

    /** A policy from directives as written in profiles files; throws IllegalArgumentException naming a bad one. */
    public static ContainerPolicy of(String... directives) {
        PolicySettings.Builder builder = PolicySettings.builder();
        for (String directive : directives) {
            builder.directive(directive);
        }
        return new ContainerPolicy(builder.build());
    }

    public PolicySettings settings() {
        return settings;
    }

    /** True when no setting is on: nothing is inspected, every body passes unchanged. */
    public boolean isOff() {
        return settings.isOff();
    }

    /** The settings that are on, one directive each, for the startup log and check. */
    public List<String> describe() {
        return settings.describe();
    }

    // ---------------------------------------------------------------- entry points

    /**
     * True when {@link #check} needs this request's body: the proxy holds back (at most
     * {@link #MAX_BODY_BYTES} of) exactly these bodies and streams the rest.
     */
    public boolean inspects(String method, String canonicalPath) {
        Endpoint endpoint = Endpoint.of(method, canonicalPath);
        return endpoint != null && inspects(endpoint);
    }

    private boolean inspects(Endpoint endpoint) {
        return switch (endpoint) {
            case CONTAINER_EXEC -> settings.inspects(Setting.Scope.EXEC);
            case VOLUME_CREATE -> settings.inspects(Setting.Scope.VOLUMES);
            case LIBPOD_CREATE -> settings.readsBodies();
            default -> settings.inspects(Setting.Scope.CONTAINERS);
        };
    }

    /**
     * The most heap a {@link #check} of a body of {@code length} bytes holds besides the body itself:
     * its parsed form, the strings the checks decode from it (one field at a time, each at most
     * {@link Node#MAX_FIELD_BYTES} long), and a rewrite with its own parsed form. A caller that
     * reserves this before checking knows what the check can cost, whatever the body holds.
     */
    public long workingMemory(int length) {
        int rewritten = length + rewriteAllowance;
        return JsonParser.workingMemory(length, LIMITS) + JsonParser.workingMemory(rewritten, LIMITS) + rewritten
                + decodedStrings(rewritten);
    }

    // ---------------------------------------------------------------- scope and answers

    /** The containers a client judged by this policy may see (only-label); {@link LabelScope#ALL} when not limited. */
    public LabelScope scope() {
        return scope;
    }

    /** Whether answers are redacted (redact-env). */
    public boolean redactsEnv() {
        return settings.on(Setting.REDACT_ENV);
    }

    /**
     * How the answer to this request is rewritten, or null when it goes as the daemon sends it: the
     * answers that carry environment variables or commands under redact-env (see
     * {@link AnswerRewrite.Kind}), a network's containers under only-label.
     */
    public AnswerRewrite answer(String method, String canonicalPath) {
        if (!redactsEnv() && scope.isEmpty()) {
            return null;
        }
        AnswerRewrite.Kind kind = AnswerRewrite.Kind.of(method, canonicalPath);
        if (kind == null || (kind.scopeOnly() ? scope.isEmpty() : !redactsEnv())) {
            return null;
        }
        return new AnswerRewrite(kind, redactsEnv(), !scope.isEmpty(), shownEnv);
    }

    /**
     * Why redact-env refuses this request (its answer could carry environments it cannot rewrite), or
     * null. {@code psArgs} is the {@code ps_args} the daemon reads (its first value; null when absent):
     * {@code ps e} or a renamed {@code -o args=X} column prints every process's environment, so a
     * {@code top} request may only ask for {@link AnswerRewrite#SAFE_PS_ARGS}.
     */
    public String refusesAnswer(String canonicalPath, String psArgs) {
        if (!redactsEnv()) {
            return null;
        }
        if (AnswerRewrite.unredactable(canonicalPath)) {
            return "not allowed while environment values are redacted (redact-env): the answer could carry them"
                    + " in a form CetusGuard cannot rewrite";
        }
        if (AnswerRewrite.Kind.of("GET", canonicalPath) == AnswerRewrite.Kind.TOP && psArgs != null
                && !AnswerRewrite.SAFE_PS_ARGS.contains(psArgs)) {
            return "asked with ps_args other than " + String.join(", ", AnswerRewrite.SAFE_PS_ARGS)
                    + " while environment values are redacted (redact-env): ps can print the environment";
        }
        return null;
    }

    /**
     * The filter for one client's event stream, or null when it goes as the daemon sends it.
     *
     * @param knownInScope whether a container ID is known to be in {@link #scope()} (a lookup that
     *     never waits; unknown is false)
     */
    public EventFilter eventFilter(java.util.function.Predicate<String> knownInScope) {
        return !redactsEnv() && scope.isEmpty() ? null : new EventFilter(scope, redactsEnv(), knownInScope);
    }

    /**
     * The other containers a create body names (only-label), which the caller resolves in the scope
     * first and hands to {@link #check}. A body that does not parse names none: {@link #check}
     * refuses it anyway.
     */
    public List<String> containerReferences(String method, String canonicalPath, byte[] body) {
        Endpoint endpoint = Endpoint.of(method, canonicalPath);
        if (scope.isEmpty() || endpoint != Endpoint.CONTAINER_CREATE || body == null || body.length == 0
                || body.length > MAX_BODY_BYTES) {
            return List.of();
        }
        try {
            Node host = Node.root(JsonParser.parse(body, LIMITS)).object("HostConfig");
            return ScopeReferences.references(host);
        } catch (JsonException | Refusal e) {
            return List.of();
        }
    }

    /**
     * The image references {@link #check} will judge in this body (none unless allow-image is on),
     * which the caller asks the daemon about first (see {@link ImageFacts}). A body that does not
     * parse names none: {@link #check} refuses it anyway.
     */
    public List<String> imageReferences(String method, String canonicalPath, byte[] body) {
        Endpoint endpoint = Endpoint.of(method, canonicalPath);
        if (endpoint == null || !inspects(endpoint) || !settings.on(Setting.RESTRICT_IMAGES) || body == null
                || body.length == 0 || body.length > MAX_BODY_BYTES) {
            return List.of();
        }
        try {
            return ImageCheck.references(endpoint, Node.root(JsonParser.parse(body, LIMITS)));
        } catch (JsonException | Refusal e) {
            return List.of();
        }
    }

    /** {@link #check(String, String, String, byte[], Map)} for a request without a query whose body names no image to look up. */
    public Verdict check(String method, String canonicalPath, byte[] body) {
        return check(method, canonicalPath, null, body, Map.of());
    }

    /** {@link #check(String, String, String, byte[], Map)} for a body that names no image to look up. */
    public Verdict check(String method, String canonicalPath, String canonicalQuery, byte[] body) {
        return check(method, canonicalPath, canonicalQuery, body, Map.of());
    }

    /**
     * Judges one request body.
     *
     * @param canonicalPath  the decoded, dot-resolved path the rules matched (CanonicalPath.decoded())
     * @param canonicalQuery the query as forwarded, or null. Only service updates read it:
     *     {@code rollback=previous} makes the daemon ignore the body and apply the previous spec,
     *     which this check never saw, so it is refused while the policy is on
     * @param body   the complete body as received (null or empty for none)
     * @param images what the daemon said about each of {@link #imageReferences}
     */
    public Verdict check(String method, String canonicalPath, String canonicalQuery, byte[] body, Map<String, ImageFacts> images) {
        return check(method, canonicalPath, canonicalQuery, body, images, Map.of());
    }

    /**
     * {@link #check(String, String, String, byte[], Map)} with the full ID of each container
     * {@link #containerReferences} named: the body is forwarded naming those IDs.
     */
    public Verdict check(String method, String canonicalPath, String canonicalQuery, byte[] body, Map<String, ImageFacts> images,
                         Map<String, String> containers) {
        Endpoint endpoint = Endpoint.of(method, canonicalPath);
        if (endpoint == null || !inspects(endpoint)) {
            return Verdict.ALLOW;
        }
        try {
            return judge(endpoint, canonicalQuery, body == null ? new byte[0] : body, images, containers, true);
        } catch (Refusal refusal) {
            return refusal.verdict;
        }
    }

    /**
     * Parses and checks; with a rewrite (forced labels, a private cgroup namespace), also rewrites.
     * A rewrite is proven by judging the new bytes again with rewriting disabled: they must parse,
     * pass every check and need no further change.
     */
    private Verdict judge(Endpoint endpoint, String query, byte[] body, Map<String, ImageFacts> images,
                          Map<String, String> containers, boolean mayRewrite)
            throws Refusal {
        if (endpoint == Endpoint.LIBPOD_CREATE) {
            throw Refusal.deny("", "the libpod API is not allowed while a container policy is on: its bodies are not checked");
        }
        if (body.length > MAX_BODY_BYTES) {
            throw Refusal.of(new Verdict.Bad(413, "request body is larger than " + MAX_BODY_BYTES + " bytes"));
        }
        if (endpoint == Endpoint.SERVICE_UPDATE && DaemonSyntax.hasQueryParameter(query, "rollback")) {
            throw Refusal.deny("rollback", "rolling back to a previous service spec is not allowed while a container policy is on:"
                    + " the previous spec is not in this request and cannot be checked");
        }
        if (body.length == 0) {
            // The daemon creates a volume with defaults from an empty body, and a start without a
            // body is the normal case. Every other endpoint needs a body, so the daemon would
            // refuse it anyway; refusing here keeps "not checked" out of the picture.
            if (endpoint == Endpoint.VOLUME_CREATE || endpoint == Endpoint.CONTAINER_START) {
                return Verdict.ALLOW;
            }
            throw Refusal.bad("", "request body is empty");
        }
        JsonDocument document;
        try {
            document = JsonParser.parse(body, LIMITS);
        } catch (JsonException e) {
            throw Refusal.bad("", "request body is not valid JSON: " + e.getMessage());
        }
        if (endpoint == Endpoint.CONTAINER_START) {
            checkStart(document);
            return Verdict.ALLOW;
        }
        Node root = Node.root(document);
        Body checked = new Body(new JsonEdit(document), images, containers);
        switch (endpoint) {
            case CONTAINER_CREATE -> {
                refuseTopLevelHostConfigFields(root);
                Node host = root.object("HostConfig");
                for (Check check : checks) {
                    if (host != null) {
                        check.hostConfig(host);
                    }
                    check.create(root, host, checked);
                }
            }
            case CONTAINER_UPDATE -> {
                for (Check check : checks) {
                    check.hostConfig(root);
                }
            }
            case CONTAINER_EXEC -> {
                for (Check check : checks) {
                    check.exec(root);
                }
            }
            case SERVICE_CREATE, SERVICE_UPDATE -> {
                Node task = root.object("TaskTemplate");
                Node container = task == null ? null : task.object("ContainerSpec");
                for (Check check : checks) {
                    check.service(root, task, container, checked);
                }
            }
            case VOLUME_CREATE -> {
                for (Check check : checks) {
                    check.volume(root);
                }
            }
            default -> throw new IllegalStateException(endpoint.name());
        }
        if (checked.edit.isEmpty()) {
            return Verdict.ALLOW;
        }
        if (!mayRewrite) {
            throw Refusal.of(new Verdict.Bad(500, "internal error: the rewritten body is not stable"));
        }
        byte[] rewritten = checked.edit.apply();
        Verdict again;
        try {
            again = judge(endpoint, query, rewritten, images, containers, false);
        } catch (Refusal r) {
            throw Refusal.of(new Verdict.Bad(500, "internal error: the rewritten body fails the policy: " + r.verdict.message()));
        }
        if (!(again instanceof Verdict.Allow)) {
            throw Refusal.of(new Verdict.Bad(500, "internal error: the rewritten body is not accepted as is"));
        }
        return new Verdict.Rewrite(rewritten);
    }

    /**
     * API versions before 1.24 took a HostConfig in the start body, and daemons that still serve
     * them apply it. Nobody sends one today (the CLI sends no body), so anything but an empty
     * object or null is refused.
     */
    private static void checkStart(JsonDocument document) throws Refusal {
        JsonDocument.Kind kind = document.kind(JsonDocument.ROOT);
        if (kind == JsonDocument.Kind.NULL || (kind == JsonDocument.Kind.OBJECT && document.isEmpty(JsonDocument.ROOT))) {
            return;
        }
        throw Refusal.deny("", "a HostConfig in the start request (API < 1.24) is not allowed while a container policy is on");
    }

    private static void refuseTopLevelHostConfigFields(Node root) throws Refusal {
        String key = root.keyFoldingToAny(TOP_LEVEL_HOSTCONFIG_FIELDS);
        if (key != null) {
            throw Refusal.deny(JsonWriter.quote(key), "HostConfig fields are only allowed inside HostConfig"
                    + " (older daemons also read them at the top level, where they would not be checked)");
        }
    }
}
