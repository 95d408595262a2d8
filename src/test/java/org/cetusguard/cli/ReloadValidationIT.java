package org.cetusguard.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, design: SIGHUP validates what it loads exactly as startup does. A profiles file whose
 * listener is not a frontend stops startup, so a reload must refuse it too and keep what it has.
 */
class ReloadValidationIT {
    @Test
    void aReloadedProfileMustNameARealFrontendAsStartupRequires(@TempDir Path dir) throws Exception {
        Path profiles = dir.resolve("profiles.conf");
        String[] chosen = new String[1];
        // ProxyProcess adds -frontend-addr for a port of its own; this one is the second frontend.
        try (ProxyProcess proxy = ProxyProcess.startOnFreePort(dir, Map.of(), port -> {
            chosen[0] = "tcp://127.0.0.1:" + port;
            Files.writeString(profiles, "[profile a]\nmatch listener " + chosen[0] + "\nrule GET %API_PREFIX_IMAGES%/json\n");
            return new String[] {"-frontend-addr", chosen[0], "-profiles-file", profiles.toString()};
        })) {
            String frontend = chosen[0];
            proxy.awaitLog(proxy.stdout, "serve on " + frontend, Duration.ofSeconds(10));
            // A reload of the same, valid file first: the signal is handled, and reloads are accepted.
            proxy.signal("HUP");
            proxy.awaitLog(proxy.stdout, "rules reloaded", Duration.ofSeconds(10));
            Files.writeString(profiles, "[profile a]\nmatch listener tcp://127.0.0.1:1\nrule GET %API_PREFIX_IMAGES%/json\n");
            proxy.signal("HUP");
            proxy.awaitLog(proxy.stderr, "rules not reloaded", Duration.ofSeconds(10));
            assertTrue(proxy.stderr().contains("tcp://127.0.0.1:1"), proxy.stderr());
            assertTrue(proxy.process.isAlive());
        }
    }
}
