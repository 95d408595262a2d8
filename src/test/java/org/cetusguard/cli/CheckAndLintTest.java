package org.cetusguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * check and lint as a user runs them, in-process and without a daemon: the full configuration
 * (rules, -policy, -profiles-file), an identity to judge as, a body's verdict, and why a request
 * was denied.
 */
class CheckAndLintTest {
    /** What suggest-rules writes for a tool that lists, inspects and starts containers (the README's tool.rules). */
    static final String TOOL_RULES = String.join("\n",
            "GET %API_PREFIX_CONTAINERS%/json",
            "GET %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/json",
            "POST %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/start", "");

    @TempDir
    Path dir;

    record Run(int exitCode, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Commands.run(args, Map.of(), new java.io.ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Path file(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    /** The README's example, word for word: "check -rules-file tool.rules POST /v1.41/containers/web/start". */
    @Test
    void theReadmeExampleIsAllowed() throws Exception {
        Path rules = file("tool.rules", TOOL_RULES);
        Run allowed = run("check", "-rules-file", rules.toString(), "POST", "/v1.41/containers/web/start");
        assertEquals(0, allowed.exitCode(), allowed::toString);
        assertTrue(allowed.out().startsWith("allowed: POST /v1.41/containers/web/start\n"), allowed.out());
        assertTrue(allowed.out().contains("  forwarded as: /v1.41/containers/web/start\n"), allowed.out());
        assertTrue(allowed.out().contains("  rule: POST %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/start  ("), allowed.out());
    }

    @Test
    void aDenialNamesTheRulesThatCameClosestAndWhy() throws Exception {
        Path rules = file("tool.rules", TOOL_RULES);
        Run denied = run("check", "-rules-file", rules.toString(), "POST", "/v1.41/containers/x/start");
        assertEquals(1, denied.exitCode());
        List<String> lines = denied.out().lines().toList();
        assertEquals("denied (403): forbidden by CetusGuard: POST /v1.41/containers/x/start", lines.get(0));
        assertEquals("  closest rules:", lines.get(2));
        assertTrue(lines.get(3).startsWith("    POST %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/start  (rules file "), lines.get(3));
        assertEquals("      the path matches up to \"/v1.41/containers/\", then \"x/start\" does not match %CONTAINER_ID_OR_NAME%/start",
                lines.get(4));

        Run method = run("check", "-rules-file", rules.toString(), "DELETE", "/v1.41/containers/json");
        assertTrue(method.out().contains("the path matches, but the rule allows only GET, not DELETE"), method.out());
    }

    @Test
    void theFullConfigurationAndAnIdentityDecide() throws Exception {
        Path profiles = file("profiles.conf", String.join("\n", "[profile ops]", "match source 10.1.2.3", "rule POST %API_PREFIX_CONTAINERS%/create",
                "policy deny-host-access", "", "[profile sock]", "match unix-uid 1000", "require listener unix:///run/cg.sock",
                "rule GET %API_PREFIX_IMAGES%/json", ""));
        List<String> base = List.of("check", "-frontend-addr", "tcp://127.0.0.1:2375", "-frontend-addr", "unix:///run/cg.sock",
                "-profiles-file", profiles.toString());
        Run asDefault = run(args(base, "POST", "/v1.41/containers/create"));
        assertEquals(1, asDefault.exitCode(), "the default profile has only the built-in rules");
        Run asOps = run(args(base, "--as", "source=10.1.2.3", "POST", "/v1.41/containers/create"));
        assertEquals(0, asOps.exitCode(), asOps::toString);
        assertTrue(asOps.out().contains("  profile: ops (profiles file"), asOps.out());
        assertTrue(asOps.out().contains("  container policy: deny-host-access, deny-privileged"), asOps.out());
        assertTrue(asOps.out().contains("give it with --body FILE"), asOps.out());
        Run asUid = run(args(base, "--as=listener=unix:///run/cg.sock", "-as", "uid=1000", "GET", "/v1.41/images/json"));
        assertEquals(0, asUid.exitCode(), asUid::toString);
        assertTrue(asUid.out().contains("  profile: sock"), asUid.out());

        Run bad = run(args(base, "--as", "pid=1", "GET", "/_ping"));
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("unknown --as kind \"pid\""), bad.err());
        Run noName = run(args(base, "--as", "source=localhost", "GET", "/_ping"));
        assertTrue(noName.err().contains("needs an IP address"), noName.err());
    }

    /** The README's --as/--body example, word for word (run from the project directory, as the README's commands are). */
    @Test
    void theReadmeProfileExampleIsDenied() throws Exception {
        Path body = file("create.json", "{\"Image\":\"busybox\",\"HostConfig\":{\"Binds\":[\"/:/host\"]}}\n");
        Run run = run("check", "-profiles-file", "conf/examples/client-profiles.conf", "-frontend-addr", "tcp://:2375",
                "-frontend-addr", "tcp://:2376", "--as", "listener=tcp://:2376", "--as", "subject=CN=portainer,O=ops",
                "--body", body.toString(), "POST", "/v1.41/containers/create");
        assertEquals(1, run.exitCode(), run::toString);
        List<String> lines = run.out().lines().toList();
        assertEquals("denied (403): HostConfig.Binds[0]: host path \"/\" is not under an allowed path", lines.get(0));
        assertEquals("  by the container policy; the rules allow the request", lines.get(1));
        assertEquals("  profile: management (profiles file \"conf/examples/client-profiles.conf\", line 27)", lines.get(2));
    }

    @Test
    void aBodyGetsThePolicysVerdict() throws Exception {
        List<String> base = List.of("check", "-rules", "POST %API_PREFIX_CONTAINERS%/create", "-policy", "deny-host-access");
        Path escape = file("escape.json", "{\"Image\":\"busybox\",\"HostConfig\":{\"CapAdd\":[\"DAC_READ_SEARCH\"]}}");
        Run refused = run(args(base, "--body", escape.toString(), "POST", "/v1.41/containers/create"));
        assertEquals(1, refused.exitCode());
        assertTrue(refused.out().startsWith("denied (403): HostConfig.CapAdd: capability CAP_DAC_READ_SEARCH is not in Docker's default set"),
                refused.out());
        assertTrue(refused.out().contains("by the container policy; the rules allow the request"), refused.out());

        Path plain = file("plain.json", "{\"Image\":\"busybox\"}");
        Run rewritten = run(args(base, "--body", plain.toString(), "POST", "/v1.41/containers/create"));
        assertEquals(0, rewritten.exitCode(), rewritten::toString);
        assertTrue(rewritten.out().contains("    {\"Image\":\"busybox\",\"HostConfig\":{\"CgroupnsMode\":\"private\"}}"), rewritten.out());
        Run unread = run("check", "--body", plain.toString(), "GET", "/_ping");
        assertTrue(unread.out().contains("not read by the container policy"), unread.out());
    }

    @Test
    void auditOnlyIsShownAsSuch() {
        Run run = run("check", "-audit-only", "DELETE", "/v1.41/containers/x");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().startsWith("allowed in audit-only mode (no rule allows it): DELETE /v1.41/containers/x"), run.out());
    }

    @Test
    void lintWarnsWhenCreationOrExecIsAllowedWithoutDenyHostAccess() throws Exception {
        Run without = run("lint", "-rules", "POST %API_PREFIX_CONTAINERS%/create", "-policy", "deny-privileged\ndeny-host-namespaces\nrestrict-binds\ndeny-devices");
        assertEquals(1, without.exitCode());
        assertTrue(without.out().contains("warning: profile default allows creating containers or exec without policy deny-host-access:"
                + " a client can reach the host through restrict-caps, deny-unsafe-security-opts"), without.out());
        Run with = run("lint", "-rules", "POST %API_PREFIX_CONTAINERS%/create", "-policy", "deny-host-access");
        assertFalse(with.out().contains("without policy deny-host-access"), with.out());
        Run exec = run("lint", "-rules", "POST %API_PREFIX_CONTAINERS%/[^/]+/exec");
        assertTrue(exec.out().contains("without policy deny-host-access"), exec.out());
        Run readOnly = run("lint", "-rules", "GET %API_PREFIX_CONTAINERS%/json");
        assertEquals(0, readOnly.exitCode(), readOnly::toString);

        Path profiles = file("profiles.conf", "[profile p]\nmatch any\nrule POST %API_PREFIX_CONTAINERS%/create\n");
        Run inProfile = run("lint", "-profiles-file", profiles.toString());
        assertTrue(inProfile.out().contains("profile p (profiles file"), inProfile.out());
        assertTrue(inProfile.out().contains("warning: profile p allows creating containers"), inProfile.out());
    }

    static String[] args(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(new String[0]);
    }
}
