package org.cetusguard.policy;

import java.util.List;

import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonWriter;

/**
 * force-label, and only-label's labels: every container created carries the operator's labels, so
 * a container a scoped client creates is in its scope. The body is rewritten in place: the labels
 * the client set stay as they are, a client label that differs from a forced key only in case is
 * replaced (the parser refuses two keys that fold alike, in labels too), and the forced ones are
 * set. An only-label given without a value keeps the client's value for that key, and adds the
 * label with an empty value when the client set none.
 */
final class LabelRewrite extends Check {
    private final List<Arguments.Label> labels;

    LabelRewrite(PolicySettings settings) {
        super(settings);
        labels = forced(settings);
    }

    /** force-label's labels, then only-label's that name a value, each key once. */
    static List<Arguments.Label> forced(PolicySettings settings) {
        List<Arguments.Label> out = new java.util.ArrayList<>(settings.values(Setting.FORCE_LABEL, Arguments.Label.class));
        for (LabelScope.Label label : settings.values(Setting.ONLY_LABEL, LabelScope.Label.class)) {
            if (label.value() != null && out.stream().noneMatch(l -> l.key().equals(label.key()))) {
                out.add(new Arguments.Label(label.key(), label.value()));
            }
        }
        return out;
    }

    /** only-label's keys without a value and not forced: present with the client's value, or with "". */
    private List<String> ensured() {
        List<String> out = new java.util.ArrayList<>();
        for (LabelScope.Label label : settings.values(Setting.ONLY_LABEL, LabelScope.Label.class)) {
            if (label.value() == null && labels.stream().noneMatch(l -> l.key().equals(label.key())) && !out.contains(label.key())) {
                out.add(label.key());
            }
        }
        return out;
    }

    @Override
    void create(Node config, Node host, Body body) throws Refusal {
        if (!labels.isEmpty() || !ensured().isEmpty()) {
            apply(config, body);
        }
    }

    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        if (labels.isEmpty()) {
            return;
        }
        if (container == null) {
            throw Refusal.deny("TaskTemplate.ContainerSpec", "a container spec is required: labels are forced on every container");
        }
        apply(container, body);
    }

    private void apply(Node node, Body body) throws Refusal {
        JsonDocument doc = node.doc;
        int map = node.stringMap("Labels");
        List<Arguments.Label> labels = new java.util.ArrayList<>(this.labels);
        for (String key : ensured()) {
            String clientValue = map == JsonDocument.ABSENT ? null : node.entry("Labels", key);
            labels.add(new Arguments.Label(key, clientValue == null ? "" : clientValue));
        }
        if (map == JsonDocument.ABSENT) {
            StringBuilder all = new StringBuilder("{");
            for (Arguments.Label label : labels) {
                all.append(all.length() > 1 ? "," : "").append(JsonWriter.string(label.key())).append(':')
                        .append(JsonWriter.string(label.value()));
            }
            String json = all.append('}').toString();
            int key = node.key("Labels");
            if (key == JsonDocument.ABSENT) {
                body.edit.addMember(node.index, "Labels", json);
            } else {
                body.edit.replaceValue(key + 1, json); // "Labels": null
            }
            return;
        }
        for (Arguments.Label label : labels) {
            String value = JsonWriter.string(label.value());
            int existing = JsonDocument.ABSENT;
            for (int key = doc.firstKey(map); key != JsonDocument.ABSENT; key = doc.nextKey(map, key)) {
                if (doc.keyFoldsTo(key, label.key())) {
                    existing = key;
                }
            }
            if (existing == JsonDocument.ABSENT) {
                body.edit.addMember(map, label.key(), value);
            } else if (!doc.stringEquals(existing, label.key()) || doc.kind(existing + 1) != JsonDocument.Kind.STRING
                    || !doc.stringEquals(existing + 1, label.value())) {
                body.edit.replaceMember(existing, label.key(), value);
            }
        }
    }
}
