package org.cetusguard.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.cetusguard.json.JsonWriter;
import org.cetusguard.json.KeyFolding;

/**
 * The settings of one container policy: which {@link Setting}s are on and their arguments, in the
 * order given. Immutable; built from directives with {@link Builder#directive}.
 */
public final class PolicySettings {
    public static final PolicySettings NONE = builder().build();

    /** One argument as written (for messages and the startup log) and as read. */
    record Value(String text, Object parsed) {
    }

    private final Set<Setting> on;
    private final Map<Setting, List<Value>> values;

    private PolicySettings(Set<Setting> on, Map<Setting, List<Value>> values) {
        this.on = Collections.unmodifiableSet(on.isEmpty() ? EnumSet.noneOf(Setting.class) : EnumSet.copyOf(on));
        Map<Setting, List<Value>> copy = new EnumMap<>(Setting.class);
        values.forEach((setting, list) -> copy.put(setting, List.copyOf(list)));
        this.values = Collections.unmodifiableMap(copy);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code setting} is on (given, or implied by another). */
    public boolean on(Setting setting) {
        return on.contains(setting);
    }

    /** The arguments given to {@code setting}, read, in order. */
    <T> List<T> values(Setting setting, Class<T> type) {
        List<T> out = new ArrayList<>();
        values.getOrDefault(setting, List.of()).forEach(v -> out.add(type.cast(v.parsed())));
        return out;
    }

    /** True when no setting is on: nothing is inspected, every body passes unchanged. */
    public boolean isOff() {
        return on.isEmpty();
    }

    /** Whether some setting that is on needs the bodies of this scope. */
    boolean inspects(Setting.Scope scope) {
        for (Setting setting : on) {
            if (setting.scopes().contains(scope)) {
                return true;
            }
        }
        return false;
    }

    /** Whether some setting that is on reads request bodies at all. */
    boolean readsBodies() {
        for (Setting setting : on) {
            if (!setting.scopes().isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** The protections of deny-host-access that are off. Empty when the policy denies host access in full. */
    public Set<Setting> missingHostProtections() {
        EnumSet<Setting> missing = EnumSet.copyOf(Setting.DENY_HOST_ACCESS.implied());
        missing.removeAll(on);
        return missing;
    }

    /** The settings that are on, one directive each (implied ones too), for the startup log and check. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Setting setting : on) {
            if (!setting.takesArgument()) {
                out.add(setting.directive());
            }
            for (Value value : values.getOrDefault(setting, List.of())) {
                out.add(setting.directive() + " " + value.text());
            }
        }
        return out;
    }

    /** Collects settings; not thread-safe. */
    public static final class Builder {
        private final EnumSet<Setting> on = EnumSet.noneOf(Setting.class);
        private final Map<Setting, List<Value>> values = new EnumMap<>(Setting.class);

        private Builder() {
        }

        /**
         * Applies one setting written as in a profiles file, e.g. {@code deny-privileged} or
         * {@code allow-bind /srv/data}. The argument is the rest of the line, trimmed.
         *
         * @throws IllegalArgumentException naming what is wrong
         */
        public Builder directive(String text) {
            String trimmed = text.strip();
            int blank = indexOfBlank(trimmed);
            String name = blank < 0 ? trimmed : trimmed.substring(0, blank);
            String argument = blank < 0 ? "" : trimmed.substring(blank + 1).strip();
            Setting setting = Setting.of(name);
            if (setting == null) {
                throw new IllegalArgumentException("unknown policy setting " + JsonWriter.quote(name));
            }
            if (setting.takesArgument() && argument.isEmpty()) {
                throw new IllegalArgumentException("policy setting " + name + " needs an argument");
            }
            if (!setting.takesArgument() && !argument.isEmpty()) {
                throw new IllegalArgumentException("policy setting " + name + " takes no argument");
            }
            if (setting.takesArgument()) {
                Object parsed = setting.readArgument(argument);
                List<Value> list = values.computeIfAbsent(setting, s -> new ArrayList<>());
                if (list.stream().noneMatch(v -> v.parsed().equals(parsed))) {
                    // Names and paths are described as the policy reads them (CAP_NET_ADMIN, /srv/data).
                    list.add(new Value(parsed instanceof String normalised ? normalised : argument, parsed));
                }
            }
            turnOn(setting);
            return this;
        }

        private void turnOn(Setting setting) {
            if (on.add(setting)) {
                setting.implied().forEach(this::turnOn);
            }
        }

        /**
         * The settings, once they agree with each other.
         *
         * @throws IllegalArgumentException when two settings contradict each other
         */
        public PolicySettings build() {
            PolicySettings settings = new PolicySettings(on, values);
            List<String> writable = settings.values(Setting.ALLOW_BIND, String.class);
            for (String root : writable) {
                for (String outer : writable) {
                    if (!outer.equals("/") && !outer.equals(root) && HostPaths.isUnder(root, outer)) {
                        throw new IllegalArgumentException("allow-bind " + root + " lies inside allow-bind " + outer
                                + ", whose contents containers can change (a container could put a symbolic link there)");
                    }
                }
                for (String readOnly : settings.values(Setting.ALLOW_BIND_READONLY, String.class)) {
                    if (!root.equals("/") && HostPaths.isUnder(readOnly, root)) {
                        throw new IllegalArgumentException("allow-bind-readonly " + readOnly + " is not read-only to containers:"
                                + " allow-bind " + root + " lets them write there");
                    }
                }
            }
            List<String> folded = new ArrayList<>();
            for (Arguments.Label label : settings.values(Setting.FORCE_LABEL, Arguments.Label.class)) {
                String key = KeyFolding.fold(label.key());
                if (folded.contains(key)) {
                    throw new IllegalArgumentException("label " + JsonWriter.quote(label.key()) + " is forced twice");
                }
                folded.add(key);
            }
            checkScope(settings);
            return settings;
        }

        /**
         * The only-label settings must describe containers that can exist, and creating one must put it
         * in scope: no key with two values, no forced label contradicting the scope, no two keys that
         * differ only in case (the body parser refuses such labels in a create body).
         */
        private static void checkScope(PolicySettings settings) {
            List<Arguments.Label> forced = settings.values(Setting.FORCE_LABEL, Arguments.Label.class);
            List<LabelScope.Label> scope = settings.values(Setting.ONLY_LABEL, LabelScope.Label.class);
            for (LabelScope.Label label : scope) {
                for (LabelScope.Label other : scope) {
                    if (label.key().equals(other.key()) && label.value() != null && other.value() != null
                            && !label.value().equals(other.value())) {
                        throw new IllegalArgumentException("only-label " + JsonWriter.quote(label.key())
                                + " is given two values: no container can carry both");
                    }
                    if (!label.key().equals(other.key()) && KeyFolding.fold(label.key()).equals(KeyFolding.fold(other.key()))) {
                        throw new IllegalArgumentException("only-label keys " + JsonWriter.quote(label.key()) + " and "
                                + JsonWriter.quote(other.key()) + " differ only in case");
                    }
                }
                for (Arguments.Label force : forced) {
                    boolean sameKey = force.key().equals(label.key());
                    if (sameKey && label.value() != null && !label.value().equals(force.value())) {
                        throw new IllegalArgumentException("force-label " + JsonWriter.quote(force.key() + "=" + force.value())
                                + " contradicts only-label " + JsonWriter.quote(label.filter()));
                    }
                    if (!sameKey && KeyFolding.fold(force.key()).equals(KeyFolding.fold(label.key()))) {
                        throw new IllegalArgumentException("force-label " + JsonWriter.quote(force.key()) + " and only-label "
                                + JsonWriter.quote(label.key()) + " differ only in case");
                    }
                }
            }
        }

        private static int indexOfBlank(String s) {
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                    return i;
                }
            }
            return -1;
        }
    }
}
