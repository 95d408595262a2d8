package org.cetusguard.policy;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cetusguard.rules.Variables;

/**
 * Body-aware checks on the requests that create or change containers: the path rules decide
 * whether a client may call POST /containers/create at all, this decides what it may ask for.
 *
 * <p>Immutable and shared by request threads. Every setting is off by default, and a policy with
 * every setting off ({@link #OFF}) inspects nothing: bodies pass unchanged, as with the Go
 * original. Settings, in the directive syntax of profiles files ({@link Builder#directive}):
 * <pre>
 *   deny-privileged            HostConfig.Privileged, privileged exec, plugin services
 *   deny-host-namespaces       pid/ipc/uts/userns/cgroupns/network "host", and "container:" modes
 *   restrict-caps              no added capabilities except those allowed with allow-cap
 *   allow-cap NAME             e.g. NET_ADMIN (case and CAP_ prefix are normalised); ALL allows all
 *   deny-devices               Devices, DeviceCgroupRules, DeviceRequests, swarm GenericResources
 *   deny-unsafe-security-opts  seccomp/apparmor other than the defaults, any SELinux label option,
 *                              no-new-privileges=false, MaskedPaths/ReadonlyPaths overrides,
 *                              OCI runtime Annotations
 *   restrict-binds             no host paths except under those allowed with allow-bind
 *   allow-bind PATH            e.g. /srv/data ("/" allows every path)
 *   deny-volumes-from          HostConfig.VolumesFrom (also implied by restrict-binds)
 *   deny-sysctls               HostConfig.Sysctls, ContainerSpec.Sysctls
 *   deny-cgroup-parent         HostConfig.CgroupParent
 *   deny-root-exec             exec whose User is empty (the container's default), root or uid 0
 *   restrict-images            only images matching an allow-image pattern
 *   allow-image REGEX          RE2, matched against the whole reference; %VARIABLES% expand
 *   force-label KEY=VALUE      set this label on every created container (rewrites the body)
 * </pre>
 *
 * <p>Field names and semantics were checked against moby's sources: api/types/container/
 * hostconfig.go (HostConfig, Resources, UpdateConfig, namespace modes and their "container:"
 * parsing), api/types/mount/mount.go (mount types), api/types/swarm/container.go (ContainerSpec,
 * Privileges with Seccomp/AppArmor/SELinuxContext, CapabilityAdd, Sysctls),
 * daemon/volume/mounts/linux_parser.go (Binds syntax, absolute source = bind, path.Clean) and
 * runconfig's ContainerConfigWrapper (older daemons read HostConfig fields at the top level).
 * The daemon is assumed to be Linux. Which paths are inspected: {@link Endpoint}; how the daemon
 * parses capability names, security options, exec users and queries: {@link DaemonSyntax}.
 */
public final class ContainerPolicy {
    /** Create, exec, volume and service bodies are a few KiB; a custom seccomp profile tens. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;

    /** Docker bodies nest about 6 levels (TaskTemplate.ContainerSpec.Privileges.Seccomp...). */
    public static final int MAX_DEPTH = 32;

    public static final ContainerPolicy OFF = new Builder().build();

    /** Namespace fields of HostConfig, all strings. */
    private static final List<String> NAMESPACE_FIELDS = List.of("PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode", "NetworkMode", "Cgroup");

    /**
     * Security-relevant HostConfig fields. runconfig's ContainerConfigWrapper (API < 1.19
     * compatibility, still in the moby versions checked) embeds a second HostConfig at the top
     * level of a create body and uses it when "HostConfig" is absent (merging some fields when
     * present). The checks look inside "HostConfig" only, so these names at the top level are
     * refused outright.
     * Folded with {@link Json#fold}. No container Config field has any of these names.
     */
    private static final Set<String> TOP_LEVEL_HOSTCONFIG_FIELDS = folded(List.of(
            "Binds", "Mounts", "VolumesFrom", "VolumeDriver", "Privileged", "CapAdd", "Capabilities",
            "Devices", "DeviceCgroupRules", "DeviceRequests", "SecurityOpt", "MaskedPaths", "ReadonlyPaths",
            "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode", "NetworkMode", "Cgroup",
            "Sysctls", "CgroupParent", "Runtime", "Links", "Annotations"));

    /** Local-driver volume types that cannot reach the host's storage (no block device, no path). */
    private static final Set<String> SAFE_LOCAL_VOLUME_TYPES = Set.of("tmpfs", "nfs", "nfs4", "cifs", "smb3");

    private final boolean denyPrivileged;
    private final boolean denyHostNamespaces;
    private final boolean restrictCaps;
    private final Set<String> allowedCaps;
    private final boolean denyDevices;
    private final boolean denyUnsafeSecurityOpts;
    private final boolean restrictBinds;
    private final List<String> allowedBindRoots;
    private final boolean denyVolumesFrom;
    private final boolean denySysctls;
    private final boolean denyCgroupParent;
    private final boolean denyRootExec;
    private final boolean restrictImages;
    private final List<Pattern> allowedImages;
    private final List<String> allowedImageTexts;
    private final Map<String, String> forcedLabels;

    private ContainerPolicy(Builder b) {
        this.denyPrivileged = b.denyPrivileged;
        this.denyHostNamespaces = b.denyHostNamespaces;
        this.restrictCaps = b.restrictCaps;
        this.allowedCaps = Collections.unmodifiableSet(new LinkedHashSet<>(b.allowedCaps));
        this.denyDevices = b.denyDevices;
        this.denyUnsafeSecurityOpts = b.denyUnsafeSecurityOpts;
        this.restrictBinds = b.restrictBinds;
        this.allowedBindRoots = List.copyOf(b.allowedBindRoots);
        this.denyVolumesFrom = b.denyVolumesFrom;
        this.denySysctls = b.denySysctls;
        this.denyCgroupParent = b.denyCgroupParent;
        this.denyRootExec = b.denyRootExec;
        this.restrictImages = b.restrictImages;
        this.allowedImages = List.copyOf(b.allowedImages);
        this.allowedImageTexts = List.copyOf(b.allowedImageTexts);
        this.forcedLabels = Collections.unmodifiableMap(new LinkedHashMap<>(b.forcedLabels));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** True when no setting is on: nothing is inspected, every body passes unchanged. */
    public boolean isOff() {
        return !inspectsContainers() && !denyRootExec;
    }

    /** The settings that are on, one directive each, for the startup log. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        addIf(out, denyPrivileged, "deny-privileged");
        addIf(out, denyHostNamespaces, "deny-host-namespaces");
        addIf(out, restrictCaps, "restrict-caps");
        allowedCaps.forEach(c -> out.add("allow-cap " + c));
        addIf(out, denyDevices, "deny-devices");
        addIf(out, denyUnsafeSecurityOpts, "deny-unsafe-security-opts");
        addIf(out, restrictBinds, "restrict-binds");
        allowedBindRoots.forEach(p -> out.add("allow-bind " + p));
        addIf(out, denyVolumesFrom, "deny-volumes-from");
        addIf(out, denySysctls, "deny-sysctls");
        addIf(out, denyCgroupParent, "deny-cgroup-parent");
        addIf(out, denyRootExec, "deny-root-exec");
        addIf(out, restrictImages, "restrict-images");
        allowedImageTexts.forEach(p -> out.add("allow-image " + p));
        forcedLabels.forEach((k, v) -> out.add("force-label " + k + "=" + v));
        return out;
    }

    // ---------------------------------------------------------------- entry points

    /**
     * True when {@link #check} needs this request's body: the proxy buffers (at most
     * {@link #MAX_BODY_BYTES} + 1 bytes of) exactly these bodies and streams the rest.
     */
    public boolean inspects(String method, String canonicalPath) {
        Endpoint endpoint = Endpoint.of(method, canonicalPath);
        return endpoint != null && inspects(endpoint);
    }

    /** Same as {@link #check(String, String, String, byte[])} for a request without a query. */
    public Verdict check(String method, String canonicalPath, byte[] body) {
        return check(method, canonicalPath, null, body);
    }

    /**
     * Judges one request body.
     *
     * @param canonicalPath  the decoded, dot-resolved path the rules matched (CanonicalPath.decoded())
     * @param canonicalQuery the query as forwarded, or null. Only service updates read it:
     *     {@code rollback=previous} makes the daemon ignore the body and apply the previous spec,
     *     which this check never saw, so it is refused while the policy is on
     * @param body the complete body as received (null or empty for none)
     */
    public Verdict check(String method, String canonicalPath, String canonicalQuery, byte[] body) {
        Endpoint endpoint = Endpoint.of(method, canonicalPath);
        if (endpoint == null || !inspects(endpoint)) {
            return Verdict.ALLOW;
        }
        try {
            return judge(endpoint, canonicalQuery, body == null ? new byte[0] : body, true);
        } catch (Refusal refusal) {
            return refusal.verdict;
        }
    }

    private boolean inspects(Endpoint endpoint) {
        switch (endpoint) {
            case CONTAINER_EXEC:
                return denyPrivileged || denyRootExec;
            case VOLUME_CREATE:
                return restrictBinds;
            case LIBPOD_CREATE:
                return !isOff();
            default:
                return inspectsContainers();
        }
    }

    /** Any setting that concerns what a created or updated container may have. */
    private boolean inspectsContainers() {
        return denyPrivileged || denyHostNamespaces || restrictCaps || denyDevices || denyUnsafeSecurityOpts
                || restrictBinds || denyVolumesFrom || denySysctls || denyCgroupParent || restrictImages
                || !forcedLabels.isEmpty();
    }

    /**
     * Parses and checks; with forced labels, also rewrites. A rewrite is proven by judging the
     * new bytes again (with rewriting disabled): they must parse, pass every check, and already
     * carry the labels, which holds because {@link Json#write} is a fixpoint on its own output.
     */
    private Verdict judge(Endpoint endpoint, String query, byte[] body, boolean mayRewrite) throws Refusal {
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
        Object document;
        try {
            document = Json.parse(body, MAX_BODY_BYTES, MAX_DEPTH);
        } catch (JsonException e) {
            throw Refusal.bad("", "request body is not valid JSON: " + e.getMessage());
        }
        if (endpoint == Endpoint.CONTAINER_START) {
            checkStart(document);
            return Verdict.ALLOW;
        }
        Node root = Node.root(document);
        boolean createsContainers = false;
        switch (endpoint) {
            case CONTAINER_CREATE:
                checkContainerCreate(root);
                createsContainers = true;
                break;
            case CONTAINER_UPDATE:
                // UpdateConfig is Resources + RestartPolicy, decoded from the top level: the
                // HostConfig checks apply as they are (fields the daemon ignores here are
                // checked too, which only errs on the strict side).
                checkHostConfig(root);
                break;
            case CONTAINER_EXEC:
                checkExec(root);
                break;
            case SERVICE_CREATE:
            case SERVICE_UPDATE:
                checkService(root);
                createsContainers = true;
                break;
            case VOLUME_CREATE:
                checkVolumeDriver(root.string("Driver"), root.stringMap("DriverOpts"), root.pathOf("DriverOpts"));
                break;
            default:
                throw new IllegalStateException(endpoint.name());
        }
        if (!createsContainers || forcedLabels.isEmpty()) {
            return Verdict.ALLOW;
        }
        if (endpoint == Endpoint.CONTAINER_CREATE) {
            applyForcedLabels(root);
        } else {
            Node task = root.object("TaskTemplate");
            Node spec = task == null ? null : task.object("ContainerSpec");
            if (spec == null) {
                throw Refusal.deny("TaskTemplate.ContainerSpec", "a container spec is required: labels are forced on every container");
            }
            applyForcedLabels(spec);
        }
        byte[] rewritten = Json.write(document);
        if (Arrays.equals(rewritten, body)) {
            return Verdict.ALLOW;
        }
        if (!mayRewrite) {
            throw Refusal.of(new Verdict.Bad(500, "internal error: the rewritten body is not stable"));
        }
        Verdict again;
        try {
            again = judge(endpoint, query, rewritten, false);
        } catch (Refusal r) {
            throw Refusal.of(new Verdict.Bad(500, "internal error: the rewritten body fails the policy: " + r.verdict.message()));
        }
        if (!(again instanceof Verdict.Allow)) {
            throw Refusal.of(new Verdict.Bad(500, "internal error: the rewritten body is not accepted as is"));
        }
        return new Verdict.Rewrite(rewritten);
    }

    // ---------------------------------------------------------------- checks

    /**
     * API versions before 1.24 took a HostConfig in the start body, and daemons that still serve
     * them apply it. Nobody sends one today (the CLI sends no body), so anything but an empty
     * object or null is refused.
     */
    private static void checkStart(Object document) throws Refusal {
        if (document == Json.NULL || (document instanceof Map && ((Map<?, ?>) document).isEmpty())) {
            return;
        }
        throw Refusal.deny("", "a HostConfig in the start request (API < 1.24) is not allowed while a container policy is on");
    }

    private void checkContainerCreate(Node root) throws Refusal {
        for (String key : root.map.keySet()) {
            if (TOP_LEVEL_HOSTCONFIG_FIELDS.contains(Json.fold(key))) {
                throw Refusal.deny(Json.quote(key), "HostConfig fields are only allowed inside HostConfig"
                        + " (older daemons also read them at the top level, where they would not be checked)");
            }
        }
        if (restrictImages) {
            checkImage(root, "Image");
        }
        Node host = root.object("HostConfig");
        if (host != null) {
            checkHostConfig(host);
        }
        if (denyHostNamespaces) {
            Node networking = root.object("NetworkingConfig");
            Node endpoints = networking == null ? null : networking.object("EndpointsConfig");
            // Network names are compared exactly by the daemon; this is a map, not a struct.
            if (endpoints != null && endpoints.map.containsKey("host")) {
                throw Refusal.deny(endpoints.pathOf("host"), "the host network is not allowed");
            }
        }
    }

    private void checkHostConfig(Node host) throws Refusal {
        if (denyPrivileged && host.isTrue("Privileged")) {
            throw Refusal.deny(host.pathOf("Privileged"), "privileged containers are not allowed");
        }
        if (denyHostNamespaces) {
            for (String field : NAMESPACE_FIELDS) {
                String mode = host.string(field);
                // Compared exactly, as the daemon does (NetworkMode.IsHost: n == "host").
                if ("host".equals(mode)) {
                    throw Refusal.deny(host.pathOf(field), "the host's namespace is not allowed");
                }
                // "container:<id>" joins another container's namespace, which may be the host's
                // (a container started with --pid host): the proxy cannot see which.
                if (mode != null && mode.startsWith("container:")) {
                    throw Refusal.deny(host.pathOf(field), "joining another container's namespace is not allowed"
                            + " (that container may share the host's)");
                }
            }
        }
        if (restrictCaps) {
            checkCapabilities(host, "CapAdd");
            // API 1.40 had HostConfig.Capabilities, which replaces the default set entirely.
            if (host.hasElements("Capabilities")) {
                throw Refusal.deny(host.pathOf("Capabilities"), "replacing the capability set is not allowed");
            }
        }
        if (denyDevices) {
            for (String field : List.of("Devices", "DeviceCgroupRules", "DeviceRequests")) {
                if (host.hasElements(field)) {
                    throw Refusal.deny(host.pathOf(field), "access to host devices is not allowed");
                }
            }
        }
        if (denyUnsafeSecurityOpts) {
            for (String option : host.strings("SecurityOpt")) {
                String why = DaemonSyntax.unsafeSecurityOption(option);
                if (why != null) {
                    throw Refusal.deny(host.pathOf("SecurityOpt"), Json.quote(option) + ": " + why);
                }
            }
            // Any list replaces the daemon's defaults; the CLI's --security-opt
            // systempaths=unconfined is sent as empty lists here, not as a SecurityOpt.
            for (String field : List.of("MaskedPaths", "ReadonlyPaths")) {
                if (host.array(field) != null) {
                    throw Refusal.deny(host.pathOf(field), "overriding the masked and read-only /proc and /sys paths is not allowed");
                }
            }
            // Passed to the OCI runtime as is (API 1.43+); some runtimes (Kata, crun) read
            // annotations as settings, including ones that reach the host.
            if (!host.stringMap("Annotations").isEmpty()) {
                throw Refusal.deny(host.pathOf("Annotations"), "runtime annotations are not allowed");
            }
        }
        if (restrictBinds) {
            List<String> binds = host.strings("Binds");
            for (int i = 0; i < binds.size(); i++) {
                checkBindSpec(binds.get(i), host.pathOf("Binds") + "[" + i + "]");
            }
            checkMounts(host, "Mounts");
            // VolumesFrom copies every mount of another container, binds included, unseen.
            if (host.hasElements("VolumesFrom")) {
                throw Refusal.deny(host.pathOf("VolumesFrom"), "copying another container's mounts is not allowed while bind mounts are restricted");
            }
        }
        if (denyVolumesFrom && host.hasElements("VolumesFrom")) {
            throw Refusal.deny(host.pathOf("VolumesFrom"), "mounting volumes from another container is not allowed");
        }
        if (denySysctls && !host.stringMap("Sysctls").isEmpty()) {
            throw Refusal.deny(host.pathOf("Sysctls"), "setting sysctls is not allowed");
        }
        if (denyCgroupParent && host.hasText("CgroupParent")) {
            throw Refusal.deny(host.pathOf("CgroupParent"), "choosing the parent cgroup is not allowed");
        }
    }

    private void checkExec(Node exec) throws Refusal {
        if (denyPrivileged && exec.isTrue("Privileged")) {
            throw Refusal.deny(exec.pathOf("Privileged"), "privileged exec is not allowed");
        }
        if (denyRootExec) {
            String user = exec.string("User");
            if (user == null || user.isEmpty()) {
                throw Refusal.deny(exec.pathOf("User"), "an exec without a user runs as the container's default user,"
                        + " which may be root; name a non-root user (docker exec -u UID)");
            }
            if (DaemonSyntax.mayBeRoot(user)) {
                throw Refusal.deny(exec.pathOf("User"), Json.quote(user) + ": exec as root is not allowed");
            }
        }
    }

    /**
     * Swarm services: TaskTemplate.ContainerSpec has its own names for the same things, and no
     * Privileged or Devices fields at all. Plugin services (TaskTemplate.PluginSpec) install a
     * managed plugin, which can be granted host privileges, so they count as privileged.
     */
    private void checkService(Node spec) throws Refusal {
        Node task = spec.object("TaskTemplate");
        if (denyHostNamespaces) {
            checkServiceNetworks(spec, "Networks"); // deprecated top-level location
            if (task != null) {
                checkServiceNetworks(task, "Networks");
            }
        }
        if (task == null) {
            if (restrictImages) {
                throw Refusal.deny("TaskTemplate.ContainerSpec.Image", "an image is required by the image allow-list");
            }
            return;
        }
        if (denyPrivileged) {
            if (task.object("PluginSpec") != null || task.object("NetworkAttachmentSpec") != null) {
                throw Refusal.deny(task.pathOf(task.object("PluginSpec") != null ? "PluginSpec" : "NetworkAttachmentSpec"),
                        "only container services are allowed (plugins can be granted host privileges)");
            }
            String runtime = task.string("Runtime");
            if (runtime != null && !runtime.isEmpty() && !runtime.equals("container")) {
                throw Refusal.deny(task.pathOf("Runtime"), Json.quote(runtime) + ": only container services are allowed");
            }
        }
        if (denyDevices) {
            Node resources = task.object("Resources");
            Node reservations = resources == null ? null : resources.object("Reservations");
            if (reservations != null && reservations.hasElements("GenericResources")) {
                throw Refusal.deny(reservations.pathOf("GenericResources"), "reserving node devices is not allowed");
            }
        }
        Node container = task.object("ContainerSpec");
        if (container == null) {
            if (restrictImages) {
                throw Refusal.deny(task.pathOf("ContainerSpec.Image"), "an image is required by the image allow-list");
            }
            return;
        }
        if (restrictImages) {
            checkImage(container, "Image");
        }
        if (restrictCaps) {
            checkCapabilities(container, "CapabilityAdd");
        }
        if (denySysctls && !container.stringMap("Sysctls").isEmpty()) {
            throw Refusal.deny(container.pathOf("Sysctls"), "setting sysctls is not allowed");
        }
        if (restrictBinds) {
            checkMounts(container, "Mounts");
        }
        if (denyUnsafeSecurityOpts) {
            checkSwarmPrivileges(container.object("Privileges"));
        }
    }

    private static void checkServiceNetworks(Node node, String field) throws Refusal {
        for (Node network : node.objects(field)) {
            // Only the name can be recognised; see README (the host network's ID is not).
            if ("host".equals(network.string("Target"))) {
                throw Refusal.deny(network.pathOf("Target"), "the host network is not allowed");
            }
        }
    }

    private static void checkSwarmPrivileges(Node privileges) throws Refusal {
        if (privileges == null) {
            return;
        }
        Node seccomp = privileges.object("Seccomp");
        if (seccomp != null) {
            String mode = seccomp.string("Mode");
            if (!(mode == null || mode.isEmpty() || mode.equals("default")) || seccomp.hasText("Profile")) {
                throw Refusal.deny(seccomp.path, "only the default seccomp profile is allowed");
            }
        }
        Node apparmor = privileges.object("AppArmor");
        if (apparmor != null) {
            String mode = apparmor.string("Mode");
            if (!(mode == null || mode.isEmpty() || mode.equals("default"))) {
                throw Refusal.deny(apparmor.pathOf("Mode"), Json.quote(mode) + ": only the default AppArmor profile is allowed");
            }
        }
        Node selinux = privileges.object("SELinuxContext");
        if (selinux != null) {
            if (selinux.isTrue("Disable")) {
                throw Refusal.deny(selinux.pathOf("Disable"), "disabling SELinux labels is not allowed");
            }
            for (String field : List.of("User", "Role", "Type", "Level")) {
                if (selinux.hasText(field)) {
                    throw Refusal.deny(selinux.pathOf(field), "SELinux label options are not allowed");
                }
            }
        }
    }

    private void checkImage(Node node, String field) throws Refusal {
        String image = node.string(field);
        if (image == null || image.isEmpty()) {
            throw Refusal.deny(node.pathOf(field), "an image is required by the image allow-list");
        }
        for (Pattern pattern : allowedImages) {
            if (pattern.matches(image)) {
                return;
            }
        }
        throw Refusal.deny(node.pathOf(field), Json.quote(image) + " does not match an allowed image pattern");
    }

    private void checkCapabilities(Node node, String field) throws Refusal {
        for (String requested : node.strings(field)) {
            String capability = DaemonSyntax.normaliseCapability(requested);
            if (capability == null) {
                throw Refusal.deny(node.pathOf(field), Json.quote(requested) + " is not a capability name");
            }
            if (!allowedCaps.contains(capability) && !allowedCaps.contains("ALL")) {
                throw Refusal.deny(node.pathOf(field), capability.equals("ALL")
                        ? "adding ALL capabilities is not allowed"
                        : "capability " + capability + " is not in the allowed list");
            }
        }
    }

    /**
     * One HostConfig.Binds entry, parsed like moby's linuxParser.ParseMountRaw: split at ':' into
     * at most 4 parts; one part is an anonymous volume; with 2 or 3 parts the first is the
     * source, a bind when absolute and a named volume otherwise.
     */
    private void checkBindSpec(String spec, String where) throws Refusal {
        String[] parts = spec.split(":", 4);
        if (parts[0].isEmpty() || parts.length == 4) {
            throw Refusal.bad(where, Json.quote(spec) + " is not a valid bind specification");
        }
        if (parts.length == 1 || !parts[0].startsWith("/")) {
            return;
        }
        checkHostPath(parts[0], where);
    }

    /**
     * HostConfig.Mounts or ContainerSpec.Mounts. Mount types are compared exactly, like the
     * daemon's switch. Types that cannot reach host storage pass; "volume" is checked for local
     * driver options that bind a host path; every other type (npipe, cluster, newer types such
     * as one exposing the API socket) is refused while bind mounts are restricted.
     */
    private void checkMounts(Node node, String field) throws Refusal {
        for (Node mount : node.objects(field)) {
            String type = mount.string("Type");
            if ("bind".equals(type)) {
                String source = mount.string("Source");
                if (source == null || source.isEmpty()) {
                    throw Refusal.bad(mount.pathOf("Source"), "a bind mount needs a source");
                }
                checkHostPath(source, mount.pathOf("Source"));
            } else if ("volume".equals(type)) {
                Node options = mount.object("VolumeOptions");
                Node driver = options == null ? null : options.object("DriverConfig");
                if (driver != null) {
                    checkVolumeDriver(driver.string("Name"), driver.stringMap("Options"), driver.pathOf("Options"));
                }
            } else if (!"tmpfs".equals(type) && !"image".equals(type)) {
                throw Refusal.deny(mount.pathOf("Type"), (type == null ? "a missing type" : Json.quote(type))
                        + " is not allowed while bind mounts are restricted");
            }
        }
    }

    /**
     * Volume driver options (POST /volumes/create DriverOpts, or a volume mount's DriverConfig).
     * The local driver mounts whatever it is told: "o=bind" (or "rbind") with a device path is a
     * bind mount of that host path; a type such as ext4 with device /dev/sda1 mounts a host disk;
     * overlay takes host paths in "o". So, while bind mounts are restricted, local options are
     * only accepted for bind mounts under the allowed paths, tmpfs and network file systems, and
     * plugin drivers' options are refused (a plugin may bind host paths too).
     */
    private void checkVolumeDriver(String driver, Map<String, String> options, String where) throws Refusal {
        if (options.isEmpty()) {
            return;
        }
        if (driver != null && !driver.isEmpty() && !driver.equals("local")) {
            throw Refusal.deny(where, "options for volume driver " + Json.quote(driver)
                    + " are not allowed while bind mounts are restricted (a driver can mount host paths)");
        }
        // The local driver's option names are exact ("type", "device", "o"), as are mount flags.
        Set<String> flags = Set.of(options.getOrDefault("o", "").split(","));
        if (flags.contains("remount") || flags.contains("move")) {
            throw Refusal.deny(where, "remount and move mount options are not allowed");
        }
        if (flags.contains("bind") || flags.contains("rbind")) {
            String device = options.get("device");
            if (device == null || device.isEmpty()) {
                throw Refusal.bad(where + ".device", "a bind volume needs a device path");
            }
            checkHostPath(device, where + ".device");
            return;
        }
        String type = options.getOrDefault("type", "");
        if (!SAFE_LOCAL_VOLUME_TYPES.contains(type)) {
            throw Refusal.deny(where, "a local volume of type " + Json.quote(type) + " can mount host storage;"
                    + " allowed are bind mounts under the allowed paths, tmpfs, nfs, nfs4, cifs and smb3");
        }
    }

    private void checkHostPath(String path, String where) throws Refusal {
        String clean = HostPaths.clean(path);
        if (clean == null) {
            throw Refusal.deny(where, Json.quote(path) + ": a host path must be absolute, without backslashes or control characters");
        }
        for (String root : allowedBindRoots) {
            if (HostPaths.isUnder(clean, root)) {
                return;
            }
        }
        throw Refusal.deny(where, "host path " + Json.quote(clean) + " is not under an allowed path");
    }

    // ---------------------------------------------------------------- forced labels

    /**
     * Sets every forced label on {@code node}'s Labels (the container config, or a service's
     * ContainerSpec), creating the object when unset. A client label that differs from a forced
     * key only in case is removed, so the body keeps one label per folded key, as the parser
     * requires when the rewritten body is checked again.
     */
    private void applyForcedLabels(Node node) throws Refusal {
        node.stringMap("Labels"); // type check: an object of strings, or unset
        String key = Json.keyOf(node.map, "Labels");
        Object current = key == null ? null : node.map.get(key);
        Map<String, Object> labels;
        if (current instanceof Map) {
            @SuppressWarnings("unchecked")
            Map<String, Object> existing = (Map<String, Object>) current;
            labels = existing;
        } else {
            labels = new LinkedHashMap<>();
            node.map.put(key == null ? "Labels" : key, labels);
        }
        for (Map.Entry<String, String> forced : forcedLabels.entrySet()) {
            String folded = Json.fold(forced.getKey());
            labels.keySet().removeIf(k -> !k.equals(forced.getKey()) && Json.fold(k).equals(folded));
            labels.put(forced.getKey(), forced.getValue());
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Set<String> folded(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        names.forEach(n -> out.add(Json.fold(n)));
        return Collections.unmodifiableSet(out);
    }

    private static void addIf(List<String> out, boolean on, String directive) {
        if (on) {
            out.add(directive);
        }
    }

    // ---------------------------------------------------------------- builder

    /** Collects settings; not thread-safe. Each method turns its setting on and returns this. */
    public static final class Builder {
        private boolean denyPrivileged;
        private boolean denyHostNamespaces;
        private boolean restrictCaps;
        private final Set<String> allowedCaps = new LinkedHashSet<>();
        private boolean denyDevices;
        private boolean denyUnsafeSecurityOpts;
        private boolean restrictBinds;
        private final List<String> allowedBindRoots = new ArrayList<>();
        private boolean denyVolumesFrom;
        private boolean denySysctls;
        private boolean denyCgroupParent;
        private boolean denyRootExec;
        private boolean restrictImages;
        private final List<Pattern> allowedImages = new ArrayList<>();
        private final List<String> allowedImageTexts = new ArrayList<>();
        private final Map<String, String> forcedLabels = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder denyPrivileged() {
            denyPrivileged = true;
            return this;
        }

        public Builder denyHostNamespaces() {
            denyHostNamespaces = true;
            return this;
        }

        /** No added capabilities except those given to {@link #allowCapability}. */
        public Builder restrictCapabilities() {
            restrictCaps = true;
            return this;
        }

        /** Also turns on {@link #restrictCapabilities}. "ALL" allows every capability. */
        public Builder allowCapability(String name) {
            String capability = DaemonSyntax.normaliseCapability(name);
            if (capability == null) {
                throw new IllegalArgumentException("not a capability name: " + Json.quote(name));
            }
            restrictCaps = true;
            allowedCaps.add(capability);
            return this;
        }

        public Builder denyDevices() {
            denyDevices = true;
            return this;
        }

        public Builder denyUnsafeSecurityOptions() {
            denyUnsafeSecurityOpts = true;
            return this;
        }

        /** No bind mounts (and no VolumesFrom) except under paths given to {@link #allowBind}. */
        public Builder restrictBinds() {
            restrictBinds = true;
            return this;
        }

        /** Also turns on {@link #restrictBinds}. The path must be absolute; "/" allows all. */
        public Builder allowBind(String path) {
            String clean = HostPaths.clean(path);
            if (clean == null) {
                throw new IllegalArgumentException("not an absolute path: " + Json.quote(path));
            }
            restrictBinds = true;
            if (!allowedBindRoots.contains(clean)) {
                allowedBindRoots.add(clean);
            }
            return this;
        }

        public Builder denyVolumesFrom() {
            denyVolumesFrom = true;
            return this;
        }

        public Builder denySysctls() {
            denySysctls = true;
            return this;
        }

        public Builder denyCgroupParent() {
            denyCgroupParent = true;
            return this;
        }

        public Builder denyRootExec() {
            denyRootExec = true;
            return this;
        }

        /** No image except those matching a pattern given to {@link #allowImage}. */
        public Builder restrictImages() {
            restrictImages = true;
            return this;
        }

        /**
         * Also turns on {@link #restrictImages}. An RE2 pattern matched against the whole image
         * reference as sent (anchored at both ends, alternatives included); rule variables such
         * as %IMAGE_TAG% expand.
         */
        public Builder allowImage(String regex) {
            Pattern pattern;
            try {
                pattern = Pattern.compile("^(?:" + Variables.expand(regex) + ")$");
            } catch (PatternSyntaxException | IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid image pattern " + Json.quote(regex) + ": " + e.getMessage(), e);
            }
            restrictImages = true;
            allowedImages.add(pattern);
            allowedImageTexts.add(regex);
            return this;
        }

        /** Sets label {@code key} to {@code value} on every created container, replacing the client's. */
        public Builder forceLabel(String key, String value) {
            if (key.isEmpty()) {
                throw new IllegalArgumentException("a forced label needs a key (KEY=VALUE)");
            }
            for (String existing : forcedLabels.keySet()) {
                if (Json.fold(existing).equals(Json.fold(key))) {
                    throw new IllegalArgumentException("label " + Json.quote(key) + " is already forced as " + Json.quote(existing));
                }
            }
            forcedLabels.put(key, value);
            return this;
        }

        /**
         * Applies one setting written as in a profiles file, e.g. {@code deny-privileged} or
         * {@code allow-bind /srv/data}. The argument is the rest of the line, trimmed.
         *
         * @throws IllegalArgumentException naming what is wrong
         */
        public Builder directive(String text) {
            String trimmed = text.strip();
            int blank = indexOfBlank(trimmed);
            String name = blank < 0 ? trimmed : trimmed.substring(0, blank);
            String argument = blank < 0 ? "" : trimmed.substring(blank + 1).strip();
            boolean wantsArgument = name.startsWith("allow-") || name.equals("force-label");
            if (wantsArgument && argument.isEmpty()) {
                throw new IllegalArgumentException("policy setting " + name + " needs an argument");
            }
            if (!wantsArgument && !argument.isEmpty()) {
                throw new IllegalArgumentException("policy setting " + name + " takes no argument");
            }
            switch (name) {
                case "deny-privileged": return denyPrivileged();
                case "deny-host-namespaces": return denyHostNamespaces();
                case "restrict-caps": return restrictCapabilities();
                case "allow-cap": return allowCapability(argument);
                case "deny-devices": return denyDevices();
                case "deny-unsafe-security-opts": return denyUnsafeSecurityOptions();
                case "restrict-binds": return restrictBinds();
                case "allow-bind": return allowBind(argument);
                case "deny-volumes-from": return denyVolumesFrom();
                case "deny-sysctls": return denySysctls();
                case "deny-cgroup-parent": return denyCgroupParent();
                case "deny-root-exec": return denyRootExec();
                case "restrict-images": return restrictImages();
                case "allow-image": return allowImage(argument);
                case "force-label": {
                    int equals = argument.indexOf('=');
                    if (equals < 0) {
                        throw new IllegalArgumentException("force-label needs KEY=VALUE");
                    }
                    return forceLabel(argument.substring(0, equals), argument.substring(equals + 1));
                }
                default:
                    throw new IllegalArgumentException("unknown policy setting " + Json.quote(name));
            }
        }

        private static int indexOfBlank(String s) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                    return i;
                }
            }
            return -1;
        }

        public ContainerPolicy build() {
            return new ContainerPolicy(this);
        }
    }
}
