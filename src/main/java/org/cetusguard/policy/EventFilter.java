package org.cetusguard.policy;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Predicate;

import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonEdit;
import org.cetusguard.json.JsonException;
import org.cetusguard.json.JsonParser;
import org.cetusguard.json.JsonWriter;

/**
 * The verdict on each line of one client's {@code /events} stream, one event (a JSON object) at a
 * time: the line as it is, the line rewritten, or nothing. One per stream, used by one thread.
 *
 * <p>Under only-label: a {@code container} event passes when its attributes (the daemon copies the
 * container's labels there) carry the scope's labels; a {@code network} or {@code volume} event
 * that names a container ({@code connect}, {@code disconnect}, {@code mount}, {@code unmount})
 * passes when that container is known to be in scope, from an earlier event of this stream or from
 * the proxy's list of the scope ({@code knownInScope}); unknown means out of scope. Other event
 * types (image, volume and network create/destroy, plugin, daemon, swarm objects) pass. Under
 * redact-env: an exec's command in {@code exec_create: ...} and {@code exec_start: ...} gets
 * {@link Secrets#arguments(String)}. A line that is not a JSON object is dropped.
 */
public final class EventFilter {
    /** An event line is a few hundred bytes; one with thousands of labels is still far below this. */
    public static final int MAX_LINE_BYTES = 1024 * 1024;
    /** Containers of the scope this stream has seen, remembered for their network and volume events. */
    private static final int MAX_REMEMBERED = 4096;
    private static final JsonParser.Limits LIMITS = new JsonParser.Limits(MAX_LINE_BYTES, 32, MAX_LINE_BYTES / 2);

    private final LabelScope scope;
    private final boolean redact;
    private final Predicate<String> knownInScope;
    private final Set<String> seen = new LinkedHashSet<>();

    EventFilter(LabelScope scope, boolean redact, Predicate<String> knownInScope) {
        this.scope = scope;
        this.redact = redact;
        this.knownInScope = knownInScope;
    }

    /** The memory {@link #filter} takes for a line of {@code length} bytes besides the line. */
    public static long workingMemory(int length) {
        return JsonParser.answerWorkingMemory(length, LIMITS) + 2L * length + 1024;
    }

    /** What to send for one event line (without its newline): these bytes, or null for nothing. */
    public byte[] filter(byte[] line) {
        JsonDocument doc;
        try {
            doc = JsonParser.parseAnswer(line, LIMITS);
        } catch (JsonException e) {
            return null;
        }
        if (doc.kind(JsonDocument.ROOT) != JsonDocument.Kind.OBJECT) {
            return null;
        }
        String type = string(doc, JsonDocument.ROOT, "Type");
        int actor = doc.exactMember(JsonDocument.ROOT, "Actor");
        int attributes = actor == JsonDocument.ABSENT || doc.kind(actor) != JsonDocument.Kind.OBJECT
                ? JsonDocument.ABSENT : doc.exactMember(actor, "Attributes");
        if (attributes != JsonDocument.ABSENT && doc.kind(attributes) != JsonDocument.Kind.OBJECT) {
            attributes = JsonDocument.ABSENT;
        }
        if (!scope.isEmpty() && !inScope(doc, type, actor, attributes)) {
            return null;
        }
        return redact && "container".equals(type) ? redactExec(doc, line) : line;
    }

    private boolean inScope(JsonDocument doc, String type, int actor, int attributes) {
        if (type == null) {
            return false;
        }
        switch (type) {
            case "container" -> {
                int attrs = attributes;
                boolean in = attrs != JsonDocument.ABSENT && scope.matches(key -> string(doc, attrs, key));
                String id = actor == JsonDocument.ABSENT ? null : string(doc, actor, "ID");
                if (in && id != null) {
                    remember(id);
                }
                return in;
            }
            case "network", "volume" -> {
                String container = attributes == JsonDocument.ABSENT ? null : string(doc, attributes, "container");
                return container == null || seen.contains(container) || knownInScope.test(container);
            }
            default -> {
                return true;
            }
        }
    }

    private void remember(String id) {
        seen.remove(id);
        seen.add(id);
        if (seen.size() > MAX_REMEMBERED) {
            seen.remove(seen.iterator().next());
        }
    }

    /** {@code exec_create: COMMAND} and {@code exec_start: COMMAND} in Action and the legacy status. */
    private static byte[] redactExec(JsonDocument doc, byte[] line) {
        JsonEdit edit = new JsonEdit(doc);
        for (String field : new String[] {"status", "Action"}) {
            int value = doc.exactMember(JsonDocument.ROOT, field);
            if (value == JsonDocument.ABSENT || doc.kind(value) != JsonDocument.Kind.STRING) {
                continue;
            }
            String text = doc.string(value);
            int colon = text.indexOf(": ");
            if (colon > 0 && text.startsWith("exec_")) {
                String redacted = text.substring(0, colon + 2) + Secrets.arguments(text.substring(colon + 2));
                if (!redacted.equals(text)) {
                    edit.replaceValue(value, JsonWriter.string(redacted));
                }
            }
        }
        return edit.isEmpty() ? line : edit.apply();
    }

    private static String string(JsonDocument doc, int object, String field) {
        int value = doc.exactMember(object, field);
        return value == JsonDocument.ABSENT || doc.kind(value) != JsonDocument.Kind.STRING ? null : doc.string(value);
    }
}
