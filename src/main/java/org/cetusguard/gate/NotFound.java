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
        /** {@code GET /containers/NAME/json}: Docker's {@code {"message":"No such container: NAME"}}, 404. */
        CONTAINER,
        /** {@code GET /exec/ID/json}: {@code No such exec instance: ID}, 404. */
        EXEC,
        /** A container list filtered {@code before} or {@code since} a container: Docker's 500 {@code no such container NAME}. */
        LIST_REFERENCE
    }

    private final int status;
    private final List<String[]> headers;
    private final byte[] before;
    private final byte[] after;
    private final boolean named;

    private NotFound(int status, List<String[]> headers, byte[] before, byte[] after, boolean named) {
        this.status = status;
        this.headers = List.copyOf(headers);
        this.before = before;
        this.after = after;
        this.named = named;
    }

    /**
     * From the daemon's answer to a request naming {@code probe}, an object that does not exist. An
     * answer that does not hold the name exactly once (a daemon without that endpoint) is replayed
     * as it is, whatever the name.
     */
    public static NotFound learnt(int status, List<String[]> headers, byte[] body, String probe) {
        byte[] name = probe.getBytes(StandardCharsets.UTF_8);
        int at = indexOf(body, name, 0);
        if (at < 0 || indexOf(body, name, at + 1) >= 0) {
            return new NotFound(status, headers, body, new byte[0], false);
        }
        return new NotFound(status, headers, Arrays.copyOfRange(body, 0, at), Arrays.copyOfRange(body, at + name.length, body.length),
                true);
    }

    /** Docker Engine's answer, when the daemon could not be asked. */
    public static NotFound fallback(Kind kind) {
        String text = switch (kind) {
            case CONTAINER -> "No such container: ";
            case EXEC -> "No such exec instance: ";
            case LIST_REFERENCE -> "no such container ";
        };
        return new NotFound(kind == Kind.LIST_REFERENCE ? 500 : 404, List.<String[]>of(new String[] {"Content-Type", "application/json"}),
                ("{\"message\":\"" + text).getBytes(StandardCharsets.UTF_8), "\"}\n".getBytes(StandardCharsets.UTF_8), true);
    }

    /** Docker Engine's answer for an ID prefix several containers share (500). */
    static DaemonAnswer ambiguous(String prefix) {
        byte[] body = ("{\"message\":\"Multiple IDs found with provided prefix: " + goString(prefix) + "\"}\n")
                .getBytes(StandardCharsets.UTF_8);
        return new DaemonAnswer(500, List.<String[]>of(new String[] {"Content-Type", "application/json"}), body);
    }

    /** The daemon's answer for {@code name}. */
    public DaemonAnswer answer(String name) {
        if (!named) {
            return new DaemonAnswer(status, headers, before);
        }
        byte[] middle = goString(name).getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[before.length + middle.length + after.length];
        System.arraycopy(before, 0, body, 0, before.length);
        System.arraycopy(middle, 0, body, before.length, middle.length);
        System.arraycopy(after, 0, body, before.length + middle.length, after.length);
        return new DaemonAnswer(status, headers, body);
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
