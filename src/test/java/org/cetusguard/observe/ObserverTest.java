package org.cetusguard.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The one listener of decisions and outcomes, in memory (Jetty's LocalConnector, no socket, no daemon):
 * every request that passes the observer reaches the audit log and the metrics once, with the decision
 * the adapters wrote on its exchange and the status it was answered with.
 */
class ObserverTest {
    record Counted(String method, Exchange.Decision decision, int status, boolean backendFailed) {
    }

    final BlockingQueue<Counted> counted = new LinkedBlockingQueue<>();
    final Metrics metrics = new Metrics() {
        @Override
        public void request(String method, Exchange.Decision decision, int status, long nanos, boolean backendFailed) {
            counted.add(new Counted(method, decision, status, backendFailed));
        }
    };

    /** The exchanges counted: the response may reach the client a moment before its completion is recorded. */
    List<Counted> countedOnce() throws InterruptedException {
        Counted first = counted.poll(10, TimeUnit.SECONDS);
        List<Counted> all = new ArrayList<>();
        if (first != null) {
            all.add(first);
        }
        counted.drainTo(all);
        return all;
    }
    final ByteArrayOutputStream auditBytes = new ByteArrayOutputStream();
    Server server;
    LocalConnector connector;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    void start(AuditLog audit, Handler adapter) throws Exception {
        server = new Server();
        connector = new LocalConnector(server);
        server.addConnector(connector);
        server.setHandler(new Observer(audit, metrics, adapter));
        server.start();
    }

    String exchange(String request) throws Exception {
        return connector.getResponse(request);
    }

    String audit() {
        return auditBytes.toString(StandardCharsets.UTF_8);
    }

    /** Stands in for an adapter: writes a decision on the exchange and answers. */
    static Handler answering(Exchange.Decision decision, int status, String body) {
        return new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Exchange exchange = Exchange.of(request);
                exchange.decided(decision, decision == Exchange.Decision.ALLOW ? "-" : "rules", "-", "/v1.41/containers/json");
                response.setStatus(status);
                response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        };
    }

    @Test
    void aDecidedRequestReachesTheAuditLogAndTheMetricsOnce() throws Exception {
        start(new AuditLog("logfmt", new PrintStream(auditBytes, true, StandardCharsets.UTF_8)),
                answering(Exchange.Decision.DENY, 403, "{\"message\":\"no\"}"));
        String response = exchange("GET /v1.41/containers/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 403"), response);

        assertEquals(List.of(new Counted("GET", Exchange.Decision.DENY, 403, false)), countedOnce());
        List<String> lines = audit().lines().toList();
        assertEquals(1, lines.size(), audit());
        assertTrue(lines.get(0).matches("time=\\S+ method=GET path=/v1\\.41/containers/json status=403 decision=deny reason=rules"
                + " rule=- client=\\S+ upgraded=false bytes=16 ms=\\d+\\.\\d{3}"), lines.get(0));
    }

    @Test
    void aRequestNobodyDecidedIsARejectAndAFailedOneA500() throws Exception {
        start(null, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                callback.failed(new IllegalStateException("broken adapter"));
                return true;
            }
        });
        String response = exchange("POST /v1.41/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 500"), response);
        assertEquals(List.of(new Counted("POST", null, 500, false)), countedOnce());
        assertEquals("", audit(), "the audit log is off");
    }

    @Test
    void theClientsTargetIsWhatTheAuditLogShowsWhenNoPathWasDecided() throws Exception {
        start(new AuditLog("json", new PrintStream(auditBytes, true, StandardCharsets.UTF_8)), new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Exchange.of(request).decided(Exchange.Decision.REJECT, "path: ambiguous", "-", null);
                Response.writeError(request, response, callback, 400);
                return true;
            }
        });
        exchange("GET /v1.41/containers/../json?all=1&x=%22 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(List.of(new Counted("GET", Exchange.Decision.REJECT, 400, false)), countedOnce());
        assertTrue(audit().contains("\"path\":\"/v1.41/containers/../json?all=1\\u0026x=%22\",\"status\":400,\"decision\":\"reject\""), audit());
    }
}
