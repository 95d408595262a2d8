package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Exactly what redact-env hides in environment entries, command words and build instructions, and what it leaves. */
class SecretsTest {
    private static final String M = Secrets.MARKER;

    @Test
    void environmentEntriesKeepTheirNames() {
        assertEquals("A=" + M, Secrets.environmentEntry("A=1", Set.of()));
        assertEquals("A=" + M, Secrets.environmentEntry("A=x=y", Set.of()), "the name ends at the first '='");
        assertEquals("A=" + M, Secrets.environmentEntry("A=", Set.of()), "an empty value is hidden too: its emptiness is a value");
        assertEquals("=" + M, Secrets.environmentEntry("=x", Set.of()));
        assertEquals("NOVALUE", Secrets.environmentEntry("NOVALUE", Set.of()));
        assertEquals("PATH=/bin", Secrets.environmentEntry("PATH=/bin", Set.of("PATH")));
        assertEquals("path=" + M, Secrets.environmentEntry("path=/bin", Set.of("PATH")), "names are compared exactly");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--password=hunter2|--password=" + "[redacted by CetusGuard]",
        "--db-password=x --verbose|--db-password=[redacted by CetusGuard] --verbose",
        "-Dapi.token=abc -jar app.jar|-Dapi.token=[redacted by CetusGuard] -jar app.jar",
        "AWS_SECRET_ACCESS_KEY=k ./run|AWS_SECRET_ACCESS_KEY=[redacted by CetusGuard] ./run",
        "--token abc --next|--token [redacted by CetusGuard] --next",
        "--token -starts-with-dash|--token [redacted by CetusGuard]",
        "--password \"two words\" after|--password [redacted by CetusGuard] after",
        "--password='a b' after|--password=[redacted by CetusGuard] after",
        "sh -c 'app --api-key k1'|sh -c 'app --api-key [redacted by CetusGuard]'",
        "(--secret s);|(--secret [redacted by CetusGuard]);",
        "--credentials=c --auth u:p|--credentials=[redacted by CetusGuard] --auth [redacted by CetusGuard]",
        "--key-file /k --user bob --port 5|--key-file /k --user bob --port 5",
        "mysql -phunter2 -u root|mysql -phunter2 -u root",
        "echo password=visible? no: x|echo password=[redacted by CetusGuard] no: x",
        "plain words only|plain words only"})
    void commandLines(String in, String out) {
        assertEquals(out, Secrets.arguments(in));
    }

    @Test
    void aSecretOptionsValueMayBeTheNextElement() {
        assertArrayEquals(new String[] {"app", "--password", M, "--port", "80"},
                Secrets.arguments(new String[] {"app", "--password", "hunter2", "--port", "80"}));
        assertArrayEquals(new String[] {"sh", "-c", "run --token"}, Secrets.arguments(new String[] {"sh", "-c", "run --token"}),
                "nothing after it: nothing to hide");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "/bin/sh -c #(nop)  ENV A=1 B=two words|/bin/sh -c #(nop)  ENV [redacted by CetusGuard]",
        "ENV LEGACY_TOKEN image-secret|ENV [redacted by CetusGuard]",
        "env lower=case|env [redacted by CetusGuard]",
        "/bin/sh -c #(nop)  CMD [\"serve\" \"--api-key\" \"k\"]|/bin/sh -c #(nop)  CMD [\"serve\" \"--api-key\" [redacted by CetusGuard]]",
        "RUN printenv|RUN printenv",
        "/bin/sh -c apk add curl|/bin/sh -c apk add curl"})
    void buildInstructions(String in, String out) {
        assertEquals(out, Secrets.instruction(in));
    }
}
