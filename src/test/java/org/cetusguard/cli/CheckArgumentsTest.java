package org.cetusguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

import org.cetusguard.config.ConfigException;
import org.cetusguard.profile.ClientIdentity;
import org.junit.jupiter.api.Test;

/** check's own options (--as, --body) taken out of its arguments, in every spelling, and the errors they give. */
class CheckArgumentsTest {
    @Test
    void theRestIsLeftInOrderForTheProxyOptions() throws Exception {
        CheckArguments parsed = CheckArguments.parse(new String[] {"-rules-file", "a.rules", "--body", "b.json", "-log-level=7", "POST", "/x"});
        assertEquals(List.of("-rules-file", "a.rules", "-log-level=7", "POST", "/x"), parsed.proxyOptions());
        assertEquals(Path.of("b.json"), parsed.body());
        assertNull(parsed.identity(), "no --as: the default profile");
    }

    @Test
    void everySpellingOfAsBuildsOneIdentity() throws Exception {
        CheckArguments parsed = CheckArguments.parse(new String[] {"--as", "listener=unix:///run/cg.sock", "-as", "source=10.1.2.3",
                "--as=uid=1000", "-as=gid=0", "--as", "subject=CN=portainer,O=ops", "--as", "dns=a.example", "GET", "/_ping"});
        ClientIdentity identity = parsed.identity();
        assertEquals("unix:///run/cg.sock", identity.listener());
        assertEquals(InetAddress.getByName("10.1.2.3"), identity.remote());
        assertEquals(1000, identity.uid());
        assertEquals(0, identity.gid());
        assertEquals(List.of("subject:CN=portainer,O=ops", "dns:a.example"), identity.certSubjectAndSans());
        assertEquals(List.of("GET", "/_ping"), parsed.proxyOptions());
        assertNull(parsed.body());
    }

    @Test
    void anIpv6SourceIsALiteralToo() throws Exception {
        assertEquals(InetAddress.getByName("::1"), CheckArguments.parse(new String[] {"--as", "source=::1"}).identity().remote());
    }

    @Test
    void mistakesAreNamed() {
        assertTrue(error("--as").contains("--as needs a value"));
        assertTrue(error("--body").contains("--body needs a value"));
        assertTrue(error("--body", "a", "--body=b").contains("--body given twice"));
        assertTrue(error("--as", "uid").contains("--as takes KIND=VALUE, not \"uid\""));
        assertTrue(error("--as", "=x").contains("--as takes KIND=VALUE"));
        assertTrue(error("--as", "pid=1").contains("unknown --as kind \"pid\""));
        assertTrue(error("--as", "source=localhost").contains("needs an IP address, not \"localhost\""), "no name is looked up");
        assertTrue(error("--as", "uid=-1").contains("--as uid needs a number, not \"-1\""));
        assertTrue(error("--as", "gid=2147483648").contains("--as gid needs a number"), "beyond int");
        assertTrue(error("--as", "uid=01").contains("--as uid needs a number"));
    }

    @Test
    void aValueIsEscapedInTheMessage() {
        assertTrue(error("--as", "pid\n=1").contains("unknown --as kind \"pid\\u000a\""), error("--as", "pid\n=1"));
    }

    private static String error(String... args) {
        return assertThrows(ConfigException.class, () -> CheckArguments.parse(args)).getMessage();
    }
}
