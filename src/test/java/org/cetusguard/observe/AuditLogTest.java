package org.cetusguard.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The audit log needs no daemon: what a client sends must not forge or break a line. */
class AuditLogTest {
    static final String FORGED = "/x status=200 decision=allow\ntime=2026-11-22T17:45:26Z method=GET path=/ok status=200";

    static String write(String format, Exchange e) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new AuditLog(format, new PrintStream(bytes, true, StandardCharsets.UTF_8)).write(e, 403, 1_500_000);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    static Exchange denied(String path) {
        Exchange e = new Exchange("GET", path, "127.0.0.1:5000");
        e.decided(Exchange.Decision.DENY, "rules", "-", path);
        return e;
    }

    @Test
    void logfmtKeepsEveryClientValueInsideItsField() {
        String out = write("logfmt", denied(FORGED));
        List<String> lines = out.lines().toList();
        assertEquals(1, lines.size(), out);
        String line = lines.get(0);
        assertTrue(line.contains(" path=\"/x status=200 decision=allow\\u000atime=2026-11-22T17:45:26Z method=GET path=/ok status=200\" "), line);
        assertTrue(line.contains(" status=403 decision=deny reason=rules rule=- client=127.0.0.1:5000 "), line);
        assertTrue(line.matches("time=\\S+ method=GET path=\".*\" status=403 .* ms=1\\.500"), line);
    }

    @Test
    void plainValuesAreBareInLogfmt() {
        String line = write("logfmt", denied("/v1.41/containers/json")).strip();
        assertTrue(line.contains(" method=GET path=/v1.41/containers/json status=403 "), line);
    }

    @Test
    void jsonLinesAreValidJsonWithTheExactValues() throws Exception {
        String out = write("json", denied(FORGED + "\u202e<script>\ud800"));
        assertEquals(1, out.lines().count(), out);
        JsonNode node = new ObjectMapper().readTree(out);
        assertEquals(FORGED + "\u202e<script>\ud800", node.get("path").asText());
        assertEquals("deny", node.get("decision").asText());
        assertEquals(403, node.get("status").asInt());
        assertTrue(out.indexOf('<') < 0 && out.indexOf('\u202e') < 0, out);
    }
}
