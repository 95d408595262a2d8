package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.cetusguard.json.JsonWriter;
import org.junit.jupiter.api.Test;

/**
 * Request bodies in src/test/resources/org/cetusguard/policy were captured from docker CLI
 * 28.2.2 (API 1.50) talking to a stub listener, e.g. create-many-flags.json is
 * {@code docker create --cap-add NET_ADMIN --cap-add sys_time --device /dev/fuse --security-opt
 * seccomp=unconfined --security-opt apparmor:unconfined --pid host --ipc host --uts host --userns
 * host --network host --sysctl net.ipv4.ip_forward=1 --cgroup-parent /foo --volumes-from other
 * --mount type=bind,src=/srv/data,dst=/data --mount type=volume,src=vol,dst=/v -v named:/named
 * -v /srv/data/sub:/sub:ro --label a=b --gpus all --device-cgroup-rule 'c 1:3 mr' nginx:1.27}.
 */
class ContainerPolicyTest {
    static final String CREATE = "/v1.50/containers/create";
    static final String EXEC = "/v1.50/containers/abc/exec";
    static final String UPDATE = "/v1.50/containers/abc/update";
    static final String SERVICE_CREATE = "/v1.50/services/create";
    static final String VOLUME_CREATE = "/v1.50/volumes/create";

    static byte[] resource(String name) {
        try (InputStream in = ContainerPolicyTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static ContainerPolicy policy(String... directives) {
        return ContainerPolicy.of(directives);
    }

    static void assertDeny(String expectedMessage, Verdict verdict) {
        assertInstanceOf(Verdict.Deny.class, verdict, () -> "expected a denial, got " + verdict);
        assertEquals(403, verdict.status());
        assertEquals(expectedMessage, verdict.message());
    }

    static void assertDenyContains(String expectedPart, Verdict verdict) {
        assertInstanceOf(Verdict.Deny.class, verdict, () -> "expected a denial, got " + verdict);
        assertTrue(verdict.message().contains(expectedPart), () -> verdict.message() + " should contain " + expectedPart);
    }

    static void assertBad(int status, String expectedPart, Verdict verdict) {
        assertInstanceOf(Verdict.Bad.class, verdict, () -> "expected a bad request, got " + verdict);
        assertEquals(status, verdict.status());
        assertTrue(verdict.message().contains(expectedPart), () -> verdict.message() + " should contain " + expectedPart);
    }

    static void assertAllow(Verdict verdict) {
        assertSame(Verdict.ALLOW, verdict, () -> "expected ALLOW, got " + verdict + " " + verdict.message());
    }

    /** The policy's verdict, with every image it asks about unknown to the daemon (see ImageCheckTest for known ones). */
    static Verdict check(ContainerPolicy policy, String path, byte[] body) {
        Map<String, ImageFacts> unknown = new HashMap<>();
        policy.imageReferences("POST", path, body).forEach(r -> unknown.put(r, ImageFacts.UNKNOWN));
        return policy.check("POST", path, null, body, unknown);
    }

    static Verdict create(ContainerPolicy policy, String body) {
        return check(policy, CREATE, utf8(body));
    }

    static Verdict createResource(ContainerPolicy policy, String name) {
        return check(policy, CREATE, resource(name));
    }

    static String rewritten(Verdict verdict) {
        return new String(assertInstanceOf(Verdict.Rewrite.class, verdict, verdict::toString).body(), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- off by default

    @Test
    void offPolicyInspectsNothingAndAllowsEverything() {
        ContainerPolicy off = ContainerPolicy.OFF;
        assertTrue(off.isOff());
        assertTrue(off.describe().isEmpty());
        for (String path : List.of(CREATE, EXEC, UPDATE, SERVICE_CREATE, VOLUME_CREATE, "/v4.0.0/libpod/containers/create")) {
            assertFalse(off.inspects("POST", path), path);
        }
        assertAllow(off.check("POST", CREATE, resource("run-privileged-bind-root.json")));
        assertAllow(off.check("POST", CREATE, utf8("not json at all")));
    }

    @Test
    void inspectsOnlyTheEndpointsASettingConcerns() {
        ContainerPolicy privileged = policy("deny-privileged");
        assertTrue(privileged.inspects("POST", CREATE));
        assertTrue(privileged.inspects("POST", EXEC));
        assertFalse(privileged.inspects("POST", VOLUME_CREATE), "volumes only matter to restrict-binds");
        assertFalse(privileged.inspects("GET", CREATE), "methods are exact");
        assertFalse(privileged.inspects("post", CREATE));
        assertFalse(privileged.inspects("POST", "/v1.50/containers/json"));
        assertFalse(privileged.inspects("POST", "/v1.50/containers/abc/stop"));

        ContainerPolicy rootExec = policy("deny-root-exec");
        assertTrue(rootExec.inspects("POST", EXEC));
        assertFalse(rootExec.inspects("POST", CREATE));
        assertFalse(rootExec.isOff());

        ContainerPolicy binds = policy("restrict-binds");
        assertTrue(binds.inspects("POST", VOLUME_CREATE));
        assertFalse(binds.inspects("POST", EXEC));
    }

    @Test
    void recognisesEveryPathTheDaemonRoutesToAnEndpoint() {
        ContainerPolicy p = policy("deny-privileged");
        // Docker's router takes /v[0-9.]+ and compares versions leniently.
        for (String path : List.of("/containers/create", "/v1.41/containers/create", "/v1/containers/create", "/v1..2/containers/create",
                "/v.../containers/create", "/services/create", "/v1.50/services/svc/update")) {
            assertTrue(p.inspects("POST", path), path);
        }
        // {name:.*} takes slashes: a legacy link alias "web/db" is a container name.
        assertTrue(p.inspects("POST", "/containers/web/db/exec"));
        assertTrue(p.inspects("POST", "/containers/web/db/update"));
        assertTrue(p.inspects("POST", "/containers/web/db/start"));
        assertFalse(p.inspects("POST", "/vx/containers/create"));
        assertFalse(p.inspects("POST", "/containers/create/x"));
    }

    // ---------------------------------------------------------------- privileged

    @Test
    void denyPrivileged() {
        ContainerPolicy p = policy("deny-privileged");
        // docker run --privileged -v /:/host busybox
        assertDeny("HostConfig.Privileged: privileged containers are not allowed", createResource(p, "run-privileged-bind-root.json"));
        assertAllow(createResource(p, "create-plain.json"));
        assertAllow(createResource(p, "create-many-flags.json"));
        // Go matches field names case-insensitively, with Unicode folding.
        assertDeny("HostConfig.Privileged: privileged containers are not allowed", create(p, "{\"Image\":\"x\",\"hostconfig\":{\"PRIVILEGED\":true}}"));
        assertDeny("HostConfig.Privileged: privileged containers are not allowed", create(p, "{\"Image\":\"x\",\"HostConfig\":{\"Pr\u0131vileged\":true}}"));
        assertAllow(create(p, "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":null}}"));
        assertAllow(create(p, "{\"Image\":\"x\",\"HostConfig\":null}"));
        assertAllow(create(p, "{\"Image\":\"x\"}"));
        assertBad(400, "HostConfig.Privileged: expected true or false", create(p, "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":\"true\"}}"));
        assertBad(400, "HostConfig: expected an object", create(p, "{\"Image\":\"x\",\"HostConfig\":[]}"));
    }

    @Test
    void duplicateOrCaseDuplicateKeysAreBadRequests() {
        ContainerPolicy p = policy("deny-privileged");
        assertBad(400, "request body is not valid JSON: duplicate key \"Privileged\"",
                create(p, "{\"HostConfig\":{\"Privileged\":false,\"Privileged\":true}}"));
        assertBad(400, "request body is not valid JSON: keys \"Privileged\" and \"privileged\" differ only in case",
                create(p, "{\"HostConfig\":{\"Privileged\":false,\"privileged\":true}}"));
        assertBad(400, "differ only in case", create(p, "{\"HostConfig\":{},\"hostConfig\":{\"Privileged\":true}}"));
    }

    @Test
    void topLevelHostConfigFieldsAreRefused() {
        ContainerPolicy p = policy("deny-sysctls");
        // Older daemons read these at the top level (runconfig's embedded *HostConfig).
        assertDenyContains("\"Privileged\": HostConfig fields are only allowed inside HostConfig", create(p, "{\"Image\":\"x\",\"Privileged\":true}"));
        assertDenyContains("\"binds\": HostConfig fields", create(p, "{\"Image\":\"x\",\"binds\":[\"/:/h\"],\"HostConfig\":{}}"));
        assertDenyContains("HostConfig fields", create(p, "{\"Image\":\"x\",\"\u017Fysctls\":{\"a\":\"1\"}}"));
    }

    @Test
    void denyPrivilegedCoversExecAndPluginServices() {
        ContainerPolicy p = policy("deny-privileged");
        assertDeny("Privileged: privileged exec is not allowed", p.check("POST", EXEC, resource("exec-privileged-root.json")));
        assertAllow(p.check("POST", EXEC, resource("exec-default-user.json")));
        assertAllow(p.check("POST", SERVICE_CREATE, resource("service-create-caps-bind-sysctl.json")));
        assertDeny("TaskTemplate.PluginSpec: only container services are allowed (plugins can be granted host privileges)",
                p.check("POST", SERVICE_CREATE, utf8("{\"TaskTemplate\":{\"PluginSpec\":{\"Name\":\"x\"},\"Runtime\":\"plugin\"}}")));
        assertDeny("TaskTemplate.Runtime: \"plugin\": only container services are allowed",
                p.check("POST", SERVICE_CREATE, utf8("{\"TaskTemplate\":{\"Runtime\":\"plugin\"}}")));
    }

    // ---------------------------------------------------------------- namespaces

    @Test
    void denyHostNamespaces() {
        ContainerPolicy p = policy("deny-host-namespaces");
        assertDeny("HostConfig.PidMode: the host's namespace is not allowed", createResource(p, "create-many-flags.json"));
        assertDeny("HostConfig.PidMode: joining another container's namespace is not allowed (that container may share the host's)",
                createResource(p, "create-container-namespaces.json"));
        for (String field : List.of("PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode", "NetworkMode")) {
            assertDeny("HostConfig." + field + ": the host's namespace is not allowed",
                    create(p, "{\"HostConfig\":{\"" + field + "\":\"host\"}}"));
        }
        for (String field : List.of("PidMode", "IpcMode", "NetworkMode", "Cgroup")) {
            assertDenyContains("HostConfig." + field + ": joining another container's namespace",
                    create(p, "{\"HostConfig\":{\"" + field + "\":\"container:abc\"}}"));
        }
        // The CLI sends "CgroupnsMode":"", which a cgroup v1 daemon reads as the host's: the proxy says private.
        assertTrue(rewritten(createResource(p, "create-plain.json")).contains("\"CgroupnsMode\":\"private\""));
        assertAllow(create(p, "{\"HostConfig\":{\"NetworkMode\":\"bridge\",\"IpcMode\":\"shareable\",\"PidMode\":\"\",\"CgroupnsMode\":\"private\"}}"));
        assertEquals("{\"HostConfig\":{\"NetworkMode\":\"hostile-net\",\"CgroupnsMode\":\"private\"}}",
                rewritten(create(p, "{\"HostConfig\":{\"NetworkMode\":\"hostile-net\"}}")));
        assertDeny("NetworkingConfig.EndpointsConfig.host: the host network is not allowed",
                create(p, "{\"HostConfig\":{\"NetworkMode\":\"default\",\"CgroupnsMode\":\"private\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"host\":{}}}}"));
        assertDeny("TaskTemplate.Networks[1].Target: the host network is not allowed",
                p.check("POST", SERVICE_CREATE, utf8("{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x\"},\"Networks\":[{\"Target\":\"web\"},{\"Target\":\"host\"}]}}")));
        assertDeny("Networks[0].Target: the host network is not allowed",
                p.check("POST", SERVICE_CREATE, utf8("{\"Networks\":[{\"Target\":\"host\"}],\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x\"}}}")));
    }

    // ---------------------------------------------------------------- capabilities

    @Test
    void restrictCapabilities() {
        // docker create --cap-add NET_ADMIN --cap-add sys_time ...: the CLI sends CAP_NET_ADMIN, CAP_SYS_TIME
        assertDeny("HostConfig.CapAdd: capability CAP_SYS_TIME is not in Docker's default set nor in the allowed list",
                createResource(policy("allow-cap NET_ADMIN"), "create-many-flags.json"));
        assertAllow(createResource(policy("allow-cap net_admin", "allow-cap CAP_SYS_TIME"), "create-many-flags.json"));
        assertAllow(createResource(policy("restrict-caps"), "create-plain.json"));

        ContainerPolicy none = policy("restrict-caps");
        assertDeny("HostConfig.CapAdd: capability CAP_NET_ADMIN is not in Docker's default set nor in the allowed list", createResource(none, "create-many-flags.json"));
        assertDeny("HostConfig.CapAdd: adding ALL capabilities is not allowed", create(none, "{\"HostConfig\":{\"CapAdd\":[\"all\"]}}"));
        assertAllow(create(policy("allow-cap ALL"), "{\"HostConfig\":{\"CapAdd\":[\"All\",\"SYS_ADMIN\"]}}"));
        // Go's strings.ToUpper turns 'ſ' into 'S': this is CAP_SYS_ADMIN to the daemon.
        assertDeny("HostConfig.CapAdd: capability CAP_SYS_ADMIN is not in Docker's default set nor in the allowed list",
                create(policy("allow-cap NET_ADMIN"), "{\"HostConfig\":{\"CapAdd\":[\"cap_\u017Fys_admin\"]}}"));
        assertDeny("HostConfig.CapAdd: \"SYS ADMIN\" is not a capability name", create(none, "{\"HostConfig\":{\"CapAdd\":[\"SYS ADMIN\"]}}"));
        assertDeny("HostConfig.CapAdd: \"\" is not a capability name", create(none, "{\"HostConfig\":{\"CapAdd\":[null]}}"));
        assertDeny("HostConfig.Capabilities: replacing the capability set is not allowed",
                create(none, "{\"HostConfig\":{\"Capabilities\":[\"CAP_CHOWN\"]}}"));
        assertAllow(create(none, "{\"HostConfig\":{\"CapAdd\":[],\"CapDrop\":[\"ALL\"]}}"));
        assertDeny("TaskTemplate.ContainerSpec.Capabilities: replacing the capability set is not allowed",
                none.check("POST", SERVICE_CREATE, utf8("{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x\",\"Capabilities\":[\"CAP_SYS_ADMIN\"]}}}")));
        assertDeny("TaskTemplate.ContainerSpec.CapabilityAdd: capability CAP_NET_ADMIN is not in Docker's default set nor in the allowed list",
                none.check("POST", SERVICE_CREATE, resource("service-create-caps-bind-sysctl.json")));
    }

    @Test
    void capabilityNormalisation() {
        assertEquals("CAP_SYS_ADMIN", DaemonSyntax.normaliseCapability("sys_admin"));
        assertEquals("CAP_SYS_ADMIN", DaemonSyntax.normaliseCapability("Cap_Sys_Admin"));
        assertEquals("CAP_SYS_ADMIN", DaemonSyntax.normaliseCapability("cap_\u017Fys_admin"));
        assertEquals("CAP_IPC_LOCK", DaemonSyntax.normaliseCapability("\u0131pc_lock"));
        assertEquals("ALL", DaemonSyntax.normaliseCapability("aLL"));
        assertEquals(null, DaemonSyntax.normaliseCapability(""));
        assertEquals(null, DaemonSyntax.normaliseCapability("CAP-SYS"));
        assertEquals(null, DaemonSyntax.normaliseCapability("\uFB00"));
    }

    // ---------------------------------------------------------------- devices

    @Test
    void denyDevices() {
        ContainerPolicy p = policy("deny-devices");
        assertDeny("HostConfig.Devices: access to host devices is not allowed", createResource(p, "create-many-flags.json"));
        assertDeny("HostConfig.DeviceCgroupRules: access to host devices is not allowed",
                create(p, "{\"HostConfig\":{\"Devices\":[],\"DeviceCgroupRules\":[\"c 1:3 mr\"]}}"));
        assertDeny("HostConfig.DeviceRequests: access to host devices is not allowed",
                create(p, "{\"HostConfig\":{\"DeviceRequests\":[{\"Driver\":\"\",\"Count\":-1,\"Capabilities\":[[\"gpu\"]]}]}}"));
        assertAllow(createResource(p, "create-plain.json"));
        // docker update --cpus 1 --restart always abc
        assertAllow(p.check("POST", UPDATE, resource("update-cpus-restart.json")));
        assertDeny("Devices: access to host devices is not allowed",
                p.check("POST", UPDATE, utf8("{\"Devices\":[{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/sda\",\"CgroupPermissions\":\"rwm\"}]}")));
        assertDeny("TaskTemplate.Resources.Reservations.GenericResources: reserving node devices is not allowed",
                p.check("POST", SERVICE_CREATE, utf8("{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x\"},"
                        + "\"Resources\":{\"Reservations\":{\"GenericResources\":[{\"DiscreteResourceSpec\":{\"Kind\":\"gpu\",\"Value\":1}}]}}}}")));
    }

    // ---------------------------------------------------------------- security options

    @Test
    void denyUnsafeSecurityOptions() {
        ContainerPolicy p = policy("deny-unsafe-security-opts");
        assertDeny("HostConfig.SecurityOpt: \"seccomp=unconfined\": only the default seccomp profile is allowed",
                createResource(p, "create-many-flags.json"));
        // docker create --security-opt systempaths=unconfined --security-opt no-new-privileges --security-opt label=disable
        assertDeny("HostConfig.SecurityOpt: \"label=disable\": SELinux label options are not allowed",
                createResource(p, "create-systempaths-nnp-label.json"));
        assertDeny("HostConfig.MaskedPaths: overriding the masked and read-only /proc and /sys paths is not allowed",
                create(p, "{\"HostConfig\":{\"SecurityOpt\":[\"no-new-privileges\"],\"MaskedPaths\":[],\"ReadonlyPaths\":[]}}"));
        assertDeny("HostConfig.Annotations: runtime annotations are not allowed",
                create(p, "{\"HostConfig\":{\"Annotations\":{\"io.katacontainers.config.hypervisor.path\":\"/tmp/x\"}}}"));
        assertAllow(create(p, "{\"HostConfig\":{\"Annotations\":{}}}"));
        assertDenyContains("HostConfig.ReadonlyPaths: overriding", create(p, "{\"HostConfig\":{\"MaskedPaths\":null,\"ReadonlyPaths\":[\"/proc\"]}}"));
        assertAllow(createResource(p, "create-plain.json"));
        for (String unsafe : List.of("seccomp=unconfined", "seccomp:unconfined", "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
                "apparmor=unconfined", "apparmor:unconfined", "apparmor=my-profile", "no-new-privileges=false", "no-new-privileges:0",
                "no-new-privileges=no", "label=disable", "label:disable", "disable", "label=type:spc_t", "systempaths=unconfined",
                "writable-cgroups=true", "SECCOMP=unconfined", " seccomp=builtin", "junk")) {
            assertInstanceOf(Verdict.Deny.class, create(p, "{\"HostConfig\":{\"SecurityOpt\":[" + JsonWriter.quote(unsafe) + "]}}"), unsafe);
        }
        for (String safe : List.of("no-new-privileges", "no-new-privileges=true", "no-new-privileges:true", "no-new-privileges=1",
                "seccomp=builtin", "apparmor=docker-default")) {
            assertAllow(create(p, "{\"HostConfig\":{\"SecurityOpt\":[" + JsonWriter.quote(safe) + "]}}"));
        }
    }

    @Test
    void denyUnsafeSwarmPrivileges() {
        ContainerPolicy p = policy("deny-unsafe-security-opts");
        String prefix = "{\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x\",\"Privileges\":";
        assertDeny("TaskTemplate.ContainerSpec.Privileges.Seccomp: only the default seccomp profile is allowed",
                p.check("POST", SERVICE_CREATE, utf8(prefix + "{\"Seccomp\":{\"Mode\":\"unconfined\"}}}}}")));
        assertDenyContains("Seccomp: only the default", p.check("POST", SERVICE_CREATE, utf8(prefix + "{\"Seccomp\":{\"Mode\":\"custom\",\"Profile\":\"e30=\"}}}}}")));
        assertDeny("TaskTemplate.ContainerSpec.Privileges.AppArmor.Mode: \"disabled\": only the default AppArmor profile is allowed",
                p.check("POST", SERVICE_CREATE, utf8(prefix + "{\"AppArmor\":{\"Mode\":\"disabled\"}}}}}")));
        assertDeny("TaskTemplate.ContainerSpec.Privileges.SELinuxContext.Disable: disabling SELinux labels is not allowed",
                p.check("POST", SERVICE_CREATE, utf8(prefix + "{\"SELinuxContext\":{\"Disable\":true}}}}}")));
        assertDenyContains("SELinuxContext.Type: SELinux label options", p.check("POST", SERVICE_CREATE, utf8(prefix + "{\"SELinuxContext\":{\"Type\":\"spc_t\"}}}}}")));
        assertAllow(p.check("POST", SERVICE_CREATE, utf8(prefix + "{\"Seccomp\":{\"Mode\":\"default\"},\"AppArmor\":{\"Mode\":\"default\"},"
                + "\"SELinuxContext\":{\"Disable\":false},\"NoNewPrivileges\":true}}}}")));
        assertAllow(p.check("POST", SERVICE_CREATE, resource("service-create-caps-bind-sysctl.json")));
    }

    @Test
    void securityOptionParsing() {
        assertEquals(null, DaemonSyntax.unsafeSecurityOption("no-new-privileges"));
        assertEquals(null, DaemonSyntax.unsafeSecurityOption("no-new-privileges=True"));
        assertEquals("turning no-new-privileges off is not allowed", DaemonSyntax.unsafeSecurityOption("no-new-privileges=False"));
        assertEquals("unknown security option", DaemonSyntax.unsafeSecurityOption("seccomp"));
        // '=' wins over ':' as in the daemon: "seccomp:x=y" has the key "seccomp:x".
        assertEquals("unknown security option", DaemonSyntax.unsafeSecurityOption("seccomp:builtin=x"));
    }

    // ---------------------------------------------------------------- binds

    @Test
    void restrictBindsToAllowedPaths() {
        ContainerPolicy p = policy("allow-bind /srv/data/app");
        // docker run --privileged -v /:/host busybox
        assertDeny("HostConfig.Binds[0]: host path \"/\" is not under an allowed path", createResource(p, "run-privileged-bind-root.json"));
        // -v named:/named -v /srv/data/sub:/sub:ro --mount type=bind,src=/srv/data,... --mount type=volume,... but --volumes-from other
        assertDeny("HostConfig.VolumesFrom: copying another container's mounts is not allowed while bind mounts are restricted",
                createResource(policy("allow-bind /srv/data/sub", "allow-bind-readonly /srv/data"), "create-many-flags.json"));
        // --mount type=volume,...,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc -v /srv/data/app:/data
        assertDeny("HostConfig.Mounts[0].VolumeOptions.DriverConfig.Options.device: host path \"/etc\" is not under an allowed path",
                createResource(p, "create-volume-opt-bind-and-bind.json"));
        assertAllow(createResource(policy("allow-bind /srv/data/app", "allow-bind /etc"), "create-volume-opt-bind-and-bind.json"));
        assertAllow(createResource(p, "create-plain.json"));
        assertAllow(createResource(policy("allow-bind /"), "run-privileged-bind-root.json"));
    }

    @Test
    void belowADirectoryContainersCanWriteNothingIsBound() {
        // Container A binds /srv/data and plants a link; container B binds the link. Only the directory itself binds.
        ContainerPolicy p = policy("allow-bind /srv/data/");
        String template = "{\"HostConfig\":{\"Binds\":[%s]}}";
        for (String ok : List.of("/srv/data:/d", "/srv/data/:/d:ro", "/srv/data/./:/d:rw,z", "/srv/data/x/..:/d", "named:/d", "/anonymous",
                "named:/d:nocopy", "/srv/other/../data:/d")) {
            assertAllow(create(p, String.format(template, JsonWriter.quote(ok))));
        }
        assertDeny("HostConfig.Binds[0]: host path \"/srv/data/esc\" is below \"/srv/data\", which containers can write to: one could"
                + " have put a symbolic link on the way. Bind \"/srv/data\" itself, or allow the directory with allow-bind-readonly",
                create(p, String.format(template, "\"/srv/data/esc:/host:ro\"")));
        assertDenyContains("is below \"/srv/data\"", create(p, String.format(template, "\"/srv/data/./x//y/:/d\"")));
        assertDeny("HostConfig.Binds[0]: host path \"/etc\" is not under an allowed path", create(p, String.format(template, "\"/srv/data/../../etc:/d\"")));
        assertDeny("HostConfig.Binds[0]: host path \"/srv/database\" is not under an allowed path", create(p, String.format(template, "\"/srv/database:/d\"")));
        assertDeny("HostConfig.Binds[0]: host path \"/srv\" is not under an allowed path", create(p, String.format(template, "\"/srv/data/..:/d\"")));
        assertDenyContains("a host path must be absolute, without backslashes", create(p, String.format(template, "\"/srv/data\\\\..\\\\..\\\\etc:/d\"")));
        assertDenyContains("without backslashes or control characters", create(p, String.format(template, "\"/srv/data/\\u0000:/d\"")));
        assertBad(400, "is not a valid bind specification", create(p, String.format(template, "\":/d\"")));
        assertBad(400, "is not a valid bind specification", create(p, String.format(template, "\"/srv/data:/d:ro:x\"")));
        assertDeny("HostConfig.Binds[1]: host path \"/\" is not under an allowed path", create(p, String.format(template, "\"/srv/data:/a\",\"/:/b\"")));
        assertDenyContains("is below", create(p, "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv/data/esc\",\"Target\":\"/h\",\"ReadOnly\":true}]}}"));

        ContainerPolicy none = policy("restrict-binds");
        assertDenyContains("host path \"/srv/data\" is not under an allowed path", create(none, String.format(template, "\"/srv/data:/d\"")));
        assertAllow(create(none, String.format(template, "\"vol:/d\"")));
    }

    @Test
    void belowAReadOnlyDirectoryPathsBindReadOnly() {
        ContainerPolicy p = policy("allow-bind-readonly /nonexistent-cg-dir/shared");
        String template = "{\"HostConfig\":{\"Binds\":[%s]}}";
        for (String ok : List.of("/nonexistent-cg-dir/shared:/d:ro", "/nonexistent-cg-dir/shared/a/b:/d:ro", "/nonexistent-cg-dir/shared/x:/d:z,ro")) {
            assertAllow(create(p, String.format(template, JsonWriter.quote(ok))));
        }
        assertDeny("HostConfig.Binds[0]: host path \"/nonexistent-cg-dir/shared/a\" may only be mounted read-only"
                + " (allow-bind-readonly /nonexistent-cg-dir/shared)", create(p, String.format(template, "\"/nonexistent-cg-dir/shared/a:/d\"")));
        assertDenyContains("may only be mounted read-only", create(p, String.format(template, "\"/nonexistent-cg-dir/shared:/d:rw\"")));
        // "ro" is one of the comma-separated options; "rox" is not.
        assertDenyContains("may only be mounted read-only", create(p, String.format(template, "\"/nonexistent-cg-dir/shared:/d:z\"")));
        String mount = "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/nonexistent-cg-dir/shared/a\",\"Target\":\"/h\"%s}]}}";
        assertAllow(create(p, String.format(mount, ",\"ReadOnly\":true")));
        assertDenyContains("may only be mounted read-only",
                create(p, String.format(mount, ",\"ReadOnly\":true,\"BindOptions\":{\"ReadOnlyNonRecursive\":true}")));
        assertDenyContains("may only be mounted read-only", create(p, String.format(mount, "")));
        assertDenyContains("may only be mounted read-only", create(p, String.format(mount, ",\"ReadOnly\":false")));
    }

    @Test
    void mountTypes() {
        ContainerPolicy p = policy("allow-bind /srv/data");
        String template = "{\"HostConfig\":{\"Mounts\":[%s]}}";
        assertAllow(create(p, String.format(template, "{\"Type\":\"bind\",\"Source\":\"/srv/data\",\"Target\":\"/a\"}")));
        assertAllow(create(p, String.format(template, "{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"/v\"}")));
        assertAllow(create(p, String.format(template, "{\"Type\":\"tmpfs\",\"Target\":\"/t\"}")));
        assertAllow(create(p, String.format(template, "{\"Type\":\"image\",\"Source\":\"alpine\",\"Target\":\"/i\"}")));
        assertAllow(create(p, String.format(template, "{\"Type\":\"volume\",\"Source\":\"n\",\"Target\":\"/n\",\"VolumeOptions\":{\"DriverConfig\":"
                + "{\"Name\":\"local\",\"Options\":{\"type\":\"nfs\",\"o\":\"addr=10.0.0.1,rw\",\"device\":\":/export\"}}}}")));
        assertDeny("HostConfig.Mounts[0].Source: host path \"/etc\" is not under an allowed path",
                create(p, String.format(template, "{\"type\":\"bind\",\"source\":\"/etc\",\"target\":\"/a\"}")));
        assertDeny("HostConfig.Mounts[0].Type: \"npipe\" is not allowed while bind mounts are restricted",
                create(p, String.format(template, "{\"Type\":\"npipe\",\"Source\":\"\\\\\\\\.\\\\pipe\\\\docker_engine\",\"Target\":\"/p\"}")));
        assertDeny("HostConfig.Mounts[0].Type: \"Bind\" is not allowed while bind mounts are restricted",
                create(p, String.format(template, "{\"Type\":\"Bind\",\"Source\":\"/\",\"Target\":\"/a\"}")));
        assertDenyContains("\"api-socket\" is not allowed", create(p, String.format(template, "{\"Type\":\"api-socket\",\"Target\":\"/run/docker.sock\"}")));
        assertDeny("HostConfig.Mounts[0].Type: a missing type is not allowed while bind mounts are restricted", create(p, String.format(template, "null")));
        assertBad(400, "HostConfig.Mounts[0].Source: a bind mount needs a source", create(p, String.format(template, "{\"Type\":\"bind\",\"Target\":\"/a\"}")));
        assertDeny("TaskTemplate.ContainerSpec.Mounts[0].Source: host path \"/etc\" is not under an allowed path",
                check(p, SERVICE_CREATE, resource("service-create-caps-bind-sysctl.json")));
    }

    @Test
    void volumeCreateOptions() {
        ContainerPolicy p = policy("allow-bind /srv/data", "allow-bind-readonly /nonexistent-cg-dir/ro");
        // docker volume create --driver local --opt type=none --opt o=bind --opt device=/etc myvol
        assertDeny("DriverOpts.device: host path \"/etc\" is not under an allowed path", p.check("POST", VOLUME_CREATE, resource("volume-create-bind.json")));
        assertAllow(policy("allow-bind /etc").check("POST", VOLUME_CREATE, resource("volume-create-bind.json")));
        assertAllow(p.check("POST", VOLUME_CREATE, new byte[0]));
        assertAllow(p.check("POST", VOLUME_CREATE, utf8("{\"Name\":\"v\"}")));
        assertAllow(p.check("POST", VOLUME_CREATE, utf8("{\"Driver\":\"local\",\"DriverOpts\":{\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"size=100m\"}}")));
        assertAllow(p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"type\":\"none\",\"o\":\"rbind\",\"device\":\"/srv/data\"}}")));
        assertDenyContains("is below \"/srv/data\"",
                p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"type\":\"none\",\"o\":\"rbind,ro\",\"device\":\"/srv/data/x\"}}")));
        // Below a read-only directory: only a volume that is read-only itself (any container may mount it later).
        assertAllow(p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"type\":\"none\",\"o\":\"rbind,ro\",\"device\":\"/nonexistent-cg-dir/ro/x\"}}")));
        assertDenyContains("may only be mounted read-only",
                p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"type\":\"none\",\"o\":\"rbind\",\"device\":\"/nonexistent-cg-dir/ro/x\"}}")));
        // The local driver does not clean the path: ".." after a link would go where the link goes.
        assertDeny("DriverOpts.device: \"/srv/data/../..\": a bind volume's path must be absolute and clean (no \".\", \"..\", \"//\" or trailing \"/\")",
                p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"type\":\"none\",\"o\":\"rbind\",\"device\":\"/srv/data/../..\"}}")));
        assertDenyContains("a local volume of type \"ext4\" can mount host storage",
                p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"type\":\"ext4\",\"device\":\"/dev/sda1\"}}")));
        assertDenyContains("a local volume of type \"overlay\" can mount host storage",
                p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"type\":\"overlay\",\"device\":\"overlay\",\"o\":\"lowerdir=/etc,upperdir=/u,workdir=/w\"}}")));
        assertDeny("DriverOpts: options for volume driver \"local-persist\" are not allowed while bind mounts are restricted (a driver can mount host paths)",
                p.check("POST", VOLUME_CREATE, utf8("{\"Driver\":\"local-persist\",\"DriverOpts\":{\"mountpoint\":\"/\"}}")));
        assertDenyContains("remount and move", p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"type\":\"tmpfs\",\"o\":\"remount\"}}")));
        assertBad(400, "a bind volume needs a device path", p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"o\":\"bind\"}}")));
        assertBad(400, "DriverOpts.o: expected a string", p.check("POST", VOLUME_CREATE, utf8("{\"DriverOpts\":{\"o\":[\"bind\"]}}")));
    }

    // ---------------------------------------------------------------- volumes-from, sysctls, cgroup parent

    @Test
    void denyVolumesFromSysctlsAndCgroupParent() {
        assertDeny("HostConfig.VolumesFrom: mounting volumes from another container is not allowed",
                create(policy("deny-volumes-from"), "{\"HostConfig\":{\"VolumesFrom\":[\"other:ro\"]}}"));
        assertAllow(create(policy("deny-volumes-from"), "{\"HostConfig\":{\"VolumesFrom\":null}}"));
        assertAllow(createResource(policy("deny-volumes-from"), "create-plain.json"));

        assertDeny("HostConfig.Sysctls: setting sysctls is not allowed", createResource(policy("deny-sysctls"), "create-many-flags.json"));
        assertAllow(create(policy("deny-sysctls"), "{\"HostConfig\":{\"Sysctls\":{}}}"));
        assertDeny("TaskTemplate.ContainerSpec.Sysctls: setting sysctls is not allowed",
                policy("deny-sysctls").check("POST", SERVICE_CREATE, resource("service-create-caps-bind-sysctl.json")));

        assertDeny("HostConfig.CgroupParent: choosing the parent cgroup is not allowed", createResource(policy("deny-cgroup-parent"), "create-many-flags.json"));
        assertAllow(createResource(policy("deny-cgroup-parent"), "create-plain.json"));
        assertDeny("CgroupParent: choosing the parent cgroup is not allowed",
                policy("deny-cgroup-parent").check("POST", UPDATE, utf8("{\"CgroupParent\":\"/system.slice\"}")));
        assertAllow(policy("deny-cgroup-parent").check("POST", UPDATE, resource("update-cpus-restart.json")));
    }

    // ---------------------------------------------------------------- exec as root

    @Test
    void denyRootExec() {
        ContainerPolicy p = policy("deny-root-exec");
        assertDeny("User: \"root\": exec as root is not allowed", p.check("POST", EXEC, resource("exec-privileged-root.json")));
        assertDeny("User: an exec without a user runs as the container's default user, which may be root; name a non-root user (docker exec -u UID)",
                p.check("POST", EXEC, resource("exec-default-user.json")));
        assertAllow(p.check("POST", EXEC, resource("exec-user-1000.json")));
        assertDenyContains("exec as root", p.check("POST", EXEC, utf8("{\"user\":\"0:0\",\"Cmd\":[\"sh\"]}")));
        assertBad(400, "request body is empty", p.check("POST", EXEC, new byte[0]));
    }

    @Test
    void rootUserSpellings() {
        for (String root : List.of("", "root", "0", "00", "+0", "-0", "0:0", "0:1000", "root:1000", ":1000", ":", "-1", "4294967296", "2147483648",
                "01000")) {
            assertTrue(DaemonSyntax.mayBeRoot(root), root);
        }
        for (String user : List.of("1000", "1000:0", "1000:1000", "nobody", "www-data:www-data", "2147483647", "ROOT", "toor")) {
            assertFalse(DaemonSyntax.mayBeRoot(user), user);
        }
    }

    // ---------------------------------------------------------------- images

    @Test
    void restrictImagesJudgesUnknownImagesByTheirNormalisedName() {
        ContainerPolicy p = policy("allow-image busybox(:%IMAGE_TAG%)?", "allow-image (docker\\.io/)?library/alpine|nginx:1\\.27");
        assertTrue(rewrittenOrAllowed(createResource(p, "create-plain.json")));
        assertAllow(create(p, "{\"Image\":\"busybox:1.36\"}"));
        assertAllow(create(p, "{\"Image\":\"library/alpine\"}"));
        assertAllow(create(p, "{\"Image\":\"docker.io/library/busybox:latest\"}"));
        assertAllow(create(p, "{\"Image\":\"index.docker.io/library/busybox\"}"));
        assertAllow(create(p, "{\"image\":\"nginx:1.27\"}"));
        assertDeny("Image: \"evil/busybox\" does not match an allowed image pattern", create(p, "{\"Image\":\"evil/busybox\"}"));
        assertDeny("Image: \"busybox@sha256:0000\" is not a valid image reference", create(p, "{\"Image\":\"busybox@sha256:0000\"}"));
        assertDeny("Image: \"Busybox\" is not a valid image reference", create(p, "{\"Image\":\"Busybox\"}"));
        assertDenyContains("does not match", create(p, "{\"Image\":\"busybox@sha256:" + "a".repeat(64) + "\"}"));
        assertDenyContains("does not match", create(p, "{\"Image\":\"library/alpinex\"}"));
        assertDenyContains("does not match", create(p, "{\"Image\":\"xnginx:1.27\"}"));
        assertDenyContains("does not match", create(p, "{\"Image\":\"registry.example:5000/busybox\"}"));
        // Text the daemon may read as an image ID is refused when the daemon has no such image.
        for (String id : List.of("c3bd81391c5c", "sha256:c3bd", "sha256:", "a".repeat(64), "cafe")) {
            assertDenyContains("names no image the daemon has", create(p, "{\"Image\":\"" + id + "\"}"));
        }
        assertDeny("Image: an image is required by the image allow-list", create(p, "{\"Cmd\":[\"sh\"]}"));
        assertDeny("TaskTemplate.ContainerSpec.Image: \"nginx:latest\" does not match an allowed image pattern",
                check(p, SERVICE_CREATE, resource("service-create-caps-bind-sysctl.json")));
        assertDeny("TaskTemplate.ContainerSpec.Image: an image is required by the image allow-list",
                check(p, SERVICE_CREATE, utf8("{\"Name\":\"s\"}")));
        assertAllow(check(policy("allow-image nginx:.*"), "/v1.50/services/abc/update", resource("service-create-caps-bind-sysctl.json")));
        assertDenyContains("does not match", check(policy("restrict-images"), CREATE, resource("create-plain.json")));
    }

    static boolean rewrittenOrAllowed(Verdict verdict) {
        return verdict instanceof Verdict.Allow || verdict instanceof Verdict.Rewrite;
    }

    // ---------------------------------------------------------------- request shape

    @Test
    void bodyShapeAndSize() {
        ContainerPolicy p = policy("deny-privileged");
        assertBad(400, "request body is empty", p.check("POST", CREATE, new byte[0]));
        assertBad(400, "request body is empty", p.check("POST", CREATE, null));
        assertBad(400, "request body must be a JSON object", create(p, "[]"));
        assertBad(400, "request body is not valid JSON: unexpected data after the JSON value", create(p, "{} {}"));
        byte[] big = new byte[ContainerPolicy.MAX_BODY_BYTES + 1];
        assertBad(413, "larger than 1048576 bytes", p.check("POST", CREATE, big));
        assertBad(400, "not valid JSON", p.check("POST", CREATE, new byte[ContainerPolicy.MAX_BODY_BYTES]));
    }

    @Test
    void legacyStartBodiesAreRefused() {
        ContainerPolicy p = policy("deny-privileged");
        String start = "/v1.23/containers/abc/start";
        assertAllow(p.check("POST", start, new byte[0]));
        assertAllow(p.check("POST", start, utf8("{}")));
        assertAllow(p.check("POST", start, utf8("null")));
        assertDeny("a HostConfig in the start request (API < 1.24) is not allowed while a container policy is on",
                p.check("POST", start, utf8("{\"Privileged\":true}")));
        assertBad(400, "not valid JSON", p.check("POST", start, utf8("{")));
    }

    @Test
    void libpodCreationIsRefusedWhileOn() {
        ContainerPolicy p = policy("deny-root-exec");
        for (String path : List.of("/v4.0.0/libpod/containers/create", "/v5.1.0/libpod/containers/abc/exec", "/v4.0.0/libpod/play/kube",
                "/v4.0.0/libpod/volumes/create", "/libpod/pods/create")) {
            assertTrue(p.inspects("POST", path), path);
            assertDeny("the libpod API is not allowed while a container policy is on: its bodies are not checked", p.check("POST", path, utf8("{}")));
        }
        assertFalse(p.inspects("GET", "/v4.0.0/libpod/containers/json"));
    }

    @Test
    void serviceRollbackIsRefused() {
        ContainerPolicy p = policy("deny-privileged");
        String path = "/v1.50/services/abc/update";
        byte[] body = resource("service-create-caps-bind-sysctl.json");
        assertAllow(p.check("POST", path, "version=12", body));
        assertDenyContains("rollback: rolling back to a previous service spec is not allowed", p.check("POST", path, "version=12&rollback=previous", body));
        assertDenyContains("rollback", p.check("POST", path, "roll%62ack=previous", body));
        assertDenyContains("rollback", p.check("POST", path, "rollback", body));
        assertDenyContains("rollback", p.check("POST", path, "%zz=previous&version=1", body));
        // Go's ParseQuery skips a pair whose value does not decode; the key is still not rollback.
        assertAllow(p.check("POST", path, "x=%zz&version=1", body));
        assertAllow(p.check("POST", path, "registryAuthFrom=previous-spec", body));
        assertTrue(DaemonSyntax.hasQueryParameter("a=1&roll+back=x", "roll back"));
        assertFalse(DaemonSyntax.hasQueryParameter("a=rollback", "rollback"));
    }

    // ---------------------------------------------------------------- forced labels

    @Test
    void forcedLabelsRewriteOnlyTheLabels() {
        ContainerPolicy p = policy("force-label com.example.owner=portainer", "force-label tier=management");
        byte[] original = resource("create-volume-opt-bind-and-bind.json"); // has Labels {"team":"web"}
        String forwarded = rewritten(p.check("POST", CREATE, original));
        assertEquals(new String(original, StandardCharsets.UTF_8).replace("\"Labels\":{\"team\":\"web\"}",
                "\"Labels\":{\"team\":\"web\",\"com.example.owner\":\"portainer\",\"tier\":\"management\"}"), forwarded,
                "every other byte as the client sent it");
        assertAllow(p.check("POST", CREATE, utf8(forwarded)));
    }

    @Test
    void forcedLabelsReplaceClientLabelsOfTheSameName() {
        ContainerPolicy p = policy("force-label owner=ops");
        // "Owner" is a different label to the daemon (map keys are exact), but the two could not
        // both be in one object of the forwarded body, which the parser would then refuse.
        assertEquals("{\"Image\":\"x\",\"labels\":{\"owner\":\"ops\",\"other\":\"1\"}}",
                rewritten(create(p, "{\"Image\":\"x\",\"labels\":{\"Owner\":\"me\",\"other\":\"1\"}}")), "the client's spelling of Labels is kept");
        assertBad(400, "differ only in case", create(p, "{\"Image\":\"x\",\"Labels\":{\"Owner\":\"me\",\"owner\":\"me\"}}"));
        assertEquals("{\"Image\":\"x\",\"Labels\":{\"owner\":\"ops\"}}", rewritten(create(p, "{\"Image\":\"x\",\"Labels\":null}")));
        assertEquals("{\"Image\":\"x\",\"Labels\":{\"owner\":\"ops\"}}", rewritten(create(p, "{\"Image\":\"x\"}")));
        assertEquals("{\"Image\":\"x\",\"Labels\":{\"owner\":\"ops\"}}", rewritten(create(p, "{\"Image\":\"x\",\"Labels\":{\"owner\":null}}")));
        // Already labelled: forwarded as is.
        assertAllow(create(p, "{\"Image\":\"x\",\"Labels\":{\"owner\":\"ops\"}}"));
        assertBad(400, "Labels: expected an object of strings", create(p, "{\"Image\":\"x\",\"Labels\":[\"owner=me\"]}"));
        assertBad(400, "Labels.a: expected a string", create(p, "{\"Image\":\"x\",\"Labels\":{\"a\":1}}"));
    }

    @Test
    void forcedLabelsOnServicesGoToTheContainerSpec() {
        ContainerPolicy p = policy("force-label owner=ops");
        String forwarded = rewritten(p.check("POST", SERVICE_CREATE, resource("service-create-caps-bind-sysctl.json")));
        assertTrue(forwarded.contains("\"Labels\":{\"owner\":\"ops\"}"), forwarded);
        assertTrue(forwarded.startsWith(new String(resource("service-create-caps-bind-sysctl.json"), StandardCharsets.UTF_8).substring(0, 20)));
        assertDeny("TaskTemplate.ContainerSpec: a container spec is required: labels are forced on every container",
                p.check("POST", SERVICE_CREATE, utf8("{\"TaskTemplate\":{}}")));
        assertFalse(p.inspects("POST", EXEC), "exec does not create containers");
        assertAllow(p.check("POST", UPDATE, utf8("{\"Memory\":0}")));
    }

    @Test
    void rewriteKeepsNumbersAndStringsExact() {
        ContainerPolicy p = policy("force-label a=b");
        assertEquals("{\"Image\":\"caf\\u00e9\",\"HostConfig\":{\"Memory\":1e9,\"CpuShares\":1024,\"NanoCpus\":1.50} ,\"Labels\":{\"a\":\"b\"}}",
                rewritten(create(p, "{\"Image\":\"caf\\u00e9\",\"HostConfig\":{\"Memory\":1e9,\"CpuShares\":1024,\"NanoCpus\":1.50} }")));
    }

    @Test
    void twoRewritesOfOneObjectAreWrittenTogether() {
        ContainerPolicy p = policy("deny-host-namespaces", "force-label a=b");
        assertEquals("{\"Image\":\"x\",\"HostConfig\":{\"CgroupnsMode\":\"private\"},\"Labels\":{\"a\":\"b\"}}",
                rewritten(create(p, "{\"Image\":\"x\"}")));
        assertEquals("{\"HostConfig\":{\"CgroupnsMode\":\"private\"},\"Labels\":{\"a\":\"b\"}}", rewritten(create(p, "{}")));
        assertEquals("{\"HostConfig\":{\"CgroupnsMode\":\"private\"},\"Labels\":{\"a\":\"b\"}}",
                rewritten(create(p, "{\"HostConfig\":null,\"Labels\":null}")));
    }

    // ---------------------------------------------------------------- configuration

    @Test
    void directivesAreValidated() {
        for (String bad : List.of("deny-everything", "deny-privileged yes", "allow-bind", "allow-bind relative/path", "allow-bind /a\\b",
                "allow-cap", "allow-cap NET ADMIN", "allow-image (", "allow-image a\\1", "force-label", "force-label novalue", "force-label =v")) {
            assertThrows(IllegalArgumentException.class, () -> policy(bad), bad);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> policy("force-label a=1", "force-label A=2"));
        assertTrue(e.getMessage().contains("is forced twice"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> policy("deny-root")).getMessage().contains("unknown policy setting \"deny-root\""));
    }

    @Test
    void describeListsTheSettingsAsDirectives() {
        List<String> all = List.of("deny-privileged", "deny-host-namespaces", "restrict-caps", "allow-cap CAP_NET_ADMIN", "deny-devices",
                "deny-unsafe-security-opts", "restrict-binds", "allow-bind /srv/data", "deny-volumes-from", "deny-sysctls", "deny-cgroup-parent",
                "deny-root-exec", "restrict-images", "allow-image busybox", "force-label a=b c");
        ContainerPolicy p = policy("deny-privileged", "deny-host-namespaces", "allow-cap net_admin", "deny-devices", "deny-unsafe-security-opts",
                "allow-bind /srv/./data/", "deny-volumes-from", "deny-sysctls", "deny-cgroup-parent", "deny-root-exec", "allow-image busybox",
                "force-label a=b c");
        assertEquals(all, p.describe());
        assertFalse(p.isOff());
    }
}
