package org.cetusguard.gate;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * How the daemon answers when a request names an object it does not have, with the name left
 * out: learnt from the daemon itself (the lookup asks it about a name no object has, and splits its
 * answer around that name), so that the answer for a container out of scope is the one the daemon
 * gives for a missing one, status, headers and bytes, whatever the daemon (Docker, Podman) and
 * its version. The name goes in as the daemon's JSON encoder writes it (Go's, without HTML
 * escaping: quote and backslash escaped, control characters and U+2028/U+2029 as escapes of four hex digits,
 * everything else as it is).
 */
public final class NotFound {
    /** Which request the daemon was asked. */
    public enum Kind {
        /** {@code GET /containers/NAME/json}: Docker's {@code {"message":"No such container: NAME"}}, 404; most container calls. */
        CONTAINER,
        /** {@code POST /containers/NAME/kill}: Docker's {@code Cannot kill container: NAME: No such container: NAME}, 404. */
        KILL,
        /** {@code POST /containers/NAME/attach}: Docker's plain {@code No such container: NAME}, a raw stream's 404. */
        ATTACH,
        /** {@code GET /exec/ID/json}: {@code No such exec instance: ID}, 404. */
        EXEC,
        /** A container list filtered {@code before} or {@code since} a container: Docker's 500 {@code no such container NAME}. */
        LIST_REFERENCE
    }

    private final int status;
    private final List<String[]> headers;
    /** The answer's body cut where the name goes: the name between each two parts. */
    private final List<byte[]> parts;

    private NotFound(int status, List<String[]> headers, List<byte[]> parts) {
        this.status = status;
        this.headers = List.copyOf(headers);
        this.parts = List.copyOf(parts);
    }

    /**
     * From the daemon's answer to a request naming {@code probe}, an object that does not exist (a
     * random name, so wherever it occurs in the answer is where the daemon wrote the name: Docker's
     * kill writes it twice). An answer that does not hold the name (a daemon without that endpoint)
     * is replayed as it is, whatever the name.
     */
    public static NotFound learnt(int status, List<String[]> headers, byte[] body, String probe) {
        byte[] name = probe.getBytes(StandardCharsets.UTF_8);
        List<byte[]> parts = new java.util.ArrayList<>();
        int from = 0;
        for (int at = indexOf(body, name, 0); at >= 0; at = indexOf(body, name, from)) {
            parts.add(Arrays.copyOfRange(body, from, at));
            from = at + name.length;
        }
        parts.add(Arrays.copyOfRange(body, from, body.length));
        return new NotFound(status, headers, parts);
    }

    /** Docker Engine's answer, when the daemon could not be asked. */
    public static NotFound fallback(Kind kind) {
        if (kind == Kind.ATTACH) {
            return new NotFound(404, List.<String[]>of(new String[] {"Content-Type", "application/vnd.docker.raw-stream"}),
                    List.of(utf8("No such container: "), new byte[0]));
        }
        List<byte[]> parts = switch (kind) {
            case EXEC -> List.of(utf8("{\"message\":\"No such exec instance: "), utf8("\"}\n"));
            case LIST_REFERENCE -> List.of(utf8("{\"message\":\"no such container "), utf8("\"}\n"));
            case KILL -> List.of(utf8("{\"message\":\"Cannot kill container: "), utf8(": No such container: "), utf8("\"}\n"));
            default -> List.of(utf8("{\"message\":\"No such container: "), utf8("\"}\n"));
        };
        return new NotFound(kind == Kind.LIST_REFERENCE ? 500 : 404, List.<String[]>of(new String[] {"Content-Type", "application/json"}),
                parts);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Docker Engine's answer for an ID prefix several containers share (500). */
    static DaemonAnswer ambiguous(String prefix) {
        byte[] body = ("{\"message\":\"Multiple IDs found with provided prefix: " + goString(prefix) + "\"}\n")
                .getBytes(StandardCharsets.UTF_8);
        return new DaemonAnswer(500, List.<String[]>of(new String[] {"Content-Type", "application/json"}), body);
    }

    /** The daemon's answer for {@code name}. */
    public DaemonAnswer answer(String name) {
        byte[] middle = goString(name).getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                body.writeBytes(middle);
            }
            body.writeBytes(parts.get(i));
        }
        return new DaemonAnswer(status, headers, body.toByteArray());
    }

    /** The inside of a JSON string as Go's encoder writes it with HTML escaping off. */
    static String goString(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1)))) {
                        out.append("\ufffd");
                    } else {
                        out.append(c);
                        if (Character.isHighSurrogate(c)) {
                            out.append(s.charAt(++i));
                        }
                    }
                }
            }
        }
        return out.toString();
    }

    private static int indexOf(byte[] in, byte[] what, int from) {
        outer:
        for (int i = from; i + what.length <= in.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
