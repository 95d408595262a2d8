package org.cetusguard.json;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rewrite of a parsed body that changes only what it names: every other byte stays as the client
 * sent it. Edits replace a value, replace a member (key and value), or add members at the end of
 * an object; {@link #apply} writes the new body. Replacements must not overlap (one per value);
 * members added to the same object are written together, in the order added.
 */
public final class JsonEdit {
    private record Splice(int from, int to, String text) {
    }

    private final JsonDocument document;
    private final List<Splice> splices = new ArrayList<>();
    /** Members to add, per object, as "key":value texts. */
    private final Map<Integer, List<String>> added = new LinkedHashMap<>();
    /** The end of the last replacement, while replacements come in document order (as redaction adds them). */
    private int inOrderUpTo;
    private boolean inOrder = true;

    public JsonEdit(JsonDocument document) {
        this.document = document;
    }

    public boolean isEmpty() {
        return splices.isEmpty() && added.isEmpty();
    }

    /** Replaces value {@code value} with the JSON text {@code json}. */
    public void replaceValue(int value, String json) {
        add(document.start(value), document.end(value), json);
    }

    /** Replaces the member whose key is {@code key} (its key and its value) with {@code key: json}. */
    public void replaceMember(int key, String newKey, String json) {
        add(document.start(key), document.end(key + 1), JsonWriter.string(newKey) + ":" + json);
    }

    /** Adds member {@code key: json} at the end of {@code object}, after any added before. */
    public void addMember(int object, String key, String json) {
        added.computeIfAbsent(object, o -> new ArrayList<>()).add(JsonWriter.string(key) + ":" + json);
    }

    private void add(int from, int to, String text) {
        // Replacements made front to back (an answer's redaction makes thousands) cannot overlap an
        // earlier one: no need to compare each with all the others.
        if (!inOrder || from < inOrderUpTo) {
            inOrder = false;
            for (Splice other : splices) {
                if (from < other.to() && other.from() < to) {
                    throw new IllegalStateException("overlapping edits at byte " + from);
                }
            }
        }
        inOrderUpTo = Math.max(inOrderUpTo, to);
        splices.add(new Splice(from, to, text));
    }

    /** How long {@link #apply} will make the body, so that a caller can reserve the memory first. */
    public long length() {
        long length = document.length();
        for (Splice s : splices) {
            length += utf8Length(s.text()) - (s.to() - s.from());
        }
        for (Map.Entry<Integer, List<String>> members : added.entrySet()) {
            length += document.isEmpty(members.getKey()) ? -1 : 0;
            for (String member : members.getValue()) {
                length += utf8Length(member) + 1;
            }
        }
        return length;
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isHighSurrogate(c) ? 2 : 3;
        }
        return n;
    }

    /** The edited body. */
    public byte[] apply() {
        byte[] in = document.bytes();
        List<Splice> ordered = new ArrayList<>(splices);
        added.forEach((object, members) -> {
            int closing = document.end(object) - 1;
            String separator = document.isEmpty(object) ? "" : ",";
            Splice insertion = new Splice(closing, closing, separator + String.join(",", members));
            for (Splice other : ordered) {
                if (other.from() < closing && closing < other.to()) {
                    throw new IllegalStateException("members added inside a replaced value");
                }
            }
            ordered.add(insertion);
        });
        ordered.sort(Comparator.comparingInt(Splice::from));
        List<byte[]> texts = new ArrayList<>();
        int length = in.length;
        for (Splice s : ordered) {
            byte[] text = s.text().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            texts.add(text);
            length += text.length - (s.to() - s.from());
        }
        byte[] out = new byte[length];
        int read = 0;
        int written = 0;
        for (int i = 0; i < ordered.size(); i++) {
            Splice s = ordered.get(i);
            System.arraycopy(in, read, out, written, s.from() - read);
            written += s.from() - read;
            byte[] text = texts.get(i);
            System.arraycopy(text, 0, out, written, text.length);
            written += text.length;
            read = s.to();
        }
        System.arraycopy(in, read, out, written, in.length - read);
        return out;
    }
}
