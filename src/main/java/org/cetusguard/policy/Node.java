package org.cetusguard.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object of a parsed body plus its dotted path ("HostConfig", "HostConfig.Mounts[1]"),
 * with typed getters that read fields the way Go's decoder fills struct fields (see
 * {@link Json#field}) and name the field in every message.
 *
 * <p>Type rules mirror Go: an absent key and JSON null both leave a field at its zero value
 * (false, "", empty), so both read as "not set" here. A value of the wrong JSON type makes the
 * Go decoder fail the whole request, so it is refused with 400 rather than guessed at.
 */
final class Node {
    final Map<String, Object> map;
    final String path;

    private Node(Map<String, Object> map, String path) {
        this.map = map;
        this.path = path;
    }

    /** The body's top level, which must be an object. */
    @SuppressWarnings("unchecked")
    static Node root(Object document) throws Refusal {
        if (!(document instanceof Map)) {
            throw Refusal.bad("", "request body must be a JSON object");
        }
        return new Node((Map<String, Object>) document, "");
    }

    /** Dotted path of a field of this object, for messages. */
    String pathOf(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The field's value as parsed: Java null when the key is absent or the value is JSON null. */
    Object raw(String name) {
        Object value = Json.field(map, name);
        return value == Json.NULL ? null : value;
    }

    /** A nested object, or null when unset. */
    @SuppressWarnings("unchecked")
    Node object(String name) throws Refusal {
        Object value = raw(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map)) {
            throw Refusal.bad(pathOf(name), "expected an object");
        }
        return new Node((Map<String, Object>) value, pathOf(name));
    }

    /** An array, or null when unset (so an explicit empty array is distinguishable). */
    @SuppressWarnings("unchecked")
    List<Object> array(String name) throws Refusal {
        Object value = raw(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof List)) {
            throw Refusal.bad(pathOf(name), "expected an array");
        }
        return (List<Object>) value;
    }

    /** True when the field is an array with at least one element. */
    boolean hasElements(String name) throws Refusal {
        List<Object> list = array(name);
        return list != null && !list.isEmpty();
    }

    /** An array of objects; a null element reads as an empty object, as Go zero-fills it. */
    @SuppressWarnings("unchecked")
    List<Node> objects(String name) throws Refusal {
        List<Object> list = array(name);
        List<Node> nodes = new ArrayList<>();
        if (list == null) {
            return nodes;
        }
        for (int i = 0; i < list.size(); i++) {
            Object element = list.get(i);
            String where = pathOf(name) + "[" + i + "]";
            if (element == Json.NULL) {
                nodes.add(new Node(new LinkedHashMap<>(), where));
            } else if (element instanceof Map) {
                nodes.add(new Node((Map<String, Object>) element, where));
            } else {
                throw Refusal.bad(where, "expected an object");
            }
        }
        return nodes;
    }

    /** A string, or null when unset. */
    String string(String name) throws Refusal {
        Object value = raw(name);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String)) {
            throw Refusal.bad(pathOf(name), "expected a string");
        }
        return (String) value;
    }

    /** True when the field is a non-empty string. */
    boolean hasText(String name) throws Refusal {
        String value = string(name);
        return value != null && !value.isEmpty();
    }

    /** A boolean; unset reads as false, like Go's zero value. */
    boolean isTrue(String name) throws Refusal {
        Object value = raw(name);
        if (value == null) {
            return false;
        }
        if (!(value instanceof Boolean)) {
            throw Refusal.bad(pathOf(name), "expected true or false");
        }
        return (Boolean) value;
    }

    /** An array of strings; unset reads as empty, a null element as "" (Go's zero value). */
    List<String> strings(String name) throws Refusal {
        List<Object> list = array(name);
        List<String> out = new ArrayList<>();
        if (list == null) {
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            Object element = list.get(i);
            if (element == Json.NULL) {
                out.add("");
            } else if (element instanceof String) {
                out.add((String) element);
            } else {
                throw Refusal.bad(pathOf(name) + "[" + i + "]", "expected a string");
            }
        }
        return out;
    }

    /**
     * A string-to-string map (Labels, Sysctls, DriverOpts); unset reads as empty. Map keys are
     * compared exactly, as Go does for maps. A null value reads as "".
     */
    Map<String, String> stringMap(String name) throws Refusal {
        Object value = raw(name);
        Map<String, String> out = new LinkedHashMap<>();
        if (value == null) {
            return out;
        }
        if (!(value instanceof Map)) {
            throw Refusal.bad(pathOf(name), "expected an object of strings");
        }
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
            Object v = e.getValue();
            if (v == Json.NULL) {
                v = "";
            }
            if (!(v instanceof String)) {
                throw Refusal.bad(pathOf(name) + "." + e.getKey(), "expected a string");
            }
            out.put((String) e.getKey(), (String) v);
        }
        return out;
    }
}
