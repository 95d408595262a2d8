package org.cetusguard.audit;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;

/**
 * One line per request on stdout, greppable ({@code grep "method=POST"}) as logfmt, or as JSON lines.
 * Values that came from the client are escaped so that a request cannot forge a line.
 */
public final class AuditLog {
    private final boolean json;
    private final PrintStream out;

    public AuditLog(String format, PrintStream out) {
        this.json = format.equals("json");
        this.out = out;
    }

    void write(Exchange e, int status, long nanos) {
        String decision = e.decision == null ? "reject" : e.decision.name().toLowerCase(Locale.ROOT).replace('_', '-');
        String path = e.path != null ? e.path : e.rawTarget;
        String ms = String.format(Locale.ROOT, "%.3f", nanos / 1e6);
        String time = Instant.now().toString();
        String line;
        if (json) {
            line = "{\"time\":" + jsonString(time) + ",\"method\":" + jsonString(e.method) + ",\"path\":" + jsonString(path)
                    + ",\"status\":" + status + ",\"decision\":" + jsonString(decision) + ",\"reason\":" + jsonString(e.reason)
                    + ",\"rule\":" + jsonString(e.rule) + ",\"client\":" + jsonString(e.client) + ",\"upgraded\":" + e.upgraded
                    + ",\"bytes\":" + e.bytesOut + ",\"ms\":" + ms + "}";
        } else {
            line = "time=" + time + " method=" + logfmt(e.method) + " path=" + logfmt(path) + " status=" + status
                    + " decision=" + decision + " reason=" + logfmt(e.reason) + " rule=" + logfmt(e.rule)
                    + " client=" + logfmt(e.client) + " upgraded=" + e.upgraded + " bytes=" + e.bytesOut + " ms=" + ms;
        }
        out.println(line);
    }

    static String logfmt(String value) {
        boolean plain = !value.isEmpty();
        for (int i = 0; i < value.length() && plain; i++) {
            char c = value.charAt(i);
            plain = c > ' ' && c != '"' && c != '=' && c != '\\' && c < 0x7f;
        }
        return plain ? value : jsonString(value);
    }

    static String jsonString(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
