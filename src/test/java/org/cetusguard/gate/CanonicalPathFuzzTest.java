package org.cetusguard.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes {@link CanonicalPath#of}. Any exception but RejectedPathException fails the test (Jazzer
 * reports it as a finding); a path it accepts must be one the daemon reads exactly as the rules did.
 *
 * <p>`mvn verify` replays the seeds in src/test/resources/org/cetusguard/proxy/CanonicalPathFuzzTestInputs
 * (regression mode, a fraction of a second); {@code JAZZER_FUZZ=1 mvn test -Dtest=CanonicalPathFuzzTest}
 * fuzzes for {@code maxDuration}.
 */
class CanonicalPathFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void canonicalPath(FuzzedDataProvider data) {
        String raw = data.consumeRemainingAsString();
        CanonicalPath path;
        try {
            path = CanonicalPath.of(raw);
        } catch (CanonicalPath.RejectedPathException rejected) {
            return;
        }
        String decoded = path.decoded();
        assertTrue(decoded.startsWith("/"), decoded);
        assertFalse(decoded.contains("//"), decoded);
        assertFalse(decoded.contains("/./") || decoded.endsWith("/."), decoded);
        assertFalse(decoded.contains("/../") || decoded.endsWith("/.."), decoded);
        assertFalse(decoded.length() > 1 && decoded.endsWith("/"), decoded);
        assertFalse(decoded.contains("\\"), decoded);
        assertFalse(decoded.contains(";"), decoded);
        assertFalse(decoded.contains("%"), decoded);
        for (int i = 0; i < decoded.length(); i++) {
            assertFalse(Character.isISOControl(decoded.charAt(i)), "control character in " + decoded);
        }
        // The encoded form carries nothing a second decoder or a router could read differently.
        String encoded = path.encoded();
        assertFalse(encoded.contains("%25") || encoded.contains("%2F") || encoded.contains("%5C")
                || encoded.contains("%2E") || encoded.contains(";") || encoded.contains("?") || encoded.contains("#"), encoded);
        // Idempotent: what is forwarded is canonical, and means the same path.
        CanonicalPath again;
        try {
            again = CanonicalPath.of(encoded);
        } catch (CanonicalPath.RejectedPathException e) {
            throw new AssertionError("the forwarded form " + encoded + " of " + raw + " is refused: " + e.getMessage());
        }
        assertEquals(decoded, again.decoded());
        assertEquals(encoded, again.encoded());
    }
}
