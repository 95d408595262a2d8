package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.cetusguard.json.JsonTrees;
import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.LiveCli;
import org.cetusguard.testbed.RawClient;
import org.cetusguard.testbed.RunningProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * redact-env and only-label against the real daemon, driven by the real docker CLI.
 *
 * <p>Two proxies: one for a "display only" tier with {@code redact-env} (and {@code show-env
 * VISIBLE}), and one serving two teams on two Unix sockets, each socket's profile scoped with
 * {@code only-label team=a} or {@code team=b}. Containers of team a, team b and of nobody are made
 * directly on the daemon. Nothing waits for time: streams are read until the awaited event arrives.
 */
class ScopeAndRedactionIT {
    static final String CONTAINER_RULES = "GET,HEAD,POST,PUT,DELETE %API_PREFIX_CONTAINERS%(/.*)?";
    static final Duration WAIT = Duration.ofSeconds(60);

    static DockerTestbed testbed;
    static Path dir;
    static RunningProxy redacting;
    static RunningProxy teams;
    static String display;
    static String teamA;
    static String teamB;
    static Path socketA;
    static Path socketB;
    static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    static final List<String> made = new ArrayList<>();
    /** Team a's, team b's and nobody's container: name and full ID. */
    static String[] a;
    static String[] b;
    static String[] none;

    @BeforeAll
    static void start() throws Exception {
        testbed = DockerTestbed.get();
        dir = Files.createTempDirectory("cg-scope");
        redacting = RunningProxy.start("-frontend-addr", "tcp://127.0.0.1:0", "-log-level", "3",
                "-rules", CONTAINER_RULES + "\nGET %API_PREFIX_EVENTS%\nGET %API_PREFIX_EXEC%/.*",
                "-policy", "redact-env", "-policy", "show-env VISIBLE");
        display = redacting.dockerHost(0);

        socketA = dir.resolve("team-a.sock");
        socketB = dir.resolve("team-b.sock");
        Path profiles = dir.resolve("profiles.conf");
        List<String> lines = new ArrayList<>();
        for (String team : List.of("a", "b")) {
            lines.addAll(List.of("[profile team-" + team + "]",
                    "match listener unix://" + (team.equals("a") ? socketA : socketB),
                    "rule " + CONTAINER_RULES,
                    "rule GET,HEAD,POST %API_PREFIX_EXEC%/.*",
                    "rule GET %API_PREFIX_EVENTS%",
                    "rule GET %API_PREFIX_IMAGES%/.*",
                    "rule GET %API_PREFIX_SYSTEM%/df",
                    "policy only-label team=" + team,
                    "policy redact-env",
                    ""));
        }
        Files.writeString(profiles, String.join("\n", lines));
        teams = RunningProxy.start("-frontend-addr", "unix://" + socketA, "-frontend-addr", "unix://" + socketB,
                "-profiles-file", profiles.toString(), "-log-level", "3");
        teamA = "unix://" + socketA;
        teamB = "unix://" + socketB;

        a = container("a", "--label", "team=a");
        b = container("b", "--label", "team=b");
        none = container("none");
    }

    @AfterAll
    static void stop() {
        if (testbed != null) {
            for (String name : made) {
                testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", "-f", name);
            }
        }
        if (teams != null) {
            teams.close();
        }
        if (redacting != null) {
            redacting.close();
        }
    }

    static String name(String what) {
        String name = "cg-scope-" + RUN + "-" + what;
        made.add(name);
        return name;
    }

    /** A running container made directly on the daemon: {name, full ID}. */
    static String[] container(String what, String... options) {
        String name = name(what);
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--network", "none"));
        args.addAll(List.of(options));
        args.addAll(List.of(testbed.image(), "sleep", "600"));
        String id = testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, args.toArray(new String[0])).requireOk().stdoutText().strip();
        return new String[] {name, id};
    }

    static CliResult docker(String host, String... args) {
        return testbed.docker(host, args);
    }

    // ---------------------------------------------------------------- redact-env

    @Test
    void inspectThroughRedactEnvShowsNamesWithoutValuesAsValidJson() throws Exception {
        String secret = "hunter2-" + RUN;
        String name = name("env");
        testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "run", "-d", "--name", name, "--network", "none",
                "-e", "DB_PASSWORD=" + secret, "-e", "VISIBLE=shown-" + RUN, "-e", "EMPTY=",
                testbed.image(), "sh", "-c", "sleep 600", "sh", "--password=" + secret + "-arg").requireOk();

        CliResult inspect = docker(display, "inspect", name).requireOk();
        String out = inspect.stdoutText();
        assertFalse(out.contains(secret), () -> "a secret value survived: " + out);
        @SuppressWarnings("unchecked")
        Map<String, Object> first = (Map<String, Object>) ((List<Object>) JsonTrees.tree(inspect.stdout())).get(0);
        @SuppressWarnings("unchecked")
        List<Object> env = (List<Object>) ((Map<String, Object>) first.get("Config")).get("Env");
        assertTrue(env.contains("DB_PASSWORD=" + Secrets.MARKER), env::toString);
        assertTrue(env.contains("VISIBLE=shown-" + RUN), () -> "show-env keeps it: " + env);
        assertTrue(env.stream().anyMatch(e -> String.valueOf(e).startsWith("PATH=")), "names stay: " + env);

        // The same through the CLI's template, and the list's Command column.
        String formatted = docker(display, "inspect", "-f", "{{json .Config.Env}} {{json .Args}}", name).requireOk().stdoutText();
        assertFalse(formatted.contains(secret), formatted);
        String ps = docker(display, "ps", "--no-trunc", "--filter", "name=" + name, "--format", "{{.Command}}").requireOk().stdoutText();
        assertTrue(ps.contains("--password="), ps);
        assertFalse(ps.contains(secret), ps);

        // Directly, the daemon has it all: the proxy is what hid it.
        assertTrue(docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", name).requireOk().stdoutText().contains(secret));

        // docker top works; `ps e` would print every process's environment (red-team finding): refused.
        assertFalse(docker(display, "top", name).requireOk().stdoutText().contains(secret));
        assertTrue(docker(DockerTestbed.DIRECT_DOCKER_HOST, "top", name, "e").requireOk().stdoutText().contains(secret),
                "ps e shows the environment, directly");
        for (String[] psArgs : new String[][] {{"e"}, {"-o", "pid,args=X", "e"}}) {
            List<String> command = new ArrayList<>(List.of("top", name));
            command.addAll(List.of(psArgs));
            CliResult top = docker(display, command.toArray(new String[0]));
            assertFalse(top.ok() || top.stdoutText().contains(secret), top::toString);
            assertTrue(top.stderr().contains("ps_args"), top::toString);
        }
    }

    @Test
    void aRewrittenAnswerIsCorrectHttp() throws Exception {
        String id = a[1];
        try (RawClient client = RawClient.connect(redacting.port(0))) {
            RawClient.Response answer = client.send("GET /v1.41/containers/" + id + "/json HTTP/1.1\r\nHost: x\r\n\r\n").read(WAIT);
            assertEquals(200, answer.status(), answer::toString);
            assertTrue(answer.complete(), answer::toString);
            String length = answer.header("Content-Length");
            if (length != null) {
                assertEquals(answer.body().length, Integer.parseInt(length), "the Content-Length is the body's sent");
            }
            JsonTrees.tree(answer.body());
            // The connection is still in step: a second request on it is answered.
            RawClient.Response again = client.send("GET /v1.41/containers/" + id + "/json HTTP/1.1\r\nHost: x\r\n\r\n").read(WAIT);
            assertEquals(200, again.status());
            assertEquals(answer.bodyText().length(), again.bodyText().length());
        }
    }

    @Test
    void anInspectAnswerTooLargeToRewriteIsRefusedNotPassedOn() throws Exception {
        // 48 variables of 100 KiB: about 4.7 MiB of environment, above what the proxy holds to rewrite.
        StringBuilder env = new StringBuilder("{\"Image\":\"" + testbed.image() + "\",\"Cmd\":[\"true\"],"
                + "\"HostConfig\":{\"NetworkMode\":\"none\"},\"Env\":[\"BIG_SECRET=leak-" + RUN + "\"");
        for (int i = 0; i < 48; i++) {
            env.append(",\"V").append(i).append('=').append("s".repeat(100 * 1024)).append('"');
        }
        String name = name("big");
        Http created = http(DockerTestbed.SOCKET, "POST", "/v1.41/containers/create?name=" + name, env.append("]}").toString());
        assertEquals(201, created.status(), created::toString);
        CliResult inspect = docker(display, "container", "inspect", name);
        assertFalse(inspect.ok(), inspect::toString);
        assertFalse(inspect.stdoutText().contains("leak-" + RUN), "nothing of the answer was passed on");
        assertTrue(inspect.stderr().contains("cannot rewrite"), inspect::toString);
    }

    // ---------------------------------------------------------------- only-label: lists

    static List<String> names(String host, String... psArgs) {
        List<String> args = new ArrayList<>(List.of("ps", "-a", "--format", "{{.Names}}"));
        args.addAll(List.of(psArgs));
        return docker(host, args.toArray(new String[0])).requireOk().stdoutText().lines().toList();
    }

    @Test
    void psListsOnlyTheTeamsContainersWhateverTheFilters() {
        for (String[] filters : new String[][] {{}, {"--filter", "label=team=b"}, {"--filter", "name=" + b[0]},
                {"--filter", "id=" + b[1]}, {"--filter", "label=team"}, {"--filter", "status=running"}, {"--last", "50"}}) {
            List<String> seen = names(teamA, filters);
            assertFalse(seen.contains(b[0]), () -> List.of(filters) + ": " + seen);
            assertFalse(seen.contains(none[0]), () -> List.of(filters) + ": " + seen);
        }
        assertTrue(names(teamA).contains(a[0]));
        assertTrue(names(teamB).contains(b[0]));
        assertFalse(names(teamB).contains(a[0]), "and the other way round, on the same proxy");
        assertTrue(names(DockerTestbed.DIRECT_DOCKER_HOST).containsAll(List.of(a[0], b[0], none[0])), "they all exist");
    }

    // ---------------------------------------------------------------- only-label: one container

    static String[] with(String[] command, String ref) {
        List<String> args = new ArrayList<>(List.of(command));
        args.replaceAll(s -> s.replace("REF", ref));
        return args.toArray(new String[0]);
    }

    static String strip(String ref) {
        return ref.startsWith("/") ? ref.substring(1) : ref;
    }

    @Test
    void anotherTeamsContainerIsMissingByNameFullIdAndPrefix() {
        List<String[]> commands = List.of(
                new String[] {"container", "inspect", "REF"},
                new String[] {"logs", "REF"},
                new String[] {"exec", "REF", "true"},
                new String[] {"stop", "REF"},
                new String[] {"kill", "REF"},
                new String[] {"top", "REF"},
                new String[] {"port", "REF"},
                new String[] {"rename", "REF", "cg-scope-renamed-" + RUN},
                new String[] {"rm", "-f", "REF"},
                new String[] {"cp", "REF:/etc/hostname", "-"},
                new String[] {"wait", "REF"},
                new String[] {"pause", "REF"},
                new String[] {"update", "--cpu-shares", "512", "REF"});
        String ghost = "cg-scope-ghost-" + RUN;
        String ghostId = "f".repeat(63) + "0";
        for (String[] command : commands) {
            // Each form of reference against one the daemon has not got at all, in the same form.
            for (String[] ref : List.of(new String[] {b[0], ghost}, new String[] {"/" + b[0], "/" + ghost},
                    new String[] {b[1], ghostId}, new String[] {b[1].substring(0, 12), ghostId.substring(0, 12)},
                    new String[] {none[0], ghost}, new String[] {none[1].substring(0, 6), ghostId.substring(0, 6)})) {
                if (command[0].equals("cp") && ref[0].startsWith("/")) {
                    continue; // the CLI reads "/name:path" as a local path
                }
                CliResult direct = docker(DockerTestbed.DIRECT_DOCKER_HOST, with(command, ref[1]));
                String expected = direct.stderr().replace(strip(ref[1]), strip(ref[0]));
                assertTrue(expected.contains("No such container: " + strip(ref[0])), expected);
                CliResult through = docker(teamA, with(command, ref[0]));
                assertEquals(expected, through.stderr(), () -> "as the daemon says it: " + through);
                assertEquals(direct.exitCode(), through.exitCode(), through::toString);
            }
        }
        // Nothing happened to them.
        String running = docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f", "{{.State.Running}} {{.Name}}", b[0], none[0])
                .requireOk().stdoutText();
        assertEquals("true /" + b[0] + "\ntrue /" + none[0] + "\n", running);
    }

    @Test
    void rawAttachAndKillOfAnotherTeamsContainerAreAnsweredByteForByteAsTheDaemonsOwn() throws Exception {
        String ghost = "cg-scope-ghost-" + RUN;
        for (String[] call : new String[][] {{"/attach?stream=1&stdout=1", "Connection: Upgrade\r\nUpgrade: tcp\r\n"},
                {"/attach?stream=1&stdout=1", ""}, {"/kill", ""}, {"/json", ""}, {"/stop", ""}}) {
            String method = call[0].equals("/json") ? "GET" : "POST";
            Http direct = http(DockerTestbed.SOCKET, method, "/v1.41/containers/" + ghost + call[0], null, call[1]);
            Http through = http(socketA, method, "/v1.41/containers/" + b[0] + call[0], null, call[1]);
            assertEquals(direct.status(), through.status(), call[0]);
            assertEquals(direct.text().replace(ghost, b[0]), through.text(), call[0]);
            assertEquals(contentType(direct), contentType(through), call[0]);
        }
    }

    static String contentType(Http answer) {
        return answer.head().lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:")).findFirst().orElse("");
    }

    @Test
    void theTeamsOwnContainerWorksByNameFullIdAndPrefix() {
        for (String ref : List.of(a[0], a[1], a[1].substring(0, 10))) {
            assertEquals("/" + a[0] + "\n", docker(teamA, "container", "inspect", "-f", "{{.Name}}", ref).requireOk().stdoutText());
            assertEquals("hello " + ref + "\n", docker(teamA, "exec", ref, "echo", "hello", ref).requireOk().stdoutText());
            docker(teamA, "logs", ref).requireOk();
            docker(teamA, "top", ref).requireOk();
        }
    }

    @Test
    void execSessionsOfAnotherTeamsContainerAreMissing() throws Exception {
        String body = "{\"Cmd\":[\"true\"]}";
        Http created = http(DockerTestbed.SOCKET, "POST", "/v1.41/containers/" + b[1] + "/exec", body);
        assertEquals(201, created.status(), created::toString);
        String exec = created.text().replaceAll("(?s).*\"Id\":\"([0-9a-f]+)\".*", "$1");
        Http missing = http(DockerTestbed.SOCKET, "GET", "/v1.41/exec/cg-scope-ghost-exec/json", null);
        assertEquals(404, missing.status());

        for (String[] call : new String[][] {{"GET", "/json", null}, {"POST", "/resize?h=10&w=10", null},
                {"POST", "/start", "{\"Detach\":true}"}}) {
            Http through = http(socketA, call[0], "/v1.41/exec/" + exec + call[1], call[2]);
            assertEquals(404, through.status(), through::toString);
            assertEquals(missing.text().replace("cg-scope-ghost-exec", exec), through.text(), "as the daemon says it");
        }
        Http own = http(socketB, "GET", "/v1.41/exec/" + exec + "/json", null);
        assertEquals(200, own.status(), "team b sees its own exec: " + own);
        assertTrue(own.text().contains("\"Running\":false"), "and it was never started: " + own);

        // The hijacked start (what docker exec does) of another team's exec: the same 404, nothing upgraded.
        Http hijack = http(socketA, "POST", "/v1.41/exec/" + exec + "/start", "{\"Detach\":false,\"Tty\":false}",
                "Connection: Upgrade\r\nUpgrade: tcp\r\n");
        assertEquals(404, hijack.status(), hijack::toString);
    }

    @Test
    void endpointsThatReachEveryContainerAreRefused() {
        CliResult df = docker(teamA, "system", "df");
        assertFalse(df.ok(), df::toString);
        assertTrue(df.stderr().contains("outside this client's scope"), df::toString);
    }

    // ---------------------------------------------------------------- only-label: create

    @Test
    void runThroughTheScopeMakesALabelledContainerItThenSees() {
        String name = name("run");
        CliResult run = docker(teamA, "run", "--name", name, "--network", "none", testbed.image(), "echo", "made by a");
        assertEquals("made by a\n", run.requireOk().stdoutText());
        assertEquals("a\n", docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f", "{{index .Config.Labels \"team\"}}", name)
                .requireOk().stdoutText(), "the scope's label was forced");
        assertTrue(names(teamA).contains(name));
        assertFalse(names(teamB).contains(name));
        docker(teamA, "rm", name).requireOk();

        // A label of another team in the create body does not take the container out of the scope.
        String other = name("run-other");
        CliResult sneaky = docker(teamA, "create", "--name", other, "--label", "team=b", "--network", "none", testbed.image(), "true");
        if (sneaky.ok()) {
            assertEquals("a\n", docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f", "{{index .Config.Labels \"team\"}}", other)
                    .requireOk().stdoutText());
        }
        assertFalse(names(teamB).contains(other));

        // Joining another team's container (its network, its volumes) names a container out of scope: missing.
        for (String[] join : new String[][] {{"--network", "container:" + b[0]}, {"--network", "container:" + b[1].substring(0, 12)},
                {"--volumes-from", b[0]}, {"--pid", "container:" + b[0]}}) {
            CliResult joined = docker(teamA, "run", "--rm", join[0], join[1], testbed.image(), "true");
            assertFalse(joined.ok(), joined::toString);
            assertTrue(joined.stderr().contains("No such container"), joined::toString);
            assertFalse(joined.stderr().contains("Unable to find image"), () -> "a 404 from create makes the CLI pull: " + joined);
        }
        // And one's own works, --rm and all (wait, then removal).
        assertEquals("joined\n", docker(teamA, "run", "--rm", "--network", "container:" + a[0], testbed.image(), "echo", "joined")
                .requireOk().stdoutText());
    }

    // ---------------------------------------------------------------- only-label: events

    @Test
    void eventsShowOnlyTheTeamsContainersAndStayLive() throws Exception {
        // Another team's container changes first, then one of ours: the stream is in daemon order, so
        // once ours has arrived, theirs would have arrived before it.
        String since = docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f", "{{.Created}}", a[0]).requireOk().stdoutText().strip();
        try (LiveCli events = LiveCli.docker(testbed, teamA, Map.of(), "events", "--since", since, "--format",
                "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")) {
            String theirs = name("ev-b");
            String ours = name("ev-a");
            docker(DockerTestbed.DIRECT_DOCKER_HOST, "create", "--name", theirs, "--label", "team=b", "--network", "none",
                    testbed.image(), "true").requireOk();
            docker(DockerTestbed.DIRECT_DOCKER_HOST, "create", "--name", ours, "--label", "team=a", "--network", "none",
                    testbed.image(), "true").requireOk();
            assertTrue(events.awaitStdout("container create " + ours, WAIT), events::toString);
            // Live: an event that happens now arrives now.
            docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", theirs).requireOk();
            docker(DockerTestbed.DIRECT_DOCKER_HOST, "rm", ours).requireOk();
            assertTrue(events.awaitStdout("container destroy " + ours, WAIT), events::toString);
            String seen = events.stdoutText();
            assertTrue(seen.contains("container start " + a[0]), "replayed since: " + seen);
            assertFalse(seen.contains(theirs), seen);
            assertFalse(seen.contains(b[0]), seen);
            assertFalse(seen.contains(none[0]), seen);
        }
    }

    @Test
    void aBoundedReplayOfEventsHoldsOnlyTheTeams() {
        String since = docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f", "{{.Created}}", a[0]).requireOk().stdoutText().strip();
        String until = docker(DockerTestbed.DIRECT_DOCKER_HOST, "inspect", "-f", "{{.State.StartedAt}}", none[0]).requireOk()
                .stdoutText().strip();
        String direct = docker(DockerTestbed.DIRECT_DOCKER_HOST, "events", "--since", since, "--until", until, "--format",
                "{{.Actor.Attributes.name}}").requireOk().stdoutText();
        assertTrue(direct.contains(b[0]) && direct.contains(a[0]), "the window holds both teams' events: " + direct);
        for (String[] filter : new String[][] {{}, {"--filter", "label=team=b"}, {"--filter", "container=" + b[0]}}) {
            List<String> args = new ArrayList<>(List.of("events", "--since", since, "--until", until, "--format",
                    "{{.Type}} {{.Actor.Attributes.name}}"));
            args.addAll(List.of(filter));
            String through = docker(teamA, args.toArray(new String[0])).requireOk().stdoutText();
            assertFalse(through.contains(b[0]), through);
            assertFalse(through.contains(none[0]), through);
            if (filter.length == 0) {
                assertTrue(through.contains("container " + a[0]), through);
            }
        }
    }

    // ---------------------------------------------------------------- raw HTTP over a Unix socket

    record Http(int status, String head, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return head + "\n" + text();
        }
    }

    static Http http(Path socket, String method, String path, String body) throws IOException {
        return http(socket, method, path, body, "");
    }

    /** One HTTP/1.0 exchange (no chunking, the body ends at close). */
    static Http http(Path socket, String method, String path, String body, String extraHeaders) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            String head = method + " " + path + " HTTP/1.0\r\nHost: docker\r\n" + extraHeaders
                    + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + content.length + "\r\n") + "\r\n";
            ByteBuffer out = ByteBuffer.allocate(head.length() + content.length);
            out.put(head.getBytes(StandardCharsets.ISO_8859_1)).put(content).flip();
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (channel.read(in) >= 0) {
                answer.write(in.array(), 0, in.position());
                in.clear();
                String sofar = answer.toString(StandardCharsets.ISO_8859_1);
                // An upgrade (which must not happen) would hold the connection open: stop at its head.
                if (sofar.startsWith("HTTP/1.1 101") && sofar.contains("\r\n\r\n")) {
                    break;
                }
            }
            byte[] raw = answer.toByteArray();
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            assertNotEquals(-1, end, "an HTTP answer: " + text);
            int status = Integer.parseInt(text.split(" ", 3)[1]);
            return new Http(status, text.substring(0, end), java.util.Arrays.copyOfRange(raw, end + 4, raw.length));
        }
    }
}
