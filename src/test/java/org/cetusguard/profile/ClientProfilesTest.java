package org.cetusguard.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import org.cetusguard.policy.ContainerPolicy;
import org.cetusguard.policy.Verdict;
import org.cetusguard.rules.Rule;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleParser;
import org.cetusguard.rules.RuleSet;
import org.cetusguard.testbed.TestCerts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientProfilesTest {
    private static final Path EXAMPLE = Path.of("conf/examples/client-profiles.conf");

    @TempDir
    Path dir;

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no lookup
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ClientIdentity tcp(String listener, String remote) {
        return new ClientIdentity(listener, ip(remote), List.of(), null, null);
    }

    private static ClientIdentity cert(String listener, String remote, String... identities) {
        return new ClientIdentity(listener, ip(remote), List.of(identities), null, null);
    }

    private static ClientIdentity unix(Integer uid, Integer gid) {
        return new ClientIdentity("unix:///run/cetusguard.sock", null, null, uid, gid);
    }

    private ClientProfiles parse(String text) throws RuleException {
        return ClientProfiles.parse(text, "profiles file test", dir);
    }

    private String invalid(String text) {
        return assertThrows(RuleException.class, () -> parse(text)).getMessage();
    }

    private static String name(Profile profile) {
        return profile == null ? null : profile.name();
    }

    // ---------------------------------------------------------------- the shipped example

    @Test
    void exampleFileGivesTheThreeTiers() throws RuleException {
        Profile fallback = new Profile("default", new RuleSet(RuleParser.builtins()), ContainerPolicy.OFF, "command line");
        ClientProfiles profiles = ClientProfiles.parse(EXAMPLE).withDefault(fallback);
        assertEquals(List.of("management", "monitoring", "display"), profiles.profiles().stream().map(Profile::name).toList());
        assertEquals(Set.of("tcp://:2376"), profiles.listeners());

        Profile management = profiles.select(cert("tcp://:2376", "192.168.91.5", "subject:CN=portainer,O=ops", "dns:portainer"));
        assertEquals("management", name(management));
        assertTrue(management.rules().allows("POST", "/v1.41/containers/create"));
        assertFalse(management.rules().allows("DELETE", "/v1.41/images/abc"));
        assertTrue(management.rules().allows("GET", "/_ping"), "built-in rules are in");
        assertDenied(management.policy().check("POST", "/v1.41/containers/create",
                "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}".getBytes(StandardCharsets.UTF_8)));
        assertInstanceOf(Verdict.Rewrite.class, management.policy().check("POST", "/v1.41/containers/create",
                "{\"Image\":\"x\",\"HostConfig\":{\"Binds\":[\"/srv/data:/data\"]}}".getBytes(StandardCharsets.UTF_8)));
        assertDenied(management.policy().check("POST", "/v1.41/containers/create",
                "{\"Image\":\"x\",\"HostConfig\":{\"CapAdd\":[\"DAC_READ_SEARCH\"]}}".getBytes(StandardCharsets.UTF_8)));

        // The same certificate on the plain listener is not enough: "require listener".
        assertEquals("display", name(profiles.select(cert("tcp://:2375", "192.168.91.5", "subject:CN=portainer,O=ops"))));

        Profile monitoring = profiles.select(tcp("tcp://:2375", "192.168.91.11"));
        assertEquals("monitoring", name(monitoring));
        assertTrue(monitoring.rules().allows("POST", "/v1.41/containers/dozzle/exec"));
        assertTrue(monitoring.rules().allows("POST", "/v1.41/exec/abc/start"));
        assertFalse(monitoring.rules().allows("POST", "/v1.41/containers/create"));
        assertDenied(monitoring.policy().check("POST", "/v1.41/containers/dozzle/exec",
                "{\"User\":\"\",\"Cmd\":[\"sh\"]}".getBytes(StandardCharsets.UTF_8)));
        assertSame(Verdict.ALLOW, monitoring.policy().check("POST", "/v1.41/containers/dozzle/exec",
                "{\"User\":\"1000\",\"Cmd\":[\"sh\"]}".getBytes(StandardCharsets.UTF_8)));

        Profile display = profiles.select(tcp("tcp://:2375", "::ffff:192.168.91.20"));
        assertEquals("display", name(display));
        assertTrue(display.rules().allows("GET", "/v1.41/containers/json"));
        assertFalse(display.rules().allows("GET", "/v1.41/events"));
        assertTrue(display.policy().isOff());

        assertSame(fallback, profiles.select(tcp("tcp://:2375", "10.0.0.1")));
        assertSame(fallback, profiles.select(new ClientIdentity(null, null, null, null, null)));
    }

    private static void assertDenied(Verdict verdict) {
        assertInstanceOf(Verdict.Deny.class, verdict, verdict::toString);
    }

    // ---------------------------------------------------------------- selection

    @Test
    void firstMatchWinsAndNoMatchIsNullWithoutDefault() throws RuleException {
        ClientProfiles profiles = parse(String.join("\n",
                "[profile narrow]",
                "match source 10.1.2.3",
                "[profile wide]",
                "match source 10.0.0.0/8",
                "[profile also-narrow]",
                "match source 10.1.2.4"));
        assertEquals("narrow", name(profiles.select(tcp("tcp://:2375", "10.1.2.3"))));
        assertEquals("wide", name(profiles.select(tcp("tcp://:2375", "10.1.2.4"))), "an earlier profile shadows a later one");
        assertNull(profiles.select(tcp("tcp://:2375", "11.0.0.1")));
    }

    @Test
    void matchLinesAreAlternativesRequireLinesAreAllNeeded() throws RuleException {
        ClientProfiles profiles = parse(String.join("\n",
                "[profile p]",
                "match unix-uid 1000",
                "match source 10.0.0.0/8",
                "require listener tcp://:2376",
                "require source 10.1.0.0/16"));
        assertEquals("p", name(profiles.select(tcp("tcp://:2376", "10.1.0.1"))));
        assertNull(profiles.select(tcp("tcp://:2375", "10.1.0.1")), "listener required");
        assertNull(profiles.select(tcp("tcp://:2376", "10.2.0.1")), "second requirement");
        assertNull(profiles.select(new ClientIdentity("tcp://:2376", null, null, 1000, null)), "uid matches, but no source for require");
    }

    @Test
    void matchAny() throws RuleException {
        ClientProfiles profiles = parse("[profile everyone]\nmatch any\n");
        assertEquals("everyone", name(profiles.select(new ClientIdentity(null, null, null, null, null))));
    }

    @Test
    void sourceNetworks() throws RuleException {
        ClientProfiles profiles = parse(String.join("\n",
                "[profile v4]",
                "match source 192.168.91.0/24",
                "[profile v6]",
                "match source fd00:1:2::/48",
                "[profile loopback6]",
                "match source ::1",
                "[profile all4]",
                "match source 0.0.0.0/0"));
        assertEquals("v4", name(profiles.select(tcp("tcp://:2375", "192.168.91.255"))));
        assertEquals("v4", name(profiles.select(tcp("tcp://:2375", "::ffff:192.168.91.7"))), "IPv4-mapped client");
        assertEquals("v6", name(profiles.select(tcp("tcp://:2375", "fd00:1:2:ffff::1"))));
        assertEquals("loopback6", name(profiles.select(tcp("tcp://:2375", "::1"))));
        assertEquals("all4", name(profiles.select(tcp("tcp://:2375", "8.8.8.8"))));
        assertNull(profiles.select(tcp("tcp://:2375", "fd00:1:3::1")), "/0 for IPv4 does not take IPv6");
        assertNull(profiles.select(unix(0, 0)), "no address, no source match");
    }

    @Test
    void cidrParsing() {
        assertTrue(Cidr.parse("10.0.0.0/8").contains(ip("10.255.0.1")));
        assertFalse(Cidr.parse("10.0.0.0/8").contains(ip("11.0.0.1")));
        assertTrue(Cidr.parse("10.1.2.3").contains(ip("10.1.2.3")));
        assertFalse(Cidr.parse("10.1.2.3").contains(ip("10.1.2.4")));
        assertTrue(Cidr.parse("10.1.2.128/25").contains(ip("10.1.2.200")));
        assertFalse(Cidr.parse("10.1.2.128/25").contains(ip("10.1.2.127")));
        assertTrue(Cidr.parse("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assertFalse(Cidr.parse("2001:db8::/32").contains(ip("2001:db9::1")));
        assertTrue(Cidr.parse("::/0").contains(ip("2001:db9::1")));
        assertFalse(Cidr.parse("::/0").contains(ip("10.0.0.1")));
        assertFalse(Cidr.parse("10.0.0.0/8").contains(null));
        for (String bad : List.of("10.1.2.3/24", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "10.0.0", "10.0.0.0.0", "010.0.0.0", "256.0.0.0",
                "example.com", "localhost", "fe80::1%eth0", "::ffff:10.0.0.0/104", "2001:db8::1/64", "2001:db8::/129", "1:2", "", "/8")) {
            assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.1.2.3/24")).getMessage().contains("host bits set"));
    }

    @Test
    void certificateIdentities() throws RuleException {
        ClientProfiles profiles = parse(String.join("\n",
                "[profile subject]",
                "match cert-subject CN=Portainer Agent, O=Ops",
                "[profile dns]",
                "match cert-dns Agent.Example.COM",
                "[profile email]",
                "match cert-email ops@example.com",
                "[profile uri]",
                "match cert-uri spiffe://example.com/portainer"));
        // Canonical DN comparison: attribute order kept, case and spacing normalised.
        assertEquals("subject", name(profiles.select(cert("l", "10.0.0.1", "subject:cn=portainer agent,o=ops"))));
        assertEquals("subject", name(profiles.select(cert("l", "10.0.0.1", "subject:CN=Portainer  Agent,O=Ops"))));
        assertNull(profiles.select(cert("l", "10.0.0.1", "subject:O=Ops,CN=Portainer Agent")), "order matters in a DN");
        assertNull(profiles.select(cert("l", "10.0.0.1", "subject:CN=Portainer Agent,O=Ops,OU=x")), "no partial match");
        assertNull(profiles.select(cert("l", "10.0.0.1", "dns:CN=Portainer Agent,O=Ops")), "a SAN is not a subject");
        assertNull(profiles.select(cert("l", "10.0.0.1", "subject:not a dn")));
        assertEquals("dns", name(profiles.select(cert("l", "10.0.0.1", "subject:CN=x", "dns:agent.example.com"))));
        assertNull(profiles.select(cert("l", "10.0.0.1", "dns:agent.example.com.evil")));
        assertEquals("email", name(profiles.select(cert("l", "10.0.0.1", "email:ops@example.com"))));
        assertNull(profiles.select(cert("l", "10.0.0.1", "email:OPS@example.com")), "e-mail compared exactly");
        assertEquals("uri", name(profiles.select(cert("l", "10.0.0.1", "uri:spiffe://example.com/portainer"))));
        assertNull(profiles.select(cert("l", "10.0.0.1", "uri:spiffe://example.com/portainer/x")));
    }

    @Test
    void identitiesOfARealCertificate() throws Exception {
        X509Certificate certificate;
        try (InputStream in = Files.newInputStream(TestCerts.shared().serverCert())) {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        List<String> identities = ClientIdentity.certificateIdentities(certificate);
        assertEquals("subject:CN=localhost", identities.get(0));
        assertTrue(identities.contains("dns:localhost"), identities::toString);
        assertTrue(identities.contains("ip:127.0.0.1"), identities::toString);
        ClientProfiles profiles = parse("[profile local]\nmatch cert-dns LOCALHOST\n");
        assertEquals("local", name(profiles.select(new ClientIdentity("l", null, identities, null, null))));
    }

    @Test
    void unixPeerCredentials() throws RuleException {
        ClientProfiles profiles = parse("[profile uid]\nmatch unix-uid 1000\n[profile gid]\nmatch unix-gid 998\n");
        assertEquals("uid", name(profiles.select(unix(1000, 1000))));
        assertEquals("gid", name(profiles.select(unix(1001, 998))));
        assertNull(profiles.select(unix(0, 0)));
        assertNull(profiles.select(unix(null, null)));
    }

    // ---------------------------------------------------------------- rules and policy

    @Test
    void rulesFromLinesAndFiles() throws Exception {
        Files.writeString(dir.resolve("extra.rules"), "! comment\nGET %API_PREFIX_IMAGES%/json\n");
        ClientProfiles profiles = parse(String.join("\n",
                "! a comment",
                "[profile p]",
                "match any",
                "rule GET,HEAD %API_PREFIX_CONTAINERS%/json",
                "rules-file extra.rules",
                "no-builtin-rules",
                "",
                "[profile q]",
                "match any",
                "rule   POST   /x  "));
        Profile p = profiles.profiles().get(0);
        assertTrue(p.rules().allows("HEAD", "/v1.41/containers/json"));
        assertTrue(p.rules().allows("GET", "/images/json"));
        assertFalse(p.rules().allows("GET", "/_ping"), "no-builtin-rules");
        assertFalse(p.rules().allows("POST", "/x"), "rules stay in their profile");
        Rule inline = p.rules().firstMatch("GET", "/containers/json");
        assertEquals(4, inline.lineNumber(), "line number within the profiles file");
        assertEquals("profiles file test", inline.origin());
        assertEquals("profiles file test, line 2", p.origin());

        Profile q = profiles.profiles().get(1);
        assertTrue(q.rules().allows("POST", "/x"));
        assertTrue(q.rules().allows("GET", "/_ping"), "built-ins by default");
        assertTrue(q.policy().isOff());
    }

    @Test
    void policyLines() throws RuleException {
        ClientProfiles profiles = parse("[profile p]\nmatch any\npolicy deny-privileged\npolicy allow-bind /srv/data\npolicy force-label a=b c\n");
        assertEquals(List.of("deny-privileged", "restrict-binds", "allow-bind /srv/data", "force-label a=b c"),
                profiles.profiles().get(0).policy().describe());
    }

    @Test
    void crlfAndBlanksAreAccepted() throws RuleException {
        ClientProfiles profiles = parse("\t[profile p]  \r\n  match\tsource   10.0.0.0/8 \r\n\r\n rule GET /a\r\n");
        assertEquals("p", name(profiles.select(tcp("x", "10.0.0.1"))));
        assertTrue(profiles.profiles().get(0).rules().allows("GET", "/a"));
    }

    // ---------------------------------------------------------------- errors name the line

    @Test
    void errorsNameTheFileAndLine() throws Exception {
        assertEquals("invalid profiles line (profiles file test, line 2): \"match any\": match outside a [profile NAME] section",
                invalid("! header\nmatch any\n"));
        assertTrue(invalid("[profile]\n").contains("line 1): \"[profile]\": expected [profile NAME]"));
        assertTrue(invalid("[profile a b]\nmatch any\n").contains("expected [profile NAME]"));
        assertTrue(invalid("[profilex]\nmatch any\n").contains("expected [profile NAME]"));
        assertTrue(invalid("[rules x]\n").contains("expected [profile NAME]"));
        assertTrue(invalid("[profile a]\nmatch any\n[profile a]\nmatch any\n").contains("line 3): \"[profile a]\": profile a is defined twice"));
        assertTrue(invalid("[profile a]\nmatch any\nallow GET /x\n").contains("line 3): \"allow GET /x\": unknown keyword \"allow\""));
        assertTrue(invalid("[profile a]\nmatch source 10.1.2.3/24\n").contains("line 2): \"match source 10.1.2.3/24\": \"10.1.2.3/24\" has host bits set"));
        assertTrue(invalid("[profile a]\nmatch source example.com\n").contains("not an IP address"));
        assertTrue(invalid("[profile a]\nmatch listener 2375\n").contains("line 2)"));
        assertTrue(invalid("[profile a]\nmatch cert-subject not a dn\n").contains("not an RFC 2253 distinguished name"));
        assertTrue(invalid("[profile a]\nmatch unix-uid -1\n").contains("not a numeric id"));
        assertTrue(invalid("[profile a]\nmatch unix-uid\n").contains("match unix-uid needs a value"));
        assertTrue(invalid("[profile a]\nmatch hostname x\n").contains("unknown identity \"hostname\""));
        assertTrue(invalid("[profile a]\nrequire any\n").contains("only valid as \"match any\""));
        assertTrue(invalid("[profile a]\nmatch any x\n").contains("only valid as \"match any\""));
        assertEquals("profile a has no match line (profiles file test, line 1)", invalid("[profile a]\nrequire unix-uid 1\n"));
        assertTrue(invalid("[profile a]\nmatch any\nrule\n").contains("line 3): \"rule\": rule needs METHODS PATTERN"));
        assertTrue(invalid("[profile a]\nmatch any\nrule ! GET /x\n").contains("rule needs METHODS PATTERN"));
        assertTrue(invalid("[profile a]\nmatch any\n\nrule get /x\n").startsWith("invalid rule line (profiles file test, line 4): \"get /x\""),
                invalid("[profile a]\nmatch any\n\nrule get /x\n"));
        assertTrue(invalid("[profile a]\nmatch any\nrule GET (\n").startsWith("invalid rule pattern (profiles file test, line 3)"));
        assertTrue(invalid("[profile a]\nmatch any\nno-builtin-rules please\n").contains("takes no argument"));
        assertTrue(invalid("[profile a]\nmatch any\npolicy deny-everything\n").contains("line 3): \"policy deny-everything\": unknown policy setting"));
        assertTrue(invalid("[profile a]\nmatch any\npolicy allow-bind data\n").contains("not an absolute path"));
        String missing = invalid("[profile a]\nmatch any\nrules-file missing.rules\n");
        assertTrue(missing.contains("no such file") && missing.contains("(from profiles file test, line 3)"), missing);
        Files.writeString(dir.resolve("broken.rules"), "GET /ok\nnot a rule\n");
        String broken = invalid("[profile a]\nmatch any\nrules-file broken.rules\n");
        assertTrue(broken.contains("line 2)") && broken.contains("(from profiles file test, line 3)"), broken);
    }

    @Test
    void fileReading() throws Exception {
        Path file = dir.resolve("profiles.conf");
        Files.writeString(file, "[profile a]\nmatch any\nrules-file sub/a.rules\n");
        Files.createDirectory(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/a.rules"), "GET /a\n");
        assertTrue(ClientProfiles.parse(file).profiles().get(0).rules().allows("GET", "/a"), "rules-file relative to the profiles file");

        assertTrue(assertThrows(RuleException.class, () -> ClientProfiles.parse(dir.resolve("nope"))).getMessage().contains("no such file"));
        assertTrue(assertThrows(RuleException.class, () -> ClientProfiles.parse(dir)).getMessage().contains("not a regular file"));
        Path latin1 = dir.resolve("latin1.conf");
        Files.write(latin1, new byte[] {'!', (byte) 0xE9, '\n'});
        assertTrue(assertThrows(RuleException.class, () -> ClientProfiles.parse(latin1)).getMessage().contains("not valid UTF-8"));
        Path big = dir.resolve("big.conf");
        Files.write(big, new byte[RuleParser.MAX_FILE_BYTES + 1]);
        assertTrue(assertThrows(RuleException.class, () -> ClientProfiles.parse(big)).getMessage().contains("larger than"));
    }
}
