package org.cetusguard.observe;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;

import org.cetusguard.text.Escape;

/**
 * One line per request on stdout, greppable ({@code grep "method=POST"}) as logfmt, or as JSON lines.
 * Values that came from the client are escaped ({@link Escape}) so that a request cannot forge a line.
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
            line = "{\"time\":" + Escape.forJson(time) + ",\"method\":" + Escape.forJson(e.method) + ",\"path\":" + Escape.forJson(path)
                    + ",\"status\":" + status + ",\"decision\":" + Escape.forJson(decision) + ",\"reason\":" + Escape.forJson(e.reason)
                    + ",\"rule\":" + Escape.forJson(e.rule) + ",\"client\":" + Escape.forJson(e.client) + ",\"upgraded\":" + e.upgraded
                    + ",\"bytes\":" + e.bytesOut + ",\"ms\":" + ms + "}";
        } else {
            line = "time=" + time + " method=" + Escape.forLog(e.method) + " path=" + Escape.forLog(path) + " status=" + status
                    + " decision=" + decision + " reason=" + Escape.forLog(e.reason) + " rule=" + Escape.forLog(e.rule)
                    + " client=" + Escape.forLog(e.client) + " upgraded=" + e.upgraded + " bytes=" + e.bytesOut + " ms=" + ms;
        }
        out.println(line);
    }
}
