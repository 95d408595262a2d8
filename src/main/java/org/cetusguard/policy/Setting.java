package org.cetusguard.policy;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Every container-policy setting, once: its directive (as written after {@code -policy} or
 * {@code policy} in a profile), how its argument is read, which request bodies it needs to see,
 * what it refuses (the README's table says the same), and which settings it turns on with it.
 * Adding a setting means adding a line here and, for a new kind of refusal, the check that enforces
 * it; the parser, the description, the startup log and lint read this table.
 */
public enum Setting {
    DENY_HOST_ACCESS("deny-host-access", null, in(),
            "everything marked (host) below: every way a container can reach the host; refine it with allow-bind,"
                    + " allow-bind-readonly, allow-cap, allow-runtime, allow-volume-driver",
            "deny-privileged", "deny-host-namespaces", "restrict-caps", "deny-devices", "deny-unsafe-security-opts",
            "restrict-binds", "deny-volumes-from", "deny-sysctls", "deny-cgroup-parent", "restrict-runtimes",
            "restrict-volume-drivers"),
    DENY_PRIVILEGED("deny-privileged", null, in(Scope.CONTAINERS, Scope.EXEC),
            "(host) privileged containers and exec, plugin and non-container services"),
    DENY_HOST_NAMESPACES("deny-host-namespaces", null, in(Scope.CONTAINERS),
            "(host) pid/ipc/uts/userns/cgroupns/network `host` and `container:<id>` modes; a container that names no"
                    + " cgroup namespace mode is created with `private`"),
    RESTRICT_CAPS("restrict-caps", null, in(Scope.CONTAINERS),
            "(host) added capabilities beyond Docker's default set, unless listed with allow-cap; replacing the set"),
    ALLOW_CAP("allow-cap", Arguments::capability, in(Scope.CONTAINERS),
            "nothing: allows adding capability NAME (`ALL` allows every one)", "restrict-caps"),
    DENY_DEVICES("deny-devices", null, in(Scope.CONTAINERS),
            "(host) `Devices`, `DeviceCgroupRules`, `DeviceRequests` (`--gpus`), swarm generic resources"),
    DENY_UNSAFE_SECURITY_OPTS("deny-unsafe-security-opts", null, in(Scope.CONTAINERS),
            "(host) seccomp/AppArmor other than the defaults, SELinux label options, `no-new-privileges=false`,"
                    + " `systempaths=unconfined`, masked/read-only path overrides, runtime annotations"),
    RESTRICT_BINDS("restrict-binds", null, in(Scope.CONTAINERS, Scope.VOLUMES),
            "(host) host paths in binds, mounts and local volumes, except as allow-bind and allow-bind-readonly"
                    + " say; `--volumes-from`"),
    ALLOW_BIND("allow-bind", Arguments::hostPath, in(Scope.CONTAINERS, Scope.VOLUMES),
            "nothing: allows binding directory PATH itself, read-write (`/` allows every host path)", "restrict-binds"),
    ALLOW_BIND_READONLY("allow-bind-readonly", Arguments::hostPath, in(Scope.CONTAINERS, Scope.VOLUMES),
            "nothing: allows binding PATH and paths below it, read-only only; says containers cannot write there",
            "restrict-binds"),
    DENY_VOLUMES_FROM("deny-volumes-from", null, in(Scope.CONTAINERS), "(host) `--volumes-from`"),
    DENY_SYSCTLS("deny-sysctls", null, in(Scope.CONTAINERS), "(host) `--sysctl`"),
    DENY_CGROUP_PARENT("deny-cgroup-parent", null, in(Scope.CONTAINERS), "(host) `--cgroup-parent`"),
    RESTRICT_RUNTIMES("restrict-runtimes", null, in(Scope.CONTAINERS),
            "(host) an OCI runtime other than the daemon's default and `runc`, unless listed with allow-runtime"),
    ALLOW_RUNTIME("allow-runtime", Arguments::name, in(Scope.CONTAINERS), "nothing: allows runtime NAME", "restrict-runtimes"),
    RESTRICT_VOLUME_DRIVERS("restrict-volume-drivers", null, in(Scope.CONTAINERS, Scope.VOLUMES),
            "(host) volume drivers other than `local`, unless listed with allow-volume-driver"),
    ALLOW_VOLUME_DRIVER("allow-volume-driver", Arguments::name, in(Scope.CONTAINERS, Scope.VOLUMES),
            "nothing: allows volume driver NAME", "restrict-volume-drivers"),
    DENY_ROOT_EXEC("deny-root-exec", null, in(Scope.EXEC), "exec without `-u`, or as `root` / uid 0"),
    RESTRICT_IMAGES("restrict-images", null, in(Scope.CONTAINERS),
            "images the daemon would run that have no name matching an allow-image pattern"),
    ALLOW_IMAGE("allow-image", Arguments::imagePattern, in(Scope.CONTAINERS),
            "nothing: allows images with a name matching RE2 pattern REGEX (whole name; `%VARIABLES%` expand)",
            "restrict-images"),
    FORCE_LABEL("force-label", Arguments::label, in(Scope.CONTAINERS), "nothing: sets label KEY=VALUE on every container created"),
    REDACT_ENV("redact-env", null, in(),
            "nothing; answers that carry environment variables (container, image, service, task and plugin inspect and lists)"
                    + " show each `NAME=` with a marker instead of the value, and secret-looking option values in commands"
                    + " (`--password=...`) likewise; answers that could carry them in a form it cannot rewrite (image save,"
                    + " libpod generate) are refused"),
    SHOW_ENV("show-env", Arguments::envName, in(), "nothing: keeps the value of environment variable NAME visible under redact-env",
            "redact-env"),
    ONLY_LABEL("only-label", Arguments::scopeLabel, in(Scope.CONTAINERS),
            "every container without label KEY (or KEY=VALUE; repeat it to require several): lists leave it out, calls"
                    + " naming it are answered as for a missing container (404), its events are not shown; containers"
                    + " created get the label");

    /** Which request bodies a setting needs to read. */
    enum Scope { CONTAINERS, EXEC, VOLUMES }

    private static Set<Scope> in(Scope... scopes) {
        return Set.of(scopes);
    }

    /** Reads a setting's argument; throws IllegalArgumentException naming what is wrong. */
    interface ArgumentReader {
        Object read(String argument);
    }

    private final String directive;
    private final ArgumentReader argument;
    private final Set<Scope> scopes;
    private final String refuses;
    private final List<String> implies;

    Setting(String directive, ArgumentReader argument, Set<Scope> scopes, String refuses, String... implies) {
        this.directive = directive;
        this.argument = argument;
        this.scopes = scopes;
        this.refuses = refuses;
        this.implies = List.of(implies);
    }

    /** As written in -policy values and profiles, e.g. {@code allow-bind}. */
    public String directive() {
        return directive;
    }

    /** Whether the directive takes an argument (the rest of the line). */
    public boolean takesArgument() {
        return argument != null;
    }

    /** What it refuses, in a few words; "(host)" marks the protections deny-host-access turns on. */
    public String refuses() {
        return refuses;
    }

    Object readArgument(String text) {
        return argument.read(text);
    }

    Set<Scope> scopes() {
        return scopes;
    }

    /** The settings this one turns on too. */
    public Set<Setting> implied() {
        EnumSet<Setting> out = EnumSet.noneOf(Setting.class);
        implies.forEach(name -> out.add(of(name)));
        return out;
    }

    /** The setting written {@code directive}, or null. */
    public static Setting of(String directive) {
        for (Setting setting : values()) {
            if (setting.directive.equals(directive)) {
                return setting;
            }
        }
        return null;
    }
}
