package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.cetusguard.gate.CanonicalPath;
import org.cetusguard.rules.RuleException;
import org.cetusguard.rules.RuleParser;
import org.cetusguard.rules.RuleSet;
import org.cetusguard.testbed.FakeDaemon;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Hostile bytes on the wire: each case writes a raw request (or several) to the proxy's TCP frontend,
 * in front of a {@link FakeDaemon} that records what reaches it, and checks three things:
 * <ol>
 * <li>what the client got back (the exact status of every answer);</li>
 * <li>what the daemon received: exactly the expected requests, every one allowed by the rules,
 *     canonical, well framed, and each one answered to the client (no request the client did not get
 *     an answer for, no smuggled second request);</li>
 * <li>that the proxy still serves a good request afterwards: on a new connection always, and on the
 *     same connection when it should stay usable (or that the proxy closed it when it should).</li>
 * </ol>
 * Run with {@code -Dattack.discover=true} to print what each case actually produced instead of failing.
 */
class HostileRequestsTest {
    static final String RULES = String.join("\n",
            "GET,HEAD %API_PREFIX_PING%",
            "GET %API_PREFIX_CONTAINERS%/json",
            "GET %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/json",
            "POST %API_PREFIX_CONTAINERS%/create",
            "POST %API_PREFIX_CONTAINERS%/%CONTAINER_ID_OR_NAME%/attach");
    static final String PING = "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n";
    static final boolean DISCOVER = Boolean.getBoolean("attack.discover");
    static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    /** What the connection should be after the case's answers. */
    enum After { OPEN, CLOSED }

    /**
     * @param abandoned requests the daemon sees begin but never end: the proxy streams a body as it
     *                  arrives, so when a client's body turns out malformed after its first bytes, the
     *                  request already started at the daemon is cut off (never complete, so never acted on)
     */
    record Case(String group, String name, String request, List<Integer> statuses, List<String> daemonSees,
                After after, Consumer<List<FakeDaemon.Received>> check, int abandoned) {
    }

    static Path dir;
    static FakeDaemon daemon;
    static RunningProxy proxy;
    static int port;
    static RuleSet rules;
    static final Map<String, AtomicInteger> CASES_PER_GROUP = new ConcurrentHashMap<>();
    static final Map<String, String> OUTCOMES = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "cg-attack");
        daemon = FakeDaemon.start(dir.resolve("daemon.sock"));
        proxy = RunningProxy.start("-backend-addr", daemon.address(), "-frontend-addr", "tcp://127.0.0.1:0",
                "-no-builtin-rules", "-rules", RULES, "-log-level", "2");
        port = proxy.port(0);
        rules = new RuleSet(RuleParser.parse(RULES, "test"));
    }

    @AfterAll
    static void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        if (daemon != null) {
            daemon.close();
        }
        Files.deleteIfExists(dir);
        StringBuilder summary = new StringBuilder("[attack] cases per class:");
        CASES_PER_GROUP.forEach((g, n) -> summary.append("\n  ").append(g).append(": ").append(n.get()));
        System.out.println(summary);
    }

    // ---------------------------------------------------------------------------------------------
    // The cases. "GET /x" style helpers build a well-formed request around a hostile part.

    static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: docker\r\n\r\n";
    }

    static String line(String requestLine) {
        return requestLine + "\r\nHost: docker\r\n\r\n";
    }

    static String post(String target, String extraHeaders, String body) {
        return "POST " + target + " HTTP/1.1\r\nHost: docker\r\n" + extraHeaders + "\r\n" + body;
    }

    static String upgrade(String target) {
        return "POST " + target + " HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                + "Content-Length: 0\r\n\r\n";
    }

    static final List<Case> CASES = new ArrayList<>();

    static void add(String group, String name, String request, List<Integer> statuses, List<String> daemonSees, After after) {
        add(group, name, request, statuses, daemonSees, after, null);
    }

    static void add(String group, String name, String request, List<Integer> statuses, List<String> daemonSees, After after,
                    Consumer<List<FakeDaemon.Received>> check) {
        CASES.add(new Case(group, name, request, statuses, daemonSees, after, check, 0));
    }

    static void addAbandoned(String group, String name, String request, List<Integer> statuses, After after) {
        CASES.add(new Case(group, name, request, statuses, List.of(), after, null, 1));
    }

    static final List<String> NOTHING = List.of();

    static List<Integer> s(Integer... statuses) {
        return List.of(statuses);
    }

    static List<String> sees(String... lines) {
        return List.of(lines);
    }

    static {
        String g = "path tricks";
        add(g, "dot-dot climbs to a denied endpoint", get("/v1.41/containers/abc/../../secrets"), s(403), NOTHING, After.OPEN);
        add(g, "dot-dot resolves to an allowed endpoint, forwarded resolved", get("/v1.41/containers/abc/../json"),
                s(200), sees("GET /v1.41/containers/json"), After.OPEN);
        add(g, "dot-dot above the root", get("/../v1.41/_ping"), s(400), NOTHING, After.CLOSED);
        add(g, "dot-dot above the root, deep", get("/v1.41/../../v1.41/_ping"), s(400), NOTHING, After.CLOSED);
        add(g, "single dot segment, forwarded resolved", get("/v1.41/./_ping"), s(200), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "trailing dot-dot", get("/v1.41/containers/json/.."), s(400), NOTHING, After.OPEN);
        add(g, "many dot-dot segments resolving to an allowed path",
                get("/v1.41/a/b/c/d/e/f/../../../../../../_ping"), s(200), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "%2e%2e lower case", get("/v1.41/containers/x/%2e%2e/%2e%2e/secrets"), s(400), NOTHING, After.OPEN);
        add(g, "%2E%2E upper case", get("/v1.41/containers/x/%2E%2E/%2E%2E/secrets"), s(400), NOTHING, After.OPEN);
        add(g, ".%2e mixed", get("/v1.41/containers/x/.%2e/.%2E/secrets"), s(400), NOTHING, After.OPEN);
        add(g, "%2e. mixed", get("/v1.41/containers/x/%2e./%2E./secrets"), s(400), NOTHING, After.OPEN);
        add(g, "%2e single dot", get("/v1.41/%2e/_ping"), s(400), NOTHING, After.OPEN);
        add(g, "%2e inside a name", get("/v1.41/containers/a%2eb/json"), s(400), NOTHING, After.OPEN);
        add(g, "double-encoded dot-dot %252e", get("/v1.41/containers/x/%252e%252e/%252e%252e/secrets"), s(400), NOTHING, After.OPEN);
        add(g, "double-encoded slash %252f", get("/v1.41/containers/x%252f..%252f..%252fsecrets/json"), s(400), NOTHING, After.OPEN);
        add(g, "triple encoding %25252e", get("/v1.41/containers/%25252e%25252e/json"), s(400), NOTHING, After.OPEN);
        add(g, "encoded slash %2f", get("/v1.41/containers/x%2f..%2f..%2fsecrets/json"), s(400), NOTHING, After.OPEN);
        add(g, "encoded slash %2F", get("/v1.41/containers/a%2Fb/json"), s(400), NOTHING, After.OPEN);
        add(g, "encoded backslash %5c", get("/v1.41/containers/x%5c..%5c..%5csecrets/json"), s(400), NOTHING, After.OPEN);
        add(g, "encoded backslash %5C", get("/v1.41/containers/a%5Cb/json"), s(400), NOTHING, After.OPEN);
        add(g, "raw backslash", get("/v1.41/containers/x\\..\\..\\secrets/json"), s(400), NOTHING, After.OPEN);
        add(g, "overlong UTF-8 dot %c0%ae", get("/v1.41/containers/x/%c0%ae%c0%ae/%c0%ae%c0%ae/secrets"), s(400), NOTHING, After.OPEN);
        add(g, "overlong UTF-8 slash %c0%af", get("/v1.41/containers/x%c0%af..%c0%afsecrets/json"), s(400), NOTHING, After.OPEN);
        add(g, "3-byte overlong dot %e0%80%ae", get("/v1.41/containers/%e0%80%ae%e0%80%ae/json"), s(400), NOTHING, After.OPEN);
        add(g, "invalid UTF-8 %ff", get("/v1.41/containers/%ff/json"), s(400), NOTHING, After.OPEN);
        add(g, "encoded NUL at the end", get("/v1.41/containers/json%00"), s(400), NOTHING, After.CLOSED);
        add(g, "encoded NUL before dot-dot", get("/v1.41/_ping%00/../../secrets"), s(400), NOTHING, After.CLOSED);
        add(g, "raw NUL byte", get("/v1.41/_ping\0/../secrets"), s(400), NOTHING, After.CLOSED);
        add(g, "encoded CR LF", get("/v1.41/_ping%0d%0aX-Injected:%20yes"), s(400), NOTHING, After.OPEN);
        add(g, "; parameter", get("/v1.41/containers/json;x=y"), s(400), NOTHING, After.OPEN);
        add(g, "..; segment", get("/v1.41/containers/..;/secrets"), s(400), NOTHING, After.OPEN);
        add(g, "encoded ; %3b", get("/v1.41/containers/json%3bx"), s(400), NOTHING, After.OPEN);
        add(g, "empty segment in the middle", get("/v1.41//containers/json"), s(400), NOTHING, After.OPEN);
        add(g, "leading double slash", get("//v1.41/containers/json"), s(400), NOTHING, After.OPEN);
        add(g, "trailing slash", get("/v1.41/containers/json/"), s(400), NOTHING, After.OPEN);
        add(g, "# fragment hiding dot-dot", get("/v1.41/containers/json#/../../secrets"), s(400), NOTHING, After.OPEN);
        add(g, "# fragment on a denied path", get("/v1.41/secrets#/v1.41/_ping"), s(400), NOTHING, After.OPEN);
        add(g, "%23 is a character of the name", get("/v1.41/containers/json%23"), s(403), NOTHING, After.OPEN);
        add(g, "%3f is a character of the name, dot-dot after it",
                get("/v1.41/secrets%3f/../containers/json"), s(200), sees("GET /v1.41/containers/json"), After.OPEN);
        add(g, "query cannot carry a path", get("/v1.41/containers/json?x=/../../secrets"), s(200),
                sees("GET /v1.41/containers/json?x=/../../secrets"), After.OPEN);
        add(g, "absolute-form, allowed, forwarded in origin-form",
                "GET http://docker/v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n", s(200),
                sees("GET /v1.41/containers/json"), After.OPEN);
        add(g, "absolute-form, denied", "GET http://docker/v1.41/secrets HTTP/1.1\r\nHost: docker\r\n\r\n", s(403), NOTHING, After.OPEN);
        add(g, "absolute-form with encoded dot-dot",
                "GET http://docker/v1.41/containers/%2e%2e/secrets HTTP/1.1\r\nHost: docker\r\n\r\n", s(400), NOTHING, After.OPEN);
        add(g, "absolute-form without a path", "GET http://docker HTTP/1.1\r\nHost: docker\r\n\r\n", s(403), NOTHING, After.OPEN);
        add(g, "absolute-form with userinfo", "GET http://user@docker/v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n",
                s(400), NOTHING, After.OPEN);
        add(g, "OPTIONS *", line("OPTIONS * HTTP/1.1"), s(400), NOTHING, After.OPEN);
        add(g, "CONNECT authority-form", line("CONNECT docker:2375 HTTP/1.1"), s(400), NOTHING, After.OPEN);
        add(g, "CONNECT with a path", line("CONNECT /v1.41/_ping HTTP/1.1"), s(400), NOTHING, After.CLOSED);
        add(g, "lower-case method", line("get /v1.41/_ping HTTP/1.1"), s(403), NOTHING, After.OPEN);
        add(g, "upper-case path", get("/V1.41/CONTAINERS/JSON"), s(403), NOTHING, After.OPEN);
        add(g, "raw space in the target", line("GET /v1.41/_ping /x HTTP/1.1"), s(400), NOTHING, After.CLOSED);
        add(g, "raw tab in the target", line("GET /v1.41/_ping\t/x HTTP/1.1"), s(400), NOTHING, After.CLOSED);
        add(g, "raw non-ASCII byte", get("/v1.41/containers/\u00e9/json"), s(400), NOTHING, After.OPEN);
        add(g, "truncated percent-escape", get("/v1.41/_ping%2"), s(400), NOTHING, After.CLOSED);
        add(g, "non-hex percent-escape", get("/v1.41/_ping%zz"), s(400), NOTHING, After.CLOSED);
        add(g, "%u unicode escape", get("/v1.41/containers/%u002e%u002e/json"), s(400), NOTHING, After.OPEN);
        add(g, "DELETE with an encoded slash (JSON error for every method)",
                "DELETE /v1.41/containers/a%2Fb HTTP/1.1\r\nHost: docker\r\n\r\n", s(400), NOTHING, After.OPEN);
        add(g, "HEAD on a GET-only path", "HEAD /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n", s(403), NOTHING, After.OPEN);

        g = "request smuggling";
        String smuggled = "GET /v1.41/secrets HTTP/1.1\r\nHost: docker\r\n\r\n";
        add(g, "Content-Length and Transfer-Encoding", post("/v1.41/containers/create",
                "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "Transfer-Encoding and Content-Length", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", "0\r\n\r\n" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "Transfer-Encoding: chunked, identity", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked, identity\r\n", "0\r\n\r\n" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "Transfer-Encoding: identity, chunked", post("/v1.41/containers/create",
                "Transfer-Encoding: identity, chunked\r\n", "0\r\n\r\n" + smuggled), s(501), NOTHING, After.CLOSED);
        add(g, "Transfer-Encoding: xchunked", post("/v1.41/containers/create",
                "Transfer-Encoding: xchunked\r\n", "0\r\n\r\n" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "Transfer-Encoding with a vertical tab", post("/v1.41/containers/create",
                "Transfer-Encoding:\u000bchunked\r\n", "0\r\n\r\n" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "space before the Transfer-Encoding name (first header)",
                "POST /v1.41/containers/create HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: docker\r\n\r\n0\r\n\r\n" + smuggled,
                s(400), NOTHING, After.CLOSED);
        add(g, "space before the colon", post("/v1.41/containers/create",
                "Transfer-Encoding : chunked\r\n", "0\r\n\r\n" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "tab before the colon", post("/v1.41/containers/create",
                "Transfer-Encoding\t: chunked\r\n", "0\r\n\r\n" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "Transfer-Encoding twice", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "Transfer-Encoding: CHUNKED is chunked, body re-framed", post("/v1.41/containers/create",
                "Transfer-Encoding: CHUNKED\r\n", "2\r\n{}\r\n0\r\n\r\n"), s(200), sees("POST /v1.41/containers/create"), After.OPEN,
                r -> assertEquals("{}", new String(r.get(0).body())));
        add(g, "Content-Length twice, different values", post("/v1.41/containers/create",
                "Content-Length: 2\r\nContent-Length: 40\r\n", "{}" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "Content-Length twice, same value", post("/v1.41/containers/create",
                "Content-Length: 2\r\nContent-Length: 2\r\n", "{}"), s(400), NOTHING, After.CLOSED);
        add(g, "Content-Length list", post("/v1.41/containers/create",
                "Content-Length: 2, 40\r\n", "{}" + smuggled), s(400), NOTHING, After.CLOSED);
        add(g, "Content-Length with a sign", post("/v1.41/containers/create", "Content-Length: +2\r\n", "{}"), s(400), NOTHING, After.CLOSED);
        add(g, "negative Content-Length", post("/v1.41/containers/create", "Content-Length: -1\r\n", "{}"), s(400), NOTHING, After.CLOSED);
        add(g, "hexadecimal Content-Length", post("/v1.41/containers/create", "Content-Length: 0x2\r\n", "{}"), s(400), NOTHING, After.CLOSED);
        add(g, "overflowing Content-Length", post("/v1.41/containers/create",
                "Content-Length: 99999999999999999999999\r\n", "{}"), s(400), NOTHING, After.CLOSED);
        add(g, "bare LF line ends, re-framed with CRLF", "GET /v1.41/_ping HTTP/1.1\nHost: docker\n\n", s(200),
                sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "bare LF line ends, pipelined denied request", "GET /v1.41/_ping HTTP/1.1\nHost: docker\n\n"
                + "GET /v1.41/secrets HTTP/1.1\nHost: docker\n\n", s(200, 403), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "bare LF hiding a Transfer-Encoding", post("/v1.41/containers/create",
                "X-Padding: a\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n", "{}"), s(400), NOTHING, After.CLOSED);
        add(g, "bare CR inside the header block", "GET /v1.41/_ping HTTP/1.1\rHost: docker\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "chunk extension, dropped on forwarding", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\n", "2;ext=1;a=\"b\"\r\n{}\r\n0\r\n\r\n"), s(200),
                sees("POST /v1.41/containers/create"), After.OPEN, r -> assertEquals("{}", new String(r.get(0).body())));
        add(g, "chunk extension with a quoted CRLF and a request inside", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\n", "2;a=\"x\r\n0\r\n\r\n" + smuggled + "\"\r\n{}\r\n0\r\n\r\n"),
                s(400), NOTHING, After.CLOSED);
        add(g, "chunk size with leading zeros", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\n", "0002\r\n{}\r\n0\r\n\r\n"), s(200), sees("POST /v1.41/containers/create"), After.OPEN,
                r -> assertEquals("{}", new String(r.get(0).body())));
        add(g, "overflowing chunk size", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\n", "10000000000000002\r\n{}\r\n0\r\n\r\n"), s(400), NOTHING, After.CLOSED);
        add(g, "negative chunk size", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\n", "-2\r\n{}\r\n0\r\n\r\n"), s(400), NOTHING, After.CLOSED);
        addAbandoned(g, "chunk longer than its size (first bytes already streamed)", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\n", "2\r\n{}xx\r\n0\r\n\r\n"), s(400), After.CLOSED);
        add(g, "bare LF chunk framing", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\n", "2\n{}\n0\n\n"), s(400), NOTHING, After.CLOSED);
        add(g, "Transfer-Encoding: gzip, chunked", post("/v1.41/containers/create",
                "Transfer-Encoding: gzip, chunked\r\n", "2\r\n{}\r\n0\r\n\r\n"), s(501), NOTHING, After.CLOSED);
        add(g, "trailer carrying framing headers, not forwarded", post("/v1.41/containers/create",
                "Transfer-Encoding: chunked\r\n", "2\r\n{}\r\n0\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"),
                s(200), sees("POST /v1.41/containers/create"), After.OPEN);
        add(g, "obsolete line folding", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nX-Folded: a\r\n b\r\n\r\n",
                s(400), NOTHING, After.CLOSED);
        add(g, "obsolete line folding of a Transfer-Encoding", post("/v1.41/containers/create",
                "X-Folded: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 2\r\n", "{}"), s(400), NOTHING, After.CLOSED);
        add(g, "pipelined: allowed then denied", PING + get("/v1.41/secrets"), s(200, 403), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "pipelined: denied then allowed", get("/v1.41/secrets") + PING, s(403, 200), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "pipelined: allowed POST with body then denied DELETE",
                post("/v1.41/containers/create", "Content-Length: 2\r\n", "{}")
                        + "DELETE /v1.41/containers/abc HTTP/1.1\r\nHost: docker\r\n\r\n",
                s(200, 403), sees("POST /v1.41/containers/create"), After.OPEN);
        add(g, "Content-Length shorter than the body, rest is a denied request",
                post("/v1.41/containers/create", "Content-Length: 2\r\n", "{}" + smuggled), s(200, 403),
                sees("POST /v1.41/containers/create"), After.OPEN);
        add(g, "denied POST whose body is an allowed request",
                post("/v1.41/secrets/create", "Content-Length: " + PING.length() + "\r\n", PING), s(403), NOTHING, After.OPEN);
        add(g, "denied, Expect: 100-continue, body never sent", post("/v1.41/secrets/create",
                "Content-Length: 1000\r\nExpect: 100-continue\r\n", ""), s(403), NOTHING, After.CLOSED);
        add(g, "Upgrade: h2c is not honoured, nor forwarded",
                "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                        + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n", s(200), sees("GET /v1.41/_ping"), After.OPEN,
                r -> {
                    assertNull(r.get(0).header("Upgrade"));
                    assertNull(r.get(0).header("HTTP2-Settings"));
                });
        add(g, "Upgrade: h2c on a denied path",
                "GET /v1.41/secrets HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                        + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n", s(403), NOTHING, After.OPEN);
        add(g, "HTTP/2 prior-knowledge preface on the plain connector",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0", s(426), NOTHING, After.CLOSED);
        add(g, "Connection naming Content-Length", post("/v1.41/containers/create",
                "Connection: Content-Length\r\nContent-Length: 2\r\n", "{}"), s(200), sees("POST /v1.41/containers/create"), After.OPEN,
                r -> assertEquals("{}", new String(r.get(0).body())));
        add(g, "Connection naming Host", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nConnection: Host\r\n\r\n", s(200),
                sees("GET /v1.41/_ping"), After.OPEN, r -> assertNotNull(r.get(0).header("Host")));
        add(g, "HTTP/1.0", "GET /v1.41/_ping HTTP/1.0\r\n\r\n", s(200), sees("GET /v1.41/_ping"), After.CLOSED);
        add(g, "HTTP/0.9 request line", "GET /v1.41/_ping\r\n\r\n", s(505), NOTHING, After.CLOSED);
        add(g, "HTTP/1.2", line("GET /v1.41/_ping HTTP/1.2"), s(505), NOTHING, After.CLOSED);
        add(g, "lower-case protocol name", line("GET /v1.41/_ping http/1.1"), s(200), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "two spaces in the request line", line("GET  /v1.41/_ping HTTP/1.1"), s(200), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "NUL in a header value", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nX-A: a\0b\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "space inside a header name", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nX A: b\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "non-token character in the method", line("G(ET /v1.41/_ping HTTP/1.1"), s(400), NOTHING, After.CLOSED);

        g = "hijack";
        add(g, "Upgrade: tcp to a denied path", upgrade("/v1.41/containers/abc/exec"), s(403), NOTHING, After.OPEN);
        add(g, "Upgrade: tcp to exec start (denied)", upgrade("/v1.41/exec/abc/start"), s(403), NOTHING, After.OPEN);
        add(g, "Upgrade: tcp, dot-dot from an allowed attach to a denied exec",
                upgrade("/v1.41/containers/abc/attach/../../../exec/abc/start"), s(403), NOTHING, After.OPEN);
        add(g, "Upgrade: tcp, encoded slash from attach", upgrade("/v1.41/containers/abc%2fattach"), s(400), NOTHING, After.OPEN);
        add(g, "Upgrade: tcp denied, then stream bytes that look like a request",
                upgrade("/v1.41/exec/abc/start") + get("/v1.41/secrets"), s(403, 403), NOTHING, After.OPEN);
        add(g, "Upgrade: TCP, Connection: keep-alive, Upgrade (denied)",
                "POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: docker\r\nConnection: keep-alive, Upgrade\r\nUpgrade: TCP\r\n"
                        + "Content-Length: 0\r\n\r\n", s(403), NOTHING, After.OPEN);
        add(g, "Upgrade: tcp with a body larger than an attach needs",
                "POST /v1.41/containers/abc/attach HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                        + "Content-Length: 70000\r\n\r\n" + "x".repeat(70000), s(413), NOTHING, After.OPEN);

        g = "size limits";
        add(g, "request line over 8 KiB", get("/v1.41/containers/" + "a".repeat(9000) + "/json"), s(414), NOTHING, After.CLOSED);
        add(g, "request line of 100 KiB", get("/v1.41/" + "a/".repeat(50000) + "json"), s(414), NOTHING, After.CLOSED);
        add(g, "one header over 8 KiB", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n",
                s(431), NOTHING, After.CLOSED);
        add(g, "5000 small headers", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n" + "X-A: b\r\n".repeat(5000) + "\r\n",
                s(431), NOTHING, After.CLOSED);
        add(g, "100 small headers (fine)", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\n" + "X-A: b\r\n".repeat(100) + "\r\n",
                s(200), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "denied request announcing 10 GB", post("/v1.41/images/load", "Content-Length: 10000000000\r\n", "abc"),
                s(403), NOTHING, After.CLOSED);

        g = "host header";
        add(g, "no Host", "GET /v1.41/_ping HTTP/1.1\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "two Host headers", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker\r\nHost: evil\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "Host with a space", "GET /v1.41/_ping HTTP/1.1\r\nHost: doc ker\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "Host with a path", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker/v1.41/secrets\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "Host with userinfo", "GET /v1.41/_ping HTTP/1.1\r\nHost: user@docker\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "Host with a bad port", "GET /v1.41/_ping HTTP/1.1\r\nHost: docker:99999x\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "empty Host", "GET /v1.41/_ping HTTP/1.1\r\nHost:\r\n\r\n", s(400), NOTHING, After.CLOSED);
        add(g, "IPv6 literal Host", "GET /v1.41/_ping HTTP/1.1\r\nHost: [::1]:2375\r\n\r\n", s(200), sees("GET /v1.41/_ping"), After.OPEN);
        add(g, "absolute-form authority differs from Host",
                "GET http://evil/v1.41/_ping HTTP/1.1\r\nHost: docker\r\n\r\n", s(400), NOTHING, After.OPEN);
        add(g, "Host is not a routing input (any valid name, same decision)",
                "GET /v1.41/secrets HTTP/1.1\r\nHost: localhost\r\n\r\n", s(403), NOTHING, After.OPEN);
    }

    // ---------------------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicNode> attacks() {
        Map<String, List<DynamicNode>> groups = new LinkedHashMap<>();
        for (Case c : CASES) {
            groups.computeIfAbsent(c.group(), k -> new ArrayList<>())
                    .add(DynamicTest.dynamicTest(c.name(), () -> run(c)));
        }
        return groups.entrySet().stream().map(e -> DynamicContainer.dynamicContainer(e.getKey(), e.getValue()));
    }

    void run(Case c) throws Exception {
        CASES_PER_GROUP.computeIfAbsent(c.group(), k -> new AtomicInteger()).incrementAndGet();
        daemon.clear();
        List<RawClient.Response> responses = new ArrayList<>();
        boolean open;
        List<String> expectedAtDaemon = new ArrayList<>(c.daemonSees());
        try (RawClient client = RawClient.connect(port)) {
            try {
                client.send(c.request());
            } catch (IOException e) {
                // The proxy may close before reading everything (oversized requests); its answer may still be there.
            }
            for (int i = 0; i < c.statuses().size(); i++) {
                RawClient.Response r;
                try {
                    r = client.read(READ_TIMEOUT, c.request().startsWith("HEAD "));
                } catch (SocketTimeoutException e) {
                    break;
                }
                if (r == null) {
                    break;
                }
                responses.add(r);
            }
            RawClient.After state = client.after(Duration.ofMillis(responses.isEmpty() ? 1000 : 150));
            if (!DISCOVER) {
                assertTrue(state != RawClient.After.EXTRA_BYTES, "more answers than requests; got " + responses);
            }
            open = state == RawClient.After.OPEN;
            if (open && c.after() == After.OPEN) {
                client.send(PING);
                RawClient.Response again = client.read(READ_TIMEOUT);
                assertNotNull(again, "no answer to a good request on the same connection");
                assertEquals(200, again.status(), "a good request on the same connection: " + again);
                expectedAtDaemon.add("GET /v1.41/_ping");
            }
        }
        List<Integer> statuses = responses.stream().map(RawClient.Response::status).toList();
        After after = open ? After.OPEN : After.CLOSED;

        // (c) a new connection is served
        try (RawClient fresh = RawClient.connect(port)) {
            RawClient.Response r = fresh.send(PING).read(READ_TIMEOUT);
            assertNotNull(r, "no answer to a good request on a new connection");
            assertEquals(200, r.status(), "a good request on a new connection: " + r);
            assertTrue(r.fromDaemon());
        }
        expectedAtDaemon.add("GET /v1.41/_ping");
        List<FakeDaemon.Received> received = daemon.received();
        List<String> seen = received.stream().map(FakeDaemon.Received::line).toList();
        String outcome = statuses + " " + after + ", daemon saw " + seen.subList(0, Math.max(0, seen.size() - 1 - (open && c.after() == After.OPEN ? 1 : 0)));
        OUTCOMES.put(c.group() + ": " + c.name(), outcome);
        if (DISCOVER) {
            System.out.println("[attack] " + c.group() + " | " + c.name() + " | " + outcome + " | " + responses
                    + (daemon.problems().isEmpty() ? "" : " | PROBLEMS " + daemon.problems()));
            return;
        }

        // (a) what the client got
        assertEquals(c.statuses(), statuses, "statuses; answers were " + responses);
        for (RawClient.Response r : responses) {
            if (r.status() != 101) {
                assertTrue(r.complete(), "truncated answer " + r);
            }
            if (r.status() >= 400 && !c.request().startsWith("HEAD ")) {
                assertTrue(r.bodyText().startsWith("{\"message\":"), "error bodies are Docker-style JSON: " + r);
            }
        }
        assertEquals(c.after(), after, "connection state after the answers");

        // (b) what the daemon got: exactly what was expected, allowed, canonical, well framed, answered
        assertEquals(expectedAtDaemon, seen, "requests at the daemon");
        assertEquals(List.of(), daemon.problems(), "framing problems in what the proxy sent");
        assertEquals(c.abandoned(), daemon.incomplete(), "requests the proxy started and abandoned");
        long answeredByDaemon = responses.stream().filter(RawClient.Response::fromDaemon).count();
        assertEquals(c.daemonSees().size(), answeredByDaemon, "every request the daemon got was answered to the client");
        for (FakeDaemon.Received r : received) {
            assertAllowedAndCanonical(r);
        }
        if (c.check() != null) {
            c.check().accept(received);
        }
    }

    static void assertAllowedAndCanonical(FakeDaemon.Received r) {
        String target = r.target();
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        CanonicalPath canonical;
        try {
            canonical = CanonicalPath.of(path);
        } catch (CanonicalPath.RejectedPathException e) {
            fail("the daemon got a path the proxy would refuse: " + target + " (" + e.getMessage() + ")");
            return;
        }
        assertEquals(path, canonical.encoded(), "the daemon got a non-canonical path");
        assertTrue(rules.allows(r.method(), canonical.decoded()), "the daemon got a denied request: " + r.line());
        String lower = path.toLowerCase(Locale.ROOT);
        assertTrue(!lower.contains("secrets") && !lower.contains("exec") && !lower.contains("..")
                && !lower.contains("//") && !lower.contains("%2"), "suspicious path at the daemon: " + target);
        for (String hopByHop : List.of("Upgrade", "HTTP2-Settings", "TE", "Trailer", "Proxy-Connection", "Keep-Alive")) {
            if (!r.method().equals("POST") || !target.contains("/attach")) {
                assertNull(r.header(hopByHop), hopByHop + " forwarded: " + r.raw());
            }
        }
    }

    /**
     * After an allowed upgrade the connection is a raw stream: bytes that look like a denied request are
     * container input for the daemon, never parsed as a request by the proxy.
     */
    @org.junit.jupiter.api.Test
    void bytesAfterAnAllowedUpgradeAreStreamDataNotRequests() throws Exception {
        daemon.clear();
        String inside = get("/v1.41/secrets");
        try (RawClient client = RawClient.connect(port)) {
            client.send(upgrade("/v1.41/containers/abc/attach?stream=1&stdin=1") + inside);
            RawClient.Response switching = client.read(READ_TIMEOUT);
            assertEquals(101, switching.status(), String.valueOf(switching));
            assertTrue(switching.fromDaemon());
            byte[] echoed = client.readBytes(inside.length(), READ_TIMEOUT);
            assertEquals(inside, new String(echoed, java.nio.charset.StandardCharsets.ISO_8859_1));
            client.shutdownOutput();
            assertTrue(client.closedWithin(READ_TIMEOUT), "the stream ends when the client's input ends");
        }
        assertEquals(List.of("POST /v1.41/containers/abc/attach?stream=1&stdin=1"),
                daemon.received().stream().map(FakeDaemon.Received::line).toList());
        assertEquals(List.of(), daemon.problems());
        try (RawClient fresh = RawClient.connect(port)) {
            assertEquals(200, fresh.send(PING).read(READ_TIMEOUT).status());
        }
    }

    /** Every case gets through the three checks (guards against a factory that silently builds nothing). */
    @org.junit.jupiter.api.Test
    void everyGroupHasCases() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Case c : CASES) {
            counts.merge(c.group(), 1, Integer::sum);
        }
        assertEquals(List.of("path tricks", "request smuggling", "hijack", "size limits", "host header"),
                List.copyOf(counts.keySet()));
        assertTrue(CASES.size() >= 100, "cases: " + CASES.size());
    }

    static {
        try {
            RuleParser.parse(RULES, "check");
        } catch (RuleException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
