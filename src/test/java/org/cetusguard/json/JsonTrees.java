package org.cetusguard.json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * For tests only: a parsed body as plain Java values (maps keep key order, numbers are their
 * literal, JSON null is {@link #NULL}), Go-like field lookup on them, and a writer that makes bodies
 * from such values. The product never builds such trees (see {@link JsonDocument}); tests use them
 * to state expectations and generate inputs independently of the code under test.
 */
public final class JsonTrees {
    /** A number's literal. */
    public record Num(String text) {
    }

    /** JSON null. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private static final JsonParser.Limits LIMITS = new JsonParser.Limits(1 << 20, 64, 1_000_000);

    private JsonTrees() {
    }

    public static Object tree(byte[] body) throws JsonException {
        JsonDocument doc = JsonParser.parse(body, LIMITS);
        return tree(doc, JsonDocument.ROOT);
    }

    public static Object tree(String body) throws JsonException {
        return tree(body.getBytes(StandardCharsets.UTF_8));
    }

    static Object tree(JsonDocument doc, int v) {
        switch (doc.kind(v)) {
            case OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int k = doc.firstKey(v); k != JsonDocument.ABSENT; k = doc.nextKey(v, k)) {
                    map.put(doc.string(k), tree(doc, k + 1));
                }
                return map;
            }
            case ARRAY: {
                List<Object> list = new ArrayList<>();
                for (int e = doc.firstElement(v); e != JsonDocument.ABSENT; e = doc.nextElement(v, e)) {
                    list.add(tree(doc, e));
                }
                return list;
            }
            case STRING:
                return doc.string(v);
            case NUMBER:
                return new Num(doc.text(v));
            case TRUE:
                return Boolean.TRUE;
            case FALSE:
                return Boolean.FALSE;
            default:
                return NULL;
        }
    }

    /** The key Go would decode into field {@code name}: exact spelling first, then folded; or null. */
    public static String keyOf(Map<String, Object> object, String name) {
        if (object.containsKey(name)) {
            return name;
        }
        for (String key : object.keySet()) {
            if (KeyFolding.sameField(key, name)) {
                return key;
            }
        }
        return null;
    }

    public static Object field(Map<String, Object> object, String name) {
        String key = keyOf(object, name);
        return key == null ? null : object.get(key);
    }

    /** Compact JSON for a tree built from the types {@link #tree} returns. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(first ? "" : ",").append(JsonWriter.string((String) e.getKey())).append(':');
                write(e.getValue(), out);
                first = false;
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                out.append(i == 0 ? "" : ",");
                write(list.get(i), out);
            }
            out.append(']');
        } else if (value instanceof String s) {
            out.append(JsonWriter.string(s));
        } else if (value instanceof Num n) {
            out.append(n.text());
        } else if (value instanceof Boolean b) {
            out.append(b);
        } else if (value == NULL) {
            out.append("null");
        } else {
            throw new IllegalArgumentException("not a JSON value: " + value);
        }
    }
}
