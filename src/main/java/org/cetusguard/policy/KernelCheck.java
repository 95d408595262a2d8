package org.cetusguard.policy;

/** deny-sysctls and deny-cgroup-parent: kernel parameters and the cgroup a container is placed in. */
final class KernelCheck extends Check {
    private final boolean sysctls;
    private final boolean cgroupParent;

    KernelCheck(PolicySettings settings) {
        super(settings);
        sysctls = settings.on(Setting.DENY_SYSCTLS);
        cgroupParent = settings.on(Setting.DENY_CGROUP_PARENT);
    }

    @Override
    void hostConfig(Node host) throws Refusal {
        if (sysctls && host.hasEntries("Sysctls")) {
            throw Refusal.deny(host.pathOf("Sysctls"), "setting sysctls is not allowed");
        }
        if (cgroupParent && host.hasText("CgroupParent")) {
            throw Refusal.deny(host.pathOf("CgroupParent"), "choosing the parent cgroup is not allowed");
        }
    }

    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        if (sysctls && container != null && container.hasEntries("Sysctls")) {
            throw Refusal.deny(container.pathOf("Sysctls"), "setting sysctls is not allowed");
        }
    }
}
