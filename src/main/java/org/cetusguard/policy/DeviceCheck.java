package org.cetusguard.policy;

import java.util.List;

/** deny-devices: no host device, by path, cgroup rule, device request (--gpus) or swarm generic resource. */
final class DeviceCheck extends Check {
    private final boolean on;

    DeviceCheck(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.DENY_DEVICES);
    }

    @Override
    void hostConfig(Node host) throws Refusal {
        if (!on) {
            return;
        }
        for (String field : List.of("Devices", "DeviceCgroupRules", "DeviceRequests")) {
            if (host.hasElements(field)) {
                throw Refusal.deny(host.pathOf(field), "access to host devices is not allowed");
            }
        }
    }

    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        if (!on || task == null) {
            return;
        }
        Node resources = task.object("Resources");
        Node reservations = resources == null ? null : resources.object("Reservations");
        if (reservations != null && reservations.hasElements("GenericResources")) {
            throw Refusal.deny(reservations.pathOf("GenericResources"), "reserving node devices is not allowed");
        }
    }
}
