package org.cetusguard.gate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.cetusguard.json.JsonDocument;
import org.cetusguard.json.JsonException;
import org.cetusguard.json.JsonParser;
import org.cetusguard.json.JsonWriter;

/**
 * A query string read as the daemon reads it, and rewritten for a scoped client: the scope's label
 * filter merged into {@code filters}, and a container a parameter or filter names replaced by its
 * full ID. Go's {@code url.ParseQuery} splits on {@code &}, refuses a pair holding {@code ;} (the
 * daemon then answers 400) and decodes {@code +} as a blank; {@code Form.Get} takes a key's first
 * value. Here a query with {@code ;} or a bad escape is refused, and the rewritten query holds each
 * rewritten key once, at its first place, with the value the daemon would have read merged.
 *
 * <p>{@code filters} is JSON, which the daemon reads ({@code filters.FromJSON}) as an object of
 * string arrays or, from older clients, of objects whose keys are the values; anything else is
 * refused. It is written back as an object of arrays, which every daemon reads. Label filters are
 * ANDed by Docker and Podman, so adding the scope's narrows whatever the client asked for.
 */
final class ScopedQuery {
    /** The query could not be read one way only. */
    static final class Unreadable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreadable(String message) {
            super(message, null, false, false);
        }
    }

    private static final JsonParser.Limits LIMITS = new JsonParser.Limits(64 * 1024, 3, 4096);

    /** One {@code key=value} pair: as sent, and decoded. */
    private record Pair(String raw, String key, String value) {
    }

    private final List<Pair> pairs = new ArrayList<>();

    /** The keys the gate reads or rewrites; another spelling of one is refused (see the constructor). */
    private static final List<String> JUDGED = List.of("filters", "container", "ps_args", "networkmode");

    private ScopedQuery(String query) throws Unreadable {
        if (query == null || query.isEmpty()) {
            return;
        }
        for (String raw : query.split("&", -1)) {
            if (raw.isEmpty()) {
                continue;
            }
            if (raw.indexOf(';') >= 0) {
                throw new Unreadable("';' in the query");
            }
            int equals = raw.indexOf('=');
            String key = unescape(equals < 0 ? raw : raw.substring(0, equals));
            for (String judged : JUDGED) {
                if (key.equalsIgnoreCase(judged) && !key.equals(judged)) {
                    // Docker reads query keys exactly, Podman's decoder in any case: two readings.
                    throw new Unreadable("query key '" + judged + "' spelled in another case");
                }
            }
            String value = equals < 0 ? "" : unescape(raw.substring(equals + 1));
            pairs.add(new Pair(raw, key, value));
        }
    }

    static ScopedQuery of(String query) throws Unreadable {
        return new ScopedQuery(query);
    }

    /** The value the daemon reads for {@code key} (the first), or null. */
    String first(String key) {
        for (Pair pair : pairs) {
            if (pair.key().equals(key)) {
                return pair.value();
            }
        }
        return null;
    }

    /**
     * The value of a key the gate only reads (not rewrites), or null: given twice with different
     * values it is refused, since Docker reads the first and Podman may read another.
     */
    String single(String key) throws Unreadable {
        String value = first(key);
        for (Pair pair : pairs) {
            if (pair.key().equals(key) && !pair.value().equals(value)) {
                throw new Unreadable("query key '" + key + "' given twice with different values");
            }
        }
        return value;
    }

    /** The filters the daemon reads, key by key, in order; empty when there are none. */
    Map<String, List<String>> filters() throws Unreadable {
        String json = first("filters");
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (json == null || json.isEmpty()) {
            return out;
        }
        JsonDocument doc;
        try {
            doc = JsonParser.parse(json.getBytes(StandardCharsets.UTF_8), LIMITS);
        } catch (JsonException e) {
            throw new Unreadable("filters are not JSON CetusGuard can read: " + e.getMessage());
        }
        if (doc.kind(JsonDocument.ROOT) == JsonDocument.Kind.NULL) {
            return out;
        }
        if (doc.kind(JsonDocument.ROOT) != JsonDocument.Kind.OBJECT) {
            throw new Unreadable("filters must be a JSON object");
        }
        for (int key = doc.firstKey(JsonDocument.ROOT); key != JsonDocument.ABSENT; key = doc.nextKey(JsonDocument.ROOT, key)) {
            List<String> values = new ArrayList<>();
            int value = key + 1;
            switch (doc.kind(value)) {
                case ARRAY -> {
                    for (int e = doc.firstElement(value); e != JsonDocument.ABSENT; e = doc.nextElement(value, e)) {
                        if (doc.kind(e) != JsonDocument.Kind.STRING) {
                            throw new Unreadable("filter values must be strings");
                        }
                        values.add(doc.string(e));
                    }
                }
                case OBJECT -> {
                    for (int k = doc.firstKey(value); k != JsonDocument.ABSENT; k = doc.nextKey(value, k)) {
                        JsonDocument.Kind flag = doc.kind(k + 1);
                        if (flag != JsonDocument.Kind.TRUE && flag != JsonDocument.Kind.FALSE) {
                            throw new Unreadable("filter values must be strings");
                        }
                        values.add(doc.string(k));
                    }
                }
                default -> throw new Unreadable("filter values must be strings");
            }
            out.put(doc.string(key), values);
        }
        return out;
    }

    /**
     * The query with {@code key} set to {@code value}: at the place of its first pair (or at the end),
     * every other pair of that key dropped, every other pair as sent.
     */
    ScopedQuery with(String key, String value) {
        List<Pair> out = new ArrayList<>();
        boolean placed = false;
        Pair replacement = new Pair(escape(key) + "=" + escape(value), key, value);
        for (Pair pair : pairs) {
            if (!pair.key().equals(key)) {
                out.add(pair);
            } else if (!placed) {
                out.add(replacement);
                placed = true;
            }
        }
        if (!placed) {
            out.add(replacement);
        }
        ScopedQuery query = new ScopedQuery();
        query.pairs.addAll(out);
        return query;
    }

    private ScopedQuery() {
    }

    /** {@code filters} with the scope's label filters added to the client's. */
    ScopedQuery withFilters(Map<String, List<String>> filters) {
        StringBuilder json = new StringBuilder("{");
        filters.forEach((key, values) -> {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append(JsonWriter.string(key)).append(":[");
            for (int i = 0; i < values.size(); i++) {
                json.append(i > 0 ? "," : "").append(JsonWriter.string(values.get(i)));
            }
            json.append(']');
        });
        return with("filters", json.append('}').toString());
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (Pair pair : pairs) {
            out.append(out.length() > 0 ? "&" : "").append(pair.raw());
        }
        return out.toString();
    }

    /** Go's QueryUnescape: {@code +} is a blank, {@code %XX} a byte, the bytes UTF-8 (malformed ones replaced, as Go keeps them). */
    private static String unescape(String s) throws Unreadable {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                out.write(' ');
            } else if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
                    throw new Unreadable("invalid escape in the query");
                }
                out.write(Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                byte[] bytes = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Go's QueryEscape: letters, digits and {@code -_.~} as they are, a blank as {@code +}, every other byte {@code %XX}. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() * 2);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append((char) c);
            } else if (c == ' ') {
                out.append('+');
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
