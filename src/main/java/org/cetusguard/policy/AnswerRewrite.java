package org.cetusguard.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.google.re2j.Pattern;
import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonEdit;
import org.cetusguard.json.JsonException;
import org.cetusguard.json.JsonParser;
import org.cetusguard.json.JsonWriter;

/**
 * How one kind of answer is rewritten before the client gets it: the daemon's JSON, held whole,
 * parsed, and only the strings named here replaced (every other byte stays the daemon's). Built by
 * {@link ContainerPolicy#answer} for the answers a policy rewrites: those that carry environment
 * variables or command arguments under redact-env, and a network's list of attached containers
 * under only-label.
 *
 * <p>Which answers carry what (Docker Engine API 1.41 to 1.47, libpod 4): {@link Kind}. The rules
 * are paths from the top of the answer: field names (exact: the daemon spells them so), {@code *}
 * for every element of an array, {@code ?} for "every element if this is an array, else the value
 * itself" (a list and an inspect of the same object share their rules).
 */
public final class AnswerRewrite {
    /** Answers are held whole to be rewritten; a larger one is refused, never passed on unredacted. */
    public static final int MAX_ANSWER_BYTES = 4 * 1024 * 1024;
    private static final int MAX_DEPTH = 128;

    /** What a string at a rule's path is. */
    private enum Action {
        /** An array of NAME=value strings. */
        ENV,
        /** An array of command words, or one command line. */
        ARGS,
        /** An array of build instructions, or one. */
        INSTRUCTION,
        /** libpod's Config.CreateCommand: the podman command line, whose -e values cannot be told apart. */
        CREATE_COMMAND,
        /** A plugin's Config.Env: objects with Name and Value. */
        PLUGIN_ENV,
        /** {@code ps} output: the command column of each process. */
        TOP,
        /** A network's attached containers: other clients' containers, emptied under only-label. */
        CONTAINERS
    }

    private record Rule(String[] path, Action action) {
    }

    /** The answers a policy may rewrite, recognised on the canonical path of a GET. */
    public enum Kind {
        CONTAINER_INSPECT("(?:/libpod)?/containers/.+/json",
                rule("Config.Env", Action.ENV), rule("Config.Cmd", Action.ARGS), rule("Config.Entrypoint", Action.ARGS),
                rule("Config.Healthcheck.Test", Action.ARGS), rule("Args", Action.ARGS),
                rule("Config.CreateCommand", Action.CREATE_COMMAND)),
        CONTAINER_LIST("(?:/libpod)?/containers/json", rule("*.Command", Action.ARGS)),
        EXEC_INSPECT("(?:/libpod)?/exec/.+/json",
                rule("ProcessConfig.entrypoint", Action.ARGS), rule("ProcessConfig.arguments", Action.ARGS)),
        TOP("(?:/libpod)?/(?:containers|pods)/.+/top", rule("", Action.TOP)),
        IMAGE_INSPECT("(?:/libpod)?/images/.+/json",
                rule("Config.Env", Action.ENV), rule("ContainerConfig.Env", Action.ENV),
                rule("Config.Cmd", Action.INSTRUCTION), rule("Config.Entrypoint", Action.INSTRUCTION),
                rule("Config.OnBuild", Action.INSTRUCTION), rule("Config.Healthcheck.Test", Action.ARGS),
                rule("ContainerConfig.Cmd", Action.INSTRUCTION), rule("ContainerConfig.Entrypoint", Action.INSTRUCTION),
                rule("ContainerConfig.OnBuild", Action.INSTRUCTION), rule("History.*.created_by", Action.INSTRUCTION)),
        IMAGE_HISTORY("(?:/libpod)?/images/.+/history",
                rule("*.CreatedBy", Action.INSTRUCTION), rule("*.createdBy", Action.INSTRUCTION)),
        SERVICES("/services(?:/[^/]+)?",
                rule("?.Spec.TaskTemplate.ContainerSpec.Env", Action.ENV),
                rule("?.Spec.TaskTemplate.ContainerSpec.Command", Action.ARGS),
                rule("?.Spec.TaskTemplate.ContainerSpec.Args", Action.ARGS),
                rule("?.Spec.TaskTemplate.ContainerSpec.Healthcheck.Test", Action.ARGS),
                rule("?.PreviousSpec.TaskTemplate.ContainerSpec.Env", Action.ENV),
                rule("?.PreviousSpec.TaskTemplate.ContainerSpec.Command", Action.ARGS),
                rule("?.PreviousSpec.TaskTemplate.ContainerSpec.Args", Action.ARGS),
                rule("?.PreviousSpec.TaskTemplate.ContainerSpec.Healthcheck.Test", Action.ARGS)),
        TASKS("/tasks(?:/[^/]+)?",
                rule("?.Spec.ContainerSpec.Env", Action.ENV), rule("?.Spec.ContainerSpec.Command", Action.ARGS),
                rule("?.Spec.ContainerSpec.Args", Action.ARGS), rule("?.Spec.ContainerSpec.Healthcheck.Test", Action.ARGS)),
        PLUGINS("/plugins(?:/.+/json)?",
                rule("?.Settings.Env", Action.ENV), rule("?.Settings.Args", Action.ARGS),
                rule("?.Config.Env", Action.PLUGIN_ENV), rule("?.Config.Args.Value", Action.ARGS),
                rule("?.Config.Entrypoint", Action.ARGS)),
        SYSTEM_DF("(?:/libpod)?/system/df", rule("Containers.*.Command", Action.ARGS)),
        /** Under only-label only: which containers use a network is other clients' business. */
        NETWORK_INSPECT("/networks/.+", rule("Containers", Action.CONTAINERS)),
        /** The same for the list, which daemons fill in below API 1.28 ({@code /v1.27/networks}). */
        NETWORK_LIST("/networks", rule("*.Containers", Action.CONTAINERS));

        /** Whether this answer is rewritten for only-label (else for redact-env). */
        boolean scopeOnly() {
            return this == NETWORK_INSPECT || this == NETWORK_LIST;
        }

        private final Pattern path;
        private final Rule[] rules;

        Kind(String path, Rule... rules) {
            this.path = Pattern.compile(Version.PREFIX + path);
            this.rules = rules;
        }

        /** The kind of answer a GET of this canonical path gets, or null. */
        static Kind of(String method, String canonicalPath) {
            if (!"GET".equals(method)) {
                return null;
            }
            for (Kind kind : values()) {
                if (kind.path.matches(canonicalPath)) {
                    return kind;
                }
            }
            return null;
        }
    }

    /**
     * Paths whose answers could carry environment variables in a form this cannot rewrite, refused
     * under redact-env whatever the method: image tarballs ({@code docker save}: each image's config
     * with its Env), libpod's generated Kubernetes YAML and systemd units, libpod checkpoint exports.
     */
    private static final Pattern UNREDACTABLE = Pattern.compile(Version.PREFIX
            + "(?:/images/get|/images/.+/get|/libpod/images/export|/libpod/images/.+/get|/libpod/generate/.+"
            + "|/libpod/containers/.+/checkpoint|/libpod/kube/generate)");

    /**
     * The {@code ps_args} a top request may name under redact-env ("" is the daemon's {@code -ef}):
     * ones whose columns show no environment. Any other is refused, not rewritten: {@code ps}
     * formats are too many to know which column carries what ({@code e}, {@code -o args=X}).
     */
    static final List<String> SAFE_PS_ARGS = List.of("", "-ef", "-e", "-f", "aux", "-aux");

    /** Holder for the version prefix the daemons' routers accept, as loose as the loosest (Podman's). */
    static final class Version {
        static final String PREFIX = "(?:/v[0-9][^/]*)?";

        private Version() {
        }
    }

    private static Rule rule(String path, Action action) {
        return new Rule(path.isEmpty() ? new String[0] : path.split("\\."), action);
    }

    private final Kind kind;
    private final boolean redact;
    private final boolean scoped;
    private final Set<String> shown;

    AnswerRewrite(Kind kind, boolean redact, boolean scoped, Set<String> shown) {
        this.kind = kind;
        this.redact = redact;
        this.scoped = scoped;
        this.shown = shown;
    }

    /** Whether redact-env refuses this request because its answer could not be rewritten. */
    static boolean unredactable(String canonicalPath) {
        return UNREDACTABLE.matches(canonicalPath);
    }

    public Kind kind() {
        return kind;
    }

    private static JsonParser.Limits limits(int length) {
        return new JsonParser.Limits(MAX_ANSWER_BYTES, MAX_DEPTH, Math.max(1024, length / 3 + 1024));
    }

    /** The memory a {@link #prepare} of {@code length} bytes takes besides the answer: its index. */
    public long workingMemory(int length) {
        return JsonParser.answerWorkingMemory(length, limits(length));
    }

    /** An answer parsed and its rewrite worked out; {@link #length} says what {@link #apply} allocates. */
    public static final class Prepared {
        private final JsonEdit edit;

        private Prepared(JsonEdit edit) {
            this.edit = edit;
        }

        public long length() {
            return edit.length();
        }

        public byte[] apply() {
            return edit.apply();
        }
    }

    /** The answer could not be read as JSON the rules apply to: it is refused, never passed on. */
    public static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses the daemon's answer and works out the rewrite. */
    public Prepared prepare(byte[] answer) throws Unreadable {
        if (answer.length > MAX_ANSWER_BYTES) {
            throw new Unreadable("the daemon's answer is larger than " + MAX_ANSWER_BYTES + " bytes");
        }
        JsonDocument doc;
        try {
            doc = JsonParser.parseAnswer(answer, limits(answer.length));
        } catch (JsonException e) {
            throw new Unreadable("the daemon's answer is not JSON CetusGuard can read: " + e.getMessage());
        }
        JsonEdit edit = new JsonEdit(doc);
        for (Rule rule : kind.rules) {
            boolean applies = rule.action() == Action.CONTAINERS ? scoped : redact;
            if (applies) {
                List<Integer> targets = new ArrayList<>();
                walk(doc, JsonDocument.ROOT, rule.path(), 0, targets);
                for (int target : targets) {
                    rewrite(doc, edit, target, rule.action());
                }
            }
        }
        return new Prepared(edit);
    }

    /** Convenience for tests and tools: the rewritten answer. */
    public byte[] rewrite(byte[] answer) throws Unreadable {
        return prepare(answer).apply();
    }

    private static void walk(JsonDocument doc, int value, String[] path, int step, List<Integer> out) {
        if (value == JsonDocument.ABSENT) {
            return;
        }
        if (step == path.length) {
            out.add(value);
            return;
        }
        String name = path[step];
        JsonDocument.Kind kind = doc.kind(value);
        if (name.equals("*") || (name.equals("?") && kind == JsonDocument.Kind.ARRAY)) {
            if (kind == JsonDocument.Kind.ARRAY) {
                for (int e = doc.firstElement(value); e != JsonDocument.ABSENT; e = doc.nextElement(value, e)) {
                    walk(doc, e, path, step + 1, out);
                }
            }
        } else if (name.equals("?")) {
            walk(doc, value, path, step + 1, out);
        } else if (kind == JsonDocument.Kind.OBJECT) {
            walk(doc, doc.exactMember(value, name), path, step + 1, out);
        }
    }

    private void rewrite(JsonDocument doc, JsonEdit edit, int value, Action action) {
        switch (action) {
            case ENV -> forEachString(doc, value, (element, text) -> replace(doc, edit, element, text,
                    Secrets.environmentEntry(text, shown)));
            case ARGS, INSTRUCTION -> words(doc, edit, value, action == Action.INSTRUCTION);
            case CREATE_COMMAND -> {
                int[] index = {0};
                forEachString(doc, value, (element, text) -> {
                    boolean keep = index[0]++ == 0 || text.matches("--[A-Za-z0-9][A-Za-z0-9-]*|-[A-Za-z]");
                    if (!keep) {
                        replace(doc, edit, element, text, Secrets.MARKER);
                    }
                });
            }
            case PLUGIN_ENV -> {
                if (doc.kind(value) == JsonDocument.Kind.ARRAY) {
                    for (int e = doc.firstElement(value); e != JsonDocument.ABSENT; e = doc.nextElement(value, e)) {
                        pluginVariable(doc, edit, e);
                    }
                }
            }
            case TOP -> top(doc, edit, value);
            case CONTAINERS -> {
                if (doc.kind(value) == JsonDocument.Kind.OBJECT && !doc.isEmpty(value)) {
                    edit.replaceValue(value, "{}");
                }
            }
        }
    }

    private void pluginVariable(JsonDocument doc, JsonEdit edit, int object) {
        if (doc.kind(object) != JsonDocument.Kind.OBJECT) {
            return;
        }
        int name = doc.exactMember(object, "Name");
        int variable = doc.exactMember(object, "Value");
        if (variable == JsonDocument.ABSENT || doc.kind(variable) != JsonDocument.Kind.STRING) {
            return;
        }
        boolean visible = name != JsonDocument.ABSENT && doc.kind(name) == JsonDocument.Kind.STRING && shown.contains(doc.string(name));
        if (!visible && doc.end(variable) - doc.start(variable) > 2) {
            edit.replaceValue(variable, JsonWriter.string(Secrets.MARKER));
        }
    }

    /**
     * {@code ps} output: Titles names the columns; the command column of every row gets
     * {@link Secrets#arguments(String)} (every column, when none is titled as a command).
     */
    private static void top(JsonDocument doc, JsonEdit edit, int root) {
        if (doc.kind(root) != JsonDocument.Kind.OBJECT) {
            return;
        }
        int titles = doc.exactMember(root, "Titles");
        int processes = doc.exactMember(root, "Processes");
        if (titles == JsonDocument.ABSENT || processes == JsonDocument.ABSENT || doc.kind(titles) != JsonDocument.Kind.ARRAY
                || doc.kind(processes) != JsonDocument.Kind.ARRAY) {
            return;
        }
        List<Integer> columns = new ArrayList<>();
        int i = 0;
        for (int t = doc.firstElement(titles); t != JsonDocument.ABSENT; t = doc.nextElement(titles, t), i++) {
            if (doc.kind(t) == JsonDocument.Kind.STRING && doc.string(t).matches("(?i)CMD|COMMAND|ARGS")) {
                columns.add(i);
            }
        }
        // No column titled as a command (Podman's Docker-compatible top joins every column into one,
        // titled "PID   USER     COMMAND"): every cell is judged as a command rather than none.
        boolean every = columns.isEmpty();
        for (int row = doc.firstElement(processes); row != JsonDocument.ABSENT; row = doc.nextElement(processes, row)) {
            if (doc.kind(row) != JsonDocument.Kind.ARRAY) {
                continue;
            }
            int column = 0;
            for (int cell = doc.firstElement(row); cell != JsonDocument.ABSENT; cell = doc.nextElement(row, cell), column++) {
                if ((every || columns.contains(column)) && doc.kind(cell) == JsonDocument.Kind.STRING) {
                    String text = doc.string(cell);
                    replace(doc, edit, cell, text, Secrets.arguments(text));
                }
            }
        }
    }

    /** A command: an array of words (a secret option's value may be the next element), or one string. */
    private static void words(JsonDocument doc, JsonEdit edit, int value, boolean instructions) {
        if (doc.kind(value) == JsonDocument.Kind.STRING) {
            String text = doc.string(value);
            replace(doc, edit, value, text, instructions ? Secrets.instruction(text) : Secrets.arguments(text));
            return;
        }
        if (doc.kind(value) != JsonDocument.Kind.ARRAY) {
            return;
        }
        List<Integer> elements = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        forEachString(doc, value, (element, text) -> {
            elements.add(element);
            texts.add(text);
        });
        String[] given = texts.toArray(new String[0]);
        String[] redacted = instructions ? Secrets.instructions(given) : Secrets.arguments(given);
        for (int i = 0; i < redacted.length; i++) {
            replace(doc, edit, elements.get(i), texts.get(i), redacted[i]);
        }
    }

    private interface StringVisitor {
        void visit(int element, String text);
    }

    /** Each string element of an array (other elements are left as they are). */
    private static void forEachString(JsonDocument doc, int array, StringVisitor visitor) {
        if (doc.kind(array) != JsonDocument.Kind.ARRAY) {
            return;
        }
        for (int e = doc.firstElement(array); e != JsonDocument.ABSENT; e = doc.nextElement(array, e)) {
            if (doc.kind(e) == JsonDocument.Kind.STRING) {
                visitor.visit(e, doc.string(e));
            }
        }
    }

    private static void replace(JsonDocument doc, JsonEdit edit, int value, String before, String after) {
        if (!after.equals(before)) {
            edit.replaceValue(value, JsonWriter.string(after));
        }
    }
}
