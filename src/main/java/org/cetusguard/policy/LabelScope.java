package org.cetusguard.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The containers one client may see and touch (only-label): those carrying every label listed, a
 * label given without a value matching any value. Empty when the client is not limited. Labels are
 * fixed when a container is created, so whether a container is in a scope never changes.
 *
 * @param labels the labels every container in scope carries, in the order given
 */
public record LabelScope(List<Label> labels) {
    /** No limit: every container. */
    public static final LabelScope ALL = new LabelScope(List.of());

    /** One only-label setting: {@code value} null for "any value". */
    public record Label(String key, String value) {
        /** As the daemon's {@code label} filter takes it: {@code key} or {@code key=value}. */
        public String filter() {
            return value == null ? key : key + "=" + value;
        }
    }

    public LabelScope {
        labels = List.copyOf(labels);
    }

    public boolean isEmpty() {
        return labels.isEmpty();
    }

    /** Whether a container with these labels is in scope; {@code labelOf} gives a label's value, or null when absent. */
    public boolean matches(Function<String, String> labelOf) {
        for (Label label : labels) {
            String value = labelOf.apply(label.key());
            if (value == null || (label.value() != null && !label.value().equals(value))) {
                return false;
            }
        }
        return true;
    }

    /** The daemon's {@code label} filter values that select exactly this scope (the daemon ANDs them). */
    public List<String> filters() {
        List<String> out = new ArrayList<>();
        labels.forEach(label -> out.add(label.filter()));
        return out;
    }

    /** The keys whose values {@link #matches} reads. */
    public List<String> keys() {
        List<String> out = new ArrayList<>();
        labels.forEach(label -> out.add(label.key()));
        return out;
    }

    @Override
    public String toString() {
        return String.join(",", filters());
    }
}
