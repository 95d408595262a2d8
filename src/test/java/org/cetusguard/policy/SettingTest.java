package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The settings table: one place per setting, and what the README and the checks make of it. */
class SettingTest {
    static String containerPolicySection() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("## Container policy");
        return readme.substring(start, readme.indexOf("\n## ", start + 1));
    }

    @Test
    void theReadmeTableListsEverySettingAndMarksTheHostProtections() throws Exception {
        String section = containerPolicySection();
        for (Setting setting : Setting.values()) {
            String row = "| `" + setting.directive() + (setting.takesArgument() ? " " : "`");
            assertTrue(section.contains(row), "README lists " + setting.directive());
            boolean marked = section.contains("| `" + setting.directive() + "` *(host)* |");
            assertEquals(Setting.DENY_HOST_ACCESS.implied().contains(setting), marked, setting.directive() + " marked (host)");
        }
        assertTrue(section.indexOf("deny-host-access") < section.indexOf("deny-privileged"), "deny-host-access comes first");
    }

    /** The README's example command line must start. */
    @Test
    void theReadmeExamplePolicyLoads() throws Exception {
        Matcher m = Pattern.compile("-policy (?:'([^']+)'|(\\S+))").matcher(containerPolicySection());
        List<String> directives = new ArrayList<>();
        while (m.find()) {
            directives.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        assertTrue(directives.contains("deny-host-access"), directives::toString);
        ContainerPolicy policy = ContainerPolicy.of(directives.toArray(new String[0]));
        assertTrue(policy.settings().missingHostProtections().isEmpty());
    }

    @Test
    void denyHostAccessTurnsOnEveryProtectionAndLaterSettingsRefineIt() {
        PolicySettings all = PolicySettings.builder().directive("deny-host-access").build();
        assertEquals(EnumSet.of(Setting.DENY_PRIVILEGED, Setting.DENY_HOST_NAMESPACES, Setting.RESTRICT_CAPS, Setting.DENY_DEVICES,
                Setting.DENY_UNSAFE_SECURITY_OPTS, Setting.RESTRICT_BINDS, Setting.DENY_VOLUMES_FROM, Setting.DENY_SYSCTLS,
                Setting.DENY_CGROUP_PARENT, Setting.RESTRICT_RUNTIMES, Setting.RESTRICT_VOLUME_DRIVERS), Setting.DENY_HOST_ACCESS.implied());
        assertTrue(all.missingHostProtections().isEmpty());
        for (Setting setting : Setting.DENY_HOST_ACCESS.implied()) {
            assertTrue(all.on(setting), setting.directive());
        }
        assertFalse(all.on(Setting.DENY_ROOT_EXEC), "exec as root is not host access");
        assertEquals(EnumSet.of(Setting.RESTRICT_CAPS, Setting.DENY_UNSAFE_SECURITY_OPTS, Setting.DENY_VOLUMES_FROM, Setting.DENY_SYSCTLS,
                Setting.DENY_CGROUP_PARENT, Setting.RESTRICT_RUNTIMES, Setting.RESTRICT_VOLUME_DRIVERS),
                PolicySettings.builder().directive("deny-privileged").directive("deny-host-namespaces").directive("restrict-binds")
                        .directive("deny-devices").build().missingHostProtections(), "what the old watchtower advice left out");

        ContainerPolicy refined = ContainerPolicy.of("deny-host-access", "allow-cap SYS_PTRACE", "allow-runtime sysbox-runc",
                "allow-volume-driver rexray");
        assertTrue(ContainerPolicyTest.create(refined, "{\"HostConfig\":{\"CapAdd\":[\"SYS_PTRACE\"],\"Runtime\":\"sysbox-runc\","
                + "\"VolumeDriver\":\"rexray\",\"CgroupnsMode\":\"private\"}}") instanceof Verdict.Allow);
        ContainerPolicyTest.assertDeny("HostConfig.Runtime: runtime \"kata\" is not allowed",
                ContainerPolicyTest.create(refined, "{\"HostConfig\":{\"Runtime\":\"kata\",\"CgroupnsMode\":\"private\"}}"));
        ContainerPolicyTest.assertDeny("HostConfig.VolumeDriver: volume driver \"nfs-plugin\" is not allowed",
                ContainerPolicyTest.create(refined, "{\"HostConfig\":{\"VolumeDriver\":\"nfs-plugin\",\"CgroupnsMode\":\"private\"}}"));
        ContainerPolicyTest.assertDeny("HostConfig.Mounts[0].VolumeOptions.DriverConfig.Name: volume driver \"x\" is not allowed",
                ContainerPolicyTest.create(refined, "{\"HostConfig\":{\"CgroupnsMode\":\"private\",\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v\","
                        + "\"Target\":\"/v\",\"VolumeOptions\":{\"DriverConfig\":{\"Name\":\"x\"}}}]}}"));
        ContainerPolicyTest.assertDeny("Driver: volume driver \"x\" is not allowed",
                refined.check("POST", ContainerPolicyTest.VOLUME_CREATE, ContainerPolicyTest.utf8("{\"Driver\":\"x\"}")));
        assertTrue(ContainerPolicyTest.create(refined, "{\"HostConfig\":{\"Runtime\":\"runc\",\"CgroupnsMode\":\"private\"}}") instanceof Verdict.Allow);
    }

    @Test
    void contradictorySettingsStopStartup() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ContainerPolicy.of("allow-bind /srv", "allow-bind /srv/data"))
                .getMessage().contains("allow-bind /srv/data lies inside allow-bind /srv"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ContainerPolicy.of("allow-bind /srv", "allow-bind-readonly /srv/ro"))
                .getMessage().contains("is not read-only to containers"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ContainerPolicy.of("allow-bind /srv", "allow-bind-readonly /srv"))
                .getMessage().contains("is not read-only to containers"));
        ContainerPolicy.of("allow-bind /", "allow-bind /srv"); // "/" is "anything": nothing nests inside it
        ContainerPolicy.of("allow-bind-readonly /srv", "allow-bind /srv/scratch"); // a writable directory inside a read-only tree
        assertThrows(IllegalArgumentException.class, () -> ContainerPolicy.of("allow-runtime has space"));
    }

    @Test
    void everySettingIsFoundByItsDirective() {
        for (Setting setting : Setting.values()) {
            assertEquals(setting, Setting.of(setting.directive()));
            assertFalse(setting.refuses().isEmpty());
        }
    }
}
