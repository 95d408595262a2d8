package org.cetusguard.policy;

import org.cetusguard.json.JsonWriter;

/** deny-privileged: privileged containers and exec, and swarm services that are not plain containers. */
final class PrivilegeCheck extends Check {
    private final boolean on;

    PrivilegeCheck(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.DENY_PRIVILEGED);
    }

    @Override
    void hostConfig(Node host) throws Refusal {
        if (on && host.isTrue("Privileged")) {
            throw Refusal.deny(host.pathOf("Privileged"), "privileged containers are not allowed");
        }
    }

    @Override
    void exec(Node exec) throws Refusal {
        if (on && exec.isTrue("Privileged")) {
            throw Refusal.deny(exec.pathOf("Privileged"), "privileged exec is not allowed");
        }
    }

    /** Plugin services (TaskTemplate.PluginSpec) install a managed plugin, which can be granted host privileges. */
    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        if (!on || task == null) {
            return;
        }
        for (String field : new String[] {"PluginSpec", "NetworkAttachmentSpec"}) {
            if (task.object(field) != null) {
                throw Refusal.deny(task.pathOf(field), "only container services are allowed (plugins can be granted host privileges)");
            }
        }
        String runtime = task.string("Runtime");
        if (runtime != null && !runtime.isEmpty() && !runtime.equals("container")) {
            throw Refusal.deny(task.pathOf("Runtime"), JsonWriter.quote(runtime) + ": only container services are allowed");
        }
    }
}
