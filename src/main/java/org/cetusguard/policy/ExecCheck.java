package org.cetusguard.policy;

import org.cetusguard.json.JsonWriter;

/** deny-root-exec: an exec names a user, and not root. */
final class ExecCheck extends Check {
    private final boolean on;

    ExecCheck(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.DENY_ROOT_EXEC);
    }

    @Override
    void exec(Node exec) throws Refusal {
        if (!on) {
            return;
        }
        String user = exec.string("User");
        if (user == null || user.isEmpty()) {
            throw Refusal.deny(exec.pathOf("User"), "an exec without a user runs as the container's default user,"
                    + " which may be root; name a non-root user (docker exec -u UID)");
        }
        if (DaemonSyntax.mayBeRoot(user)) {
            throw Refusal.deny(exec.pathOf("User"), JsonWriter.quote(user) + ": exec as root is not allowed");
        }
    }
}
