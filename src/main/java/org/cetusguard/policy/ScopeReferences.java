package org.cetusguard.policy;

import java.util.ArrayList;
import java.util.List;

import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonWriter;

/**
 * only-label, in a create body: the other containers it names must be in scope, and are forwarded
 * by their full ID, so that the container joined is the one that was checked (a name can pass to
 * another container between the check and the create). The fields that name containers, as the
 * daemon reads them: {@code HostConfig.NetworkMode}, {@code PidMode} and {@code IpcMode} as
 * {@code container:NAME}; {@code HostConfig.VolumesFrom} entries as {@code NAME[:ro|:rw]};
 * {@code HostConfig.Links} entries as {@code NAME[:ALIAS]} (the alias defaults to the name, and is
 * kept so when the name becomes an ID). The gate resolves every name {@link #references} lists
 * before the check ({@link Body#container}); one it cannot resolve is refused there, as the daemon
 * answers for a missing container.
 */
final class ScopeReferences extends Check {
    /** A create body naming more containers than this is refused: each rewrite lengthens the body. */
    static final int MAX_REFERENCES = 64;
    // Docker reads container: in the first three; Podman also in UTSMode, UsernsMode and CgroupnsMode.
    private static final String[] MODES = {"NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode"};
    private static final String CONTAINER_MODE = "container:";

    private final boolean on;

    ScopeReferences(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.ONLY_LABEL);
    }

    /** One container name in a body: where it is, and how to write the field back with the ID. */
    private record Reference(int value, String name, String prefix, String suffix) {
    }

    /** The container names a create body's HostConfig uses, in order, each once. */
    static List<String> references(Node host) throws Refusal {
        List<String> names = new ArrayList<>();
        for (Reference reference : find(host)) {
            if (!names.contains(reference.name())) {
                names.add(reference.name());
            }
        }
        return names;
    }

    @Override
    void create(Node config, Node host, Body body) throws Refusal {
        if (!on || host == null) {
            return;
        }
        for (Reference reference : find(host)) {
            String id = body.container(reference.name());
            if (!id.equals(reference.name())) {
                body.edit.replaceValue(reference.value(), JsonWriter.string(reference.prefix() + id + reference.suffix()));
            }
        }
    }

    private static List<Reference> find(Node host) throws Refusal {
        List<Reference> out = new ArrayList<>();
        if (host == null) {
            return out;
        }
        for (String field : MODES) {
            String mode = host.string(field);
            // As the daemon splits it: "container" before the first ':', the name after it.
            if (mode != null && mode.startsWith(CONTAINER_MODE)) {
                out.add(new Reference(host.value(field), mode.substring(CONTAINER_MODE.length()), CONTAINER_MODE, ""));
            }
        }
        each(host, "VolumesFrom", (element, entry) -> {
            int colon = entry.indexOf(':');
            out.add(colon < 0 ? new Reference(element, entry, "", "")
                    : new Reference(element, entry.substring(0, colon), "", entry.substring(colon)));
        });
        each(host, "Links", (element, entry) -> {
            int colon = entry.indexOf(':');
            out.add(colon < 0 ? new Reference(element, entry, "", ":" + entry)
                    : new Reference(element, entry.substring(0, colon), "", entry.substring(colon)));
        });
        if (out.size() > MAX_REFERENCES) {
            throw Refusal.bad(host.path, "names more than " + MAX_REFERENCES + " other containers");
        }
        return out;
    }

    private interface EntryVisitor {
        void visit(int element, String entry);
    }

    private static void each(Node host, String field, EntryVisitor visitor) throws Refusal {
        if (!host.hasArray(field)) {
            return;
        }
        int array = host.value(field);
        JsonDocument doc = host.doc;
        List<Integer> elements = new ArrayList<>();
        for (int e = doc.firstElement(array); e != JsonDocument.ABSENT; e = doc.nextElement(array, e)) {
            elements.add(e);
        }
        host.forEachString(field, (index, entry) -> {
            int element = elements.get(index);
            if (doc.kind(element) == JsonDocument.Kind.STRING) {
                visitor.visit(element, entry);
            }
        });
    }
}
