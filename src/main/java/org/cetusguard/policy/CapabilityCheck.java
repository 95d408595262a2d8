package org.cetusguard.policy;

import java.util.List;
import java.util.Set;

import org.cetusguard.json.JsonWriter;

/** restrict-caps and allow-cap: no capability beyond Docker's default set unless the operator listed it. */
final class CapabilityCheck extends Check {
    /** What every container gets anyway (moby oci/caps defaults): adding one of these changes nothing. */
    static final Set<String> DOCKER_DEFAULTS = Set.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    private final boolean on;
    private final List<String> allowed;

    CapabilityCheck(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.RESTRICT_CAPS);
        allowed = settings.values(Setting.ALLOW_CAP, String.class);
    }

    @Override
    void hostConfig(Node host) throws Refusal {
        if (!on) {
            return;
        }
        check(host, "CapAdd");
        // API 1.40 had HostConfig.Capabilities, which replaces the default set entirely.
        if (host.hasElements("Capabilities")) {
            throw Refusal.deny(host.pathOf("Capabilities"), "replacing the capability set is not allowed");
        }
    }

    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        if (on && container != null) {
            check(container, "CapabilityAdd");
            // Named like HostConfig's field of API 1.40 that replaced the whole set: refused the same way.
            if (container.hasElements("Capabilities")) {
                throw Refusal.deny(container.pathOf("Capabilities"), "replacing the capability set is not allowed");
            }
        }
    }

    private void check(Node node, String field) throws Refusal {
        node.forEachString(field, (i, requested) -> {
            String capability = DaemonSyntax.normaliseCapability(requested);
            if (capability == null) {
                throw Refusal.deny(node.pathOf(field), JsonWriter.quote(requested) + " is not a capability name");
            }
            if (!DOCKER_DEFAULTS.contains(capability) && !allowed.contains(capability) && !allowed.contains("ALL")) {
                throw Refusal.deny(node.pathOf(field), capability.equals("ALL")
                        ? "adding ALL capabilities is not allowed"
                        : "capability " + capability + " is not in Docker's default set nor in the allowed list");
            }
        });
    }
}
