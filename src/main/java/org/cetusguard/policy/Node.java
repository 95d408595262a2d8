package org.cetusguard.policy;

import java.util.ArrayList;
import java.util.List;

import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonDocument.Kind;

/**
 * One JSON object of a parsed body plus its dotted path ("HostConfig", "HostConfig.Mounts[1]"),
 * with typed getters that read fields the way Go's decoder fills struct fields (see
 * {@link JsonDocument#member}) and name the field in every message.
 *
 * <p>Type rules mirror Go: an absent key and JSON null both leave a field at its zero value
 * (false, "", empty), so both read as "not set" here. A value of the wrong JSON type makes the
 * Go decoder fail the whole request, so it is refused with 400 rather than guessed at.
 *
 * <p>Memory: strings are decoded one at a time, only when a check reads them, and a field the
 * policy reads may be at most {@link #MAX_FIELD_BYTES} long; so what the checks decode of a body
 * at once is small and fixed, whatever the body holds ({@link ContainerPolicy#workingMemory}).
 */
final class Node {
    /** The longest string the policy decodes: paths, names, options. Longer ones are refused (400). */
    static final int MAX_FIELD_BYTES = 64 * 1024;

    /** Receives the strings of an array one at a time (the index, the string). */
    interface StringVisitor {
        void visit(int index, String value) throws Refusal;
    }

    final JsonDocument doc;
    /** The object's index in the document, or {@link JsonDocument#ABSENT} for an array's null element (an empty object to Go). */
    final int index;
    final String path;

    private Node(JsonDocument doc, int index, String path) {
        this.doc = doc;
        this.index = index;
        this.path = path;
    }

    /** The body's top level, which must be an object. */
    static Node root(JsonDocument doc) throws Refusal {
        if (doc.kind(JsonDocument.ROOT) != Kind.OBJECT) {
            throw Refusal.bad("", "request body must be a JSON object");
        }
        return new Node(doc, JsonDocument.ROOT, "");
    }

    /** Dotted path of a field of this object, for messages. */
    String pathOf(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The field's value index: {@link JsonDocument#ABSENT} when the key is absent or the value is JSON null. */
    int value(String name) {
        if (index == JsonDocument.ABSENT) {
            return JsonDocument.ABSENT;
        }
        int value = doc.member(index, name);
        return value == JsonDocument.ABSENT || doc.kind(value) == Kind.NULL ? JsonDocument.ABSENT : value;
    }

    /** The field's key index, whatever its value, or {@link JsonDocument#ABSENT}. */
    int key(String name) {
        return index == JsonDocument.ABSENT ? JsonDocument.ABSENT : doc.memberKey(index, name);
    }

    /** The first key of this object that Go would decode into one of {@code fields}, as spelled (shortened), or null. */
    String keyFoldingToAny(Iterable<String> fields) {
        if (index == JsonDocument.ABSENT) {
            return null;
        }
        for (int key = doc.firstKey(index); key != JsonDocument.ABSENT; key = doc.nextKey(index, key)) {
            for (String field : fields) {
                if (doc.keyFoldsTo(key, field)) {
                    return doc.excerpt(key, 100);
                }
            }
        }
        return null;
    }

    /** Decodes a string value, refusing one longer than {@link #MAX_FIELD_BYTES}. */
    private String decode(int value, String where) throws Refusal {
        if (doc.end(value) - doc.start(value) - 2 > MAX_FIELD_BYTES) {
            throw Refusal.bad(where, "longer than " + MAX_FIELD_BYTES + " bytes");
        }
        return doc.string(value);
    }

    private int typed(String name, Kind kind, String expected) throws Refusal {
        int value = value(name);
        if (value != JsonDocument.ABSENT && doc.kind(value) != kind) {
            throw Refusal.bad(pathOf(name), "expected " + expected);
        }
        return value;
    }

    /** A nested object, or null when unset. */
    Node object(String name) throws Refusal {
        int value = typed(name, Kind.OBJECT, "an object");
        return value == JsonDocument.ABSENT ? null : new Node(doc, value, pathOf(name));
    }

    /** Whether the field is set to an array (an empty one counts: it may replace a default). */
    boolean hasArray(String name) throws Refusal {
        return typed(name, Kind.ARRAY, "an array") != JsonDocument.ABSENT;
    }

    /** True when the field is an array with at least one element. */
    boolean hasElements(String name) throws Refusal {
        int value = typed(name, Kind.ARRAY, "an array");
        return value != JsonDocument.ABSENT && !doc.isEmpty(value);
    }

    /** An array of objects; a null element reads as an empty object, as Go zero-fills it. */
    List<Node> objects(String name) throws Refusal {
        List<Node> nodes = new ArrayList<>();
        int array = typed(name, Kind.ARRAY, "an array");
        if (array == JsonDocument.ABSENT) {
            return nodes;
        }
        int i = 0;
        for (int element = doc.firstElement(array); element != JsonDocument.ABSENT; element = doc.nextElement(array, element), i++) {
            String where = pathOf(name) + "[" + i + "]";
            Kind kind = doc.kind(element);
            if (kind == Kind.NULL) {
                nodes.add(new Node(doc, JsonDocument.ABSENT, where));
            } else if (kind == Kind.OBJECT) {
                nodes.add(new Node(doc, element, where));
            } else {
                throw Refusal.bad(where, "expected an object");
            }
        }
        return nodes;
    }

    /** A string, or null when unset. */
    String string(String name) throws Refusal {
        int value = typed(name, Kind.STRING, "a string");
        return value == JsonDocument.ABSENT ? null : decode(value, pathOf(name));
    }

    /** True when the field is a non-empty string. */
    boolean hasText(String name) throws Refusal {
        int value = typed(name, Kind.STRING, "a string");
        return value != JsonDocument.ABSENT && doc.end(value) - doc.start(value) > 2;
    }

    /** A boolean; unset reads as false, like Go's zero value. */
    boolean isTrue(String name) throws Refusal {
        int value = value(name);
        if (value == JsonDocument.ABSENT) {
            return false;
        }
        Kind kind = doc.kind(value);
        if (kind != Kind.TRUE && kind != Kind.FALSE) {
            throw Refusal.bad(pathOf(name), "expected true or false");
        }
        return kind == Kind.TRUE;
    }

    /** Each string of an array, in order; unset reads as empty, a null element as "" (Go's zero value). */
    void forEachString(String name, StringVisitor visitor) throws Refusal {
        int array = typed(name, Kind.ARRAY, "an array");
        if (array == JsonDocument.ABSENT) {
            return;
        }
        int i = 0;
        for (int element = doc.firstElement(array); element != JsonDocument.ABSENT; element = doc.nextElement(array, element), i++) {
            String where = pathOf(name) + "[" + i + "]";
            Kind kind = doc.kind(element);
            if (kind == Kind.NULL) {
                visitor.visit(i, "");
            } else if (kind == Kind.STRING) {
                visitor.visit(i, decode(element, where));
            } else {
                throw Refusal.bad(where, "expected a string");
            }
        }
    }

    /**
     * The object of strings (Labels, Sysctls, DriverOpts) under {@code name}, type-checked, as a value
     * index; {@link JsonDocument#ABSENT} when unset. Map keys are compared exactly, as Go does for maps.
     */
    int stringMap(String name) throws Refusal {
        int map = typed(name, Kind.OBJECT, "an object of strings");
        if (map == JsonDocument.ABSENT) {
            return map;
        }
        for (int key = doc.firstKey(map); key != JsonDocument.ABSENT; key = doc.nextKey(map, key)) {
            Kind kind = doc.kind(key + 1);
            if (kind != Kind.STRING && kind != Kind.NULL) {
                throw Refusal.bad(pathOf(name) + "." + doc.excerpt(key, 100), "expected a string");
            }
        }
        return map;
    }

    /** True when the field is a non-empty object of strings. */
    boolean hasEntries(String name) throws Refusal {
        int map = stringMap(name);
        return map != JsonDocument.ABSENT && !doc.isEmpty(map);
    }

    /** The value of exactly {@code key} in the object of strings {@code name}; null when unset ("" for JSON null). */
    String entry(String name, String key) throws Refusal {
        int map = stringMap(name);
        if (map == JsonDocument.ABSENT) {
            return null;
        }
        int value = doc.exactMember(map, key);
        if (value == JsonDocument.ABSENT) {
            return null;
        }
        return doc.kind(value) == Kind.NULL ? "" : decode(value, pathOf(name) + "." + key);
    }
}
