package org.cetusguard.policy;

import java.util.List;

import org.cetusguard.json.JsonWriter;

/** deny-unsafe-security-opts: the daemon's default confinement (seccomp, AppArmor, SELinux, masked paths) stays. */
final class SecurityOptionCheck extends Check {
    private final boolean on;

    SecurityOptionCheck(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.DENY_UNSAFE_SECURITY_OPTS);
    }

    @Override
    void hostConfig(Node host) throws Refusal {
        if (!on) {
            return;
        }
        host.forEachString("SecurityOpt", (i, option) -> {
            String why = DaemonSyntax.unsafeSecurityOption(option);
            if (why != null) {
                throw Refusal.deny(host.pathOf("SecurityOpt"), JsonWriter.quote(option) + ": " + why);
            }
        });
        // Any list replaces the daemon's defaults; the CLI's --security-opt systempaths=unconfined is
        // sent as empty lists here, not as a SecurityOpt.
        for (String field : List.of("MaskedPaths", "ReadonlyPaths")) {
            if (host.hasArray(field)) {
                throw Refusal.deny(host.pathOf(field), "overriding the masked and read-only /proc and /sys paths is not allowed");
            }
        }
        // Passed to the OCI runtime as is (API 1.43+); some runtimes (Kata, crun) read annotations as
        // settings, including ones that reach the host.
        if (host.hasEntries("Annotations")) {
            throw Refusal.deny(host.pathOf("Annotations"), "runtime annotations are not allowed");
        }
    }

    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        Node privileges = on && container != null ? container.object("Privileges") : null;
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
                throw Refusal.deny(apparmor.pathOf("Mode"), JsonWriter.quote(mode) + ": only the default AppArmor profile is allowed");
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
}
