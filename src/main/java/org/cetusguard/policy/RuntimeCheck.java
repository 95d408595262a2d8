package org.cetusguard.policy;

import java.util.List;

import org.cetusguard.json.JsonWriter;

/**
 * restrict-runtimes and allow-runtime: the OCI runtime a container runs under. The daemon's default
 * (an empty field) and runc are Docker's own; any other runtime the daemon is configured with may
 * run containers with other confinement (or none), so it must be listed.
 */
final class RuntimeCheck extends Check {
    private final boolean on;
    private final List<String> allowed;

    RuntimeCheck(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.RESTRICT_RUNTIMES);
        allowed = settings.values(Setting.ALLOW_RUNTIME, String.class);
    }

    @Override
    void hostConfig(Node host) throws Refusal {
        String runtime = on ? host.string("Runtime") : null;
        if (runtime != null && !runtime.isEmpty() && !runtime.equals("runc") && !allowed.contains(runtime)) {
            throw Refusal.deny(host.pathOf("Runtime"), "runtime " + JsonWriter.quote(runtime) + " is not allowed");
        }
    }
}
