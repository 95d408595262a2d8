package org.cetusguard.policy;

import java.util.List;

import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonWriter;

/**
 * deny-host-namespaces: no namespace shared with the host or with another container, and a private
 * cgroup namespace for every container that does not ask for one: on a cgroup v1 daemon the default
 * is the host's (moby's create route sets "host" for an empty mode), so "not asking" must not be
 * forwarded as it is.
 */
final class NamespaceCheck extends Check {
    /** Namespace fields of HostConfig, all strings. */
    private static final List<String> FIELDS = List.of("PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode", "NetworkMode", "Cgroup");
    private static final String CGROUPNS = "CgroupnsMode";
    private static final String PRIVATE = "private";

    private final boolean on;

    NamespaceCheck(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.DENY_HOST_NAMESPACES);
    }

    @Override
    void hostConfig(Node host) throws Refusal {
        if (!on) {
            return;
        }
        for (String field : FIELDS) {
            String mode = host.string(field);
            // Compared exactly, as the daemon does (NetworkMode.IsHost: n == "host").
            if ("host".equals(mode)) {
                throw Refusal.deny(host.pathOf(field), "the host's namespace is not allowed");
            }
            // "container:<id>" joins another container's namespace, which may be the host's
            // (a container started with --pid host): the proxy cannot see which.
            if (mode != null && mode.startsWith("container:")) {
                throw Refusal.deny(host.pathOf(field), "joining another container's namespace is not allowed"
                        + " (that container may share the host's)");
            }
        }
        String cgroupns = host.string(CGROUPNS);
        if (cgroupns != null && !cgroupns.isEmpty() && !cgroupns.equals(PRIVATE)) {
            throw Refusal.deny(host.pathOf(CGROUPNS), JsonWriter.quote(cgroupns) + ": only a private cgroup namespace is allowed");
        }
    }

    @Override
    void create(Node config, Node host, Body body) throws Refusal {
        if (!on) {
            return;
        }
        Node networking = config.object("NetworkingConfig");
        Node endpoints = networking == null ? null : networking.object("EndpointsConfig");
        // Network names are compared exactly by the daemon; this is a map, not a struct.
        if (endpoints != null && endpoints.doc.exactMember(endpoints.index, "host") != JsonDocument.ABSENT) {
            throw Refusal.deny(endpoints.pathOf("host"), "the host network is not allowed");
        }
        String value = JsonWriter.string(PRIVATE);
        if (host == null) {
            int key = config.key("HostConfig");
            if (key == JsonDocument.ABSENT) {
                body.edit.addMember(config.index, "HostConfig", "{" + JsonWriter.string(CGROUPNS) + ":" + value + "}");
            } else {
                body.edit.replaceValue(key + 1, "{" + JsonWriter.string(CGROUPNS) + ":" + value + "}"); // HostConfig: null
            }
        } else if (!host.hasText(CGROUPNS)) {
            int key = host.key(CGROUPNS);
            if (key == JsonDocument.ABSENT) {
                body.edit.addMember(host.index, CGROUPNS, value);
            } else {
                body.edit.replaceValue(key + 1, value); // "" or null
            }
        }
    }

    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        if (!on) {
            return;
        }
        networks(spec); // the deprecated top-level location
        if (task != null) {
            networks(task);
        }
    }

    private static void networks(Node node) throws Refusal {
        for (Node network : node.objects("Networks")) {
            // Only the name can be recognised; see README (the host network's ID is not).
            if ("host".equals(network.string("Target"))) {
                throw Refusal.deny(network.pathOf("Target"), "the host network is not allowed");
            }
        }
    }
}
