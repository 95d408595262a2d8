package org.cetusguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.cetusguard.testbed.CliResult;
import org.cetusguard.testbed.DockerTestbed;
import org.cetusguard.testbed.Frontend;
import org.cetusguard.testbed.Frontend.Endpoint;
import org.cetusguard.testbed.LiveCli;
import org.cetusguard.testbed.TcpToUnixRelay;
import org.cetusguard.testbed.TestCerts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Interactive sessions (attach, exec, run -i/-t: hijacked connections) with the real docker CLI through
 * each kind of frontend: TCP, Unix socket and TLS with client certificates.
 */
class InteractiveSessionsIT {
    static final String RULES = String.join("\n",
            "GET %API_PREFIX_EVENTS%",
            "GET,HEAD,POST,PUT,DELETE %API_PREFIX_CONTAINERS%(/.*)?",
            "GET,HEAD,POST %API_PREFIX_EXEC%(/.*)?",
            "GET,HEAD %API_PREFIX_IMAGES%(/.*)?");
    /** Containers may be created, started, inspected, resized and removed, and execs created; never attached or started. */
    static final String NO_HIJACK_RULES = String.join("\n",
            "GET %API_PREFIX_EVENTS%",
            "GET,HEAD %API_PREFIX_CONTAINERS%(/.*)?",
            "POST %API_PREFIX_CONTAINERS%/create",
            "POST %API_PREFIX_CONTAINERS%/[^/]+/(start|wait|exec|resize|kill)",
            "DELETE %API_PREFIX_CONTAINERS%/[^/]+",
            "GET %API_PREFIX_EXEC%/[^/]+/json",
            "POST %API_PREFIX_EXEC%/[^/]+/resize",
            "GET,HEAD %API_PREFIX_IMAGES%(/.*)?");
    static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);
    /** The client-connection idle timeout of the proxy in the idle test; sessions stay quiet for twice that. */
    static final long SHORT_IDLE_MS = 1000;

    static DockerTestbed testbed;
    static Path dir;
    /** A long-running container that the exec tests share. */
    static String box;
    static final Map<Frontend, Endpoint> proxies = new EnumMap<>(Frontend.class);
    static final Map<Frontend, Endpoint> noHijackProxies = new EnumMap<>(Frontend.class);
    static final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        testbed = DockerTestbed.get();
        dir = Files.createTempDirectory("cg-hj");
        box = name("box");
        runDetached(box, "sleep", "3600");
    }

    @AfterAll
    static void stop() throws IOException {
        // Containers first: a CLI killed by a test leaves its quiet `POST /containers/{id}/wait` open in the
        // proxy (nothing tells the proxy that the client left), and a proxy stop waits for requests in flight.
        synchronized (containers) {
            if (!containers.isEmpty() && testbed != null) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(containers);
                direct(rm.toArray(String[]::new));
            }
        }
        proxies.values().forEach(Endpoint::close);
        noHijackProxies.values().forEach(Endpoint::close);
        if (dir != null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    static String name(String what) {
        String n = "cg-hj-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
        synchronized (containers) {
            containers.add(n);
        }
        return n;
    }

    static CliResult direct(String... args) {
        return testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, args);
    }

    /** Starts a container directly on the daemon (not what is under test), {@code --network none}. */
    static void runDetached(String name, String... command) {
        runDetachedWith(name, List.of(), command);
    }

    static void runDetachedWith(String name, List<String> flags, String... command) {
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--network", "none"));
        args.addAll(flags);
        args.add(testbed.image());
        args.addAll(List.of(command));
        direct(args.toArray(String[]::new)).requireOk();
    }

    static synchronized Endpoint proxy(Frontend kind) throws Exception {
        Endpoint endpoint = proxies.get(kind);
        if (endpoint == null) {
            endpoint = kind.start(dir, RULES, 0);
            proxies.put(kind, endpoint);
        }
        return endpoint;
    }

    static synchronized Endpoint noHijackProxy(Frontend kind) throws Exception {
        Endpoint endpoint = noHijackProxies.get(kind);
        if (endpoint == null) {
            endpoint = kind.start(dir, NO_HIJACK_RULES, 0);
            noHijackProxies.put(kind, endpoint);
        }
        return endpoint;
    }

    static CliResult docker(Endpoint endpoint, byte[] stdin, String... args) {
        return testbed.docker(endpoint.dockerHost(), endpoint.env(), stdin, CLI_TIMEOUT, args);
    }

    static LiveCli live(Endpoint endpoint, String... args) {
        return LiveCli.docker(testbed, endpoint.dockerHost(), endpoint.env(), args);
    }

    /** A shell command line, run under script(1) so that the CLI has a terminal. */
    static LiveCli inTerminal(String dockerHost, Map<String, String> env, String shellCommand) {
        assertNotNull(LiveCli.scriptBinary(), "script(1) is needed for the TTY tests: install util-linux's script "
                + "(Debian package bsdutils, normally present as it is essential)");
        return LiveCli.inTerminal(dockerHost, env, shellCommand);
    }

    static String dockerWord() {
        return LiveCli.sh(testbed.dockerCli());
    }

    static byte[] repeated(String pattern, int length) {
        byte[] unit = pattern.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = unit[i % unit.length];
        }
        return out;
    }

    static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }

    static void assertBytes(byte[] expected, byte[] actual, String what) {
        if (java.util.Arrays.equals(expected, actual)) {
            return;
        }
        int i = 0;
        while (i < Math.min(expected.length, actual.length) && expected[i] == actual[i]) {
            i++;
        }
        fail(what + ": expected " + expected.length + " bytes, got " + actual.length + "; first difference at byte " + i);
    }

    static boolean fileInBox(String path) {
        return testbed.docker(DockerTestbed.DIRECT_DOCKER_HOST, "exec", box, "test", "-e", path).exitCode() == 0;
    }

    static boolean eventually(java.util.function.BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return condition.getAsBoolean();
    }

    static String running(String container) {
        return direct("inspect", "-f", "{{.State.Running}}", container).requireOk().stdoutText().trim();
    }

    // ---- non-TTY streams -----------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void execWithoutStdinKeepsBothStreamsAndTheExitCode(Frontend kind) throws Exception {
        CliResult r = docker(proxy(kind), null, "exec", box, "sh", "-c", "printf 'to stdout\\n'; printf 'to stderr\\n' >&2; exit 3");
        assertEquals(3, r.exitCode(), r::toString);
        assertEquals("to stdout\n", r.stdoutText(), r::toString);
        assertTrue(r.stderr().contains("to stderr\n"), r::toString);
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void execWithPipedStdinGetsItBackByteForByteAndEndsAtEof(Frontend kind) throws Exception {
        // Every byte value, then random bytes: stdin is raw and the multiplexed output is demultiplexed by the CLI.
        byte[] payload = new byte[256 * 1024];
        for (int i = 0; i < 256; i++) {
            payload[i] = (byte) i;
        }
        byte[] random = new byte[payload.length - 256];
        new Random(3).nextBytes(random);
        System.arraycopy(random, 0, payload, 256, random.length);
        CliResult r = docker(proxy(kind), payload, "exec", "-i", box, "sh", "-c", "cat; exit 5");
        assertFalse(r.timedOut(), () -> "stdin EOF must end the session: " + r);
        assertEquals(5, r.exitCode(), r::toString);
        assertBytes(payload, r.stdout(), "cat through exec -i");

        CliResult hi = docker(proxy(kind), "hi\n".getBytes(StandardCharsets.UTF_8), "exec", "-i", box, "cat").requireOk();
        assertEquals("hi\n", hi.stdoutText());
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void runInteractiveSeesEndOfInput(Frontend kind) throws Exception {
        String c = name("wc");
        CliResult r = docker(proxy(kind), "a\nb\n".getBytes(StandardCharsets.UTF_8),
                "run", "-i", "--rm", "--name", c, "--network", "none", testbed.image(), "wc", "-l").requireOk();
        assertEquals("2", r.stdoutText().trim(), r::toString);
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void severalMebibytesOfOutputOnBothStreamsArriveIntact(Frontend kind) throws Exception {
        int outLength = 8 * 1024 * 1024 + 3;
        int errLength = 1024 * 1024 + 5;
        CliResult r = docker(proxy(kind), null, "exec", box, "sh", "-c",
                "(yes abcdefgh | head -c " + outLength + ") & (yes 0123456 | head -c " + errLength + " >&2) & wait").requireOk();
        assertBytes(repeated("abcdefgh\n", outLength), r.stdout(), "stdout");
        assertBytes(repeated("0123456\n", errLength), r.stderr().getBytes(StandardCharsets.UTF_8), "stderr");
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void severalMebibytesOfStdinArriveIntact(Frontend kind) throws Exception {
        byte[] upload = new byte[8 * 1024 * 1024 + 11];
        new Random(11).nextBytes(upload);
        CliResult r = docker(proxy(kind), upload, "exec", "-i", box, "sh", "-c", "md5sum; exit 0").requireOk();
        assertEquals(md5(upload) + "  -", r.stdoutText().trim(), r::toString);
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void aSlowReaderHoldsTheWriterBackAndAnEarlyExitEndsTheSession(Frontend kind) throws Exception {
        // 16 MiB against a reader that starts late: more than every buffer on the way holds, so the CLI must wait.
        byte[] upload = repeated("0123456789abcdef", 16 * 1024 * 1024);
        CliResult late = docker(proxy(kind), upload, "exec", "-i", box, "sh", "-c", "sleep 1; wc -c").requireOk();
        assertEquals(String.valueOf(upload.length), late.stdoutText().trim(), late::toString);
        // The container side ends while the client is still sending: the session must end all the same.
        CliResult early = docker(proxy(kind), repeated("y\n", 4 * 1024 * 1024), "exec", "-i", box, "head", "-n", "1").requireOk();
        assertEquals("y\n", early.stdoutText(), early::toString);
    }

    // ---- TTY -----------------------------------------------------------------------------------

    /**
     * Shell function {@code w ROWS_COLS}: waits (at most 5 s) until the terminal has that size, leaving the last
     * size seen in {@code $s}. "stty size" fails on a terminal of 0x0, which a TTY has until the first resize.
     */
    static final String WAIT_FOR_SIZE = "w() { i=0; while [ $i -lt 100 ]; do s=$(stty size 2>/dev/null); "
            + "[ \"$s\" = \"$1\" ] && return 0; sleep 0.05; i=$((i+1)); done; return 1; }; ";

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void execWithATerminalRunsInATtyAndFollowsResizes(Frontend kind) throws Exception {
        Endpoint endpoint = proxy(kind);
        String inner = WAIT_FOR_SIZE + "w '45 123'; echo \"in=$(tty) size1=$s\"; w '50 100'; echo \"size2=$s\"";
        String command = "echo \"outer=$(tty)\"; stty rows 45 cols 123; "
                + dockerWord() + " exec -it " + LiveCli.sh(box, "sh", "-c", inner) + "; echo \"cli=$?\"";
        try (LiveCli cli = inTerminal(endpoint.dockerHost(), endpoint.env(), command)) {
            // The CLI sends the terminal's size after the start (POST /exec/{id}/resize, API 1.41 has no other way).
            assertTrue(cli.awaitStdout("size1=", Duration.ofSeconds(20)), cli::toString);
            assertTrue(cli.stdoutText().contains("size1=45 123"), cli::toString);
            Matcher outer = Pattern.compile("outer=(/dev/pts/\\d+)").matcher(cli.stdoutText());
            assertTrue(outer.find(), cli::toString);
            // A live resize: the CLI gets SIGWINCH and sends the new size.
            Process stty = new ProcessBuilder("stty", "-F", outer.group(1), "rows", "50", "cols", "100")
                    .redirectErrorStream(true).start();
            assertTrue(stty.waitFor(10, TimeUnit.SECONDS));
            String sttyOutput = new String(readAll(stty.getInputStream()), StandardCharsets.UTF_8);
            assertEquals(0, stty.exitValue(), () -> "stty -F failed: " + sttyOutput);
            assertTrue(cli.awaitExit(Duration.ofSeconds(20)), cli::toString);
            String out = cli.stdoutText();
            assertTrue(out.matches("(?s).*in=/dev/pts/\\d+ size1=45 123\r\n.*"), cli::toString);
            assertTrue(out.contains("size2=50 100"), cli::toString);
            assertTrue(out.contains("cli=0"), cli::toString);
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void ttyOutputIsRelayedByteForByte(Frontend kind) throws Exception {
        int length = 256 * 1024;
        CliResult r = docker(proxy(kind), null, "exec", "-t", box, "sh", "-c",
                "yes abcdefgh | head -c " + length + "; printf '\\001\\177\\377\\033[0m'").requireOk();
        // The container's terminal turns each \n into \r\n (onlcr); nothing else changes, nothing is multiplexed.
        String lines = new String(repeated("abcdefgh\n", length), StandardCharsets.US_ASCII).replace("\n", "\r\n");
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(lines.getBytes(StandardCharsets.US_ASCII));
        expected.write(new byte[] {1, 0x7f, (byte) 0xff, 0x1b, '[', '0', 'm'});
        assertBytes(expected.toByteArray(), r.stdout(), "exec -t output");
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void runWithATerminalTakesTypedInput(Frontend kind) throws Exception {
        Endpoint endpoint = proxy(kind);
        String c = name("runit");
        // The CLI resizes the container's terminal with POST /containers/{id}/resize.
        String command = "stty rows 41 cols 99; " + dockerWord() + " run -it --rm " + LiveCli.sh("--name", c, "--network", "none",
                testbed.image(), "sh", "-c", WAIT_FOR_SIZE + "w '41 99'; echo \"ready on $(tty) size=$s\"; read x; echo \"got-$x\"")
                + "; echo \"cli=$?\"";
        try (LiveCli cli = inTerminal(endpoint.dockerHost(), endpoint.env(), command)) {
            assertTrue(cli.awaitStdout("ready on /dev/pts/", Duration.ofSeconds(20)), cli::toString);
            assertTrue(cli.awaitStdout("size=41 99", Duration.ofSeconds(5)), cli::toString);
            cli.write("hello\r");
            assertTrue(cli.awaitExit(Duration.ofSeconds(20)), cli::toString);
            assertTrue(cli.stdoutText().contains("got-hello\r\n"), cli::toString);
            assertTrue(cli.stdoutText().contains("cli=0"), cli::toString);
        }
    }

    // ---- attach --------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void attachStreamsLive(Frontend kind) throws Exception {
        String c = name("ticks");
        runDetached(c, "sh", "-c", "i=0; while true; do echo \"tick $i\"; i=$((i+1)); sleep 0.3; done");
        try (LiveCli cli = live(proxy(kind), "attach", "--no-stdin", c)) {
            assertTrue(eventually(() -> cli.lineArrivals().size() >= 6, Duration.ofSeconds(15)), cli::toString);
            List<Long> arrivals = cli.lineArrivals();
            long spreadMs = TimeUnit.NANOSECONDS.toMillis(arrivals.get(5) - arrivals.get(0));
            // Printed 0.3 s apart: lines that arrive together were held back somewhere.
            assertTrue(spreadMs >= 600, "6 lines printed over ~1.5 s arrived within " + spreadMs + " ms: " + cli);
            assertTrue(cli.stdoutText().matches("(?s)(tick \\d+\n)+"), cli::toString);
            assertTrue(cli.isAlive(), cli::toString);
            cli.kill();
        }
        assertEquals("true", running(c));
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void attachWithDetachKeysLeavesTheContainerRunning(Frontend kind) throws Exception {
        Endpoint endpoint = proxy(kind);
        String c = name("detach");
        runDetachedWith(c, List.of("-it"), "sh");
        if (kind == Frontend.TCP) {
            // Over plain TCP the docker CLI (28.x) does not exit after detaching: it copies stdin with TCPConn.ReadFrom,
            // which wraps the CLI's own "read escape sequence" error, so the CLI no longer recognises it and waits for
            // the container to exit. The daemon ends the attach stream all the same. The baseline is the CLI against
            // the daemon reached over plain TCP (a byte relay), at the same time on a second container.
            String baselineContainer = name("detach-base");
            runDetachedWith(baselineContainer, List.of("-it"), "sh");
            try (TcpToUnixRelay relay = new TcpToUnixRelay(DockerTestbed.SOCKET)) {
                CompletableFuture<Boolean> baseline = CompletableFuture.supplyAsync(() -> {
                    try {
                        return attachAndDetach(relay.dockerHost(), Map.of(), baselineContainer, null);
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                });
                boolean proxied = attachAndDetach(endpoint.dockerHost(), endpoint.env(), c, null);
                boolean direct = baseline.get(60, TimeUnit.SECONDS);
                assertEquals(direct, proxied, "whether the CLI exits after detaching over plain TCP, as against the daemon");
            }
            assertEquals("true", running(baselineContainer));
        } else {
            attachAndDetach(endpoint.dockerHost(), endpoint.env(), c, true);
        }
        assertEquals("true", running(c), "detaching must leave the container running");
    }

    /**
     * Attaches to {@code container} (a shell with a TTY) in a terminal, runs a command in it, then types the
     * detach keys. Returns whether the CLI exited; asserts that it did exactly when {@code cliMustExit} says
     * so (null: only observe).
     */
    static boolean attachAndDetach(String dockerHost, Map<String, String> env, String container, Boolean cliMustExit)
            throws Exception {
        String command = dockerWord() + " attach --detach-keys ctrl-x,x " + LiveCli.sh(container) + "; echo \"cli=$?\"";
        try (LiveCli cli = inTerminal(dockerHost, env, command)) {
            boolean ran = false;
            for (int i = 0; i < 10 && !ran; i++) {
                // Typed until the shell answers: the CLI may not be attached yet when the first line goes.
                cli.write("echo mark-$((6*7))\r");
                ran = cli.awaitStdout("mark-42", Duration.ofSeconds(1));
            }
            assertTrue(ran, () -> "the attached shell never ran the typed command: " + cli);
            cli.write(new byte[] {0x18, 'x'});
            boolean exited = cli.awaitExit(Duration.ofSeconds(cliMustExit == null || !cliMustExit ? 4 : 15));
            if (cliMustExit != null) {
                assertEquals(cliMustExit, exited, () -> "CLI exit after the detach keys, as against the daemon directly: " + cli);
            }
            if (exited) {
                assertTrue(cli.stdoutText().contains("read escape sequence"), cli::toString);
            }
            return exited;
        }
    }

    // ---- rules first ---------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void deniedAttachAndExecAreRefusedBeforeAnyUpgrade(Frontend kind) throws Exception {
        Endpoint endpoint = noHijackProxy(kind);
        String marker = "/tmp/denied-" + UUID.randomUUID();
        CliResult exec = docker(endpoint, null, "exec", box, "touch", marker);
        assertFalse(exec.ok(), exec::toString);
        // For a hijacking request the docker CLI prints the status only and drops the body (checked on the wire below).
        assertTrue(exec.stderr().contains("unable to upgrade to tcp, received 403"), exec::toString);
        assertFalse(fileInBox(marker), "the denied exec must never have run");

        String c = name("denied-run");
        CliResult run = docker(endpoint, "x\n".getBytes(StandardCharsets.UTF_8),
                "run", "-i", "--name", c, "--network", "none", testbed.image(), "sh", "-c", "echo ran");
        assertFalse(run.ok(), run::toString);
        assertTrue(run.stderr().contains("unable to upgrade to tcp, received 403"), run::toString);
        CliResult started = direct("inspect", "-f", "{{.State.StartedAt}}", c).requireOk();
        assertTrue(started.stdoutText().startsWith("0001-01-01"), () -> "the container must never have started: " + started);

        CliResult attach = docker(endpoint, null, "attach", "--no-stdin", box);
        assertFalse(attach.ok(), attach::toString);
        assertTrue(attach.stderr().contains("unable to upgrade to tcp, received 403"), attach::toString);

        // On the wire: a 403 with a JSON message, never a 101.
        String response = rawExchange(endpoint, "POST /v1.41/exec/0123456789abcdef/start HTTP/1.1\r\nHost: docker\r\n"
                + "Connection: Upgrade, close\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 29\r\n\r\n"
                + "{\"Detach\":false,\"Tty\":false}\n");
        assertTrue(response.startsWith("HTTP/1.1 403 "), response);
        assertTrue(response.contains("{\"message\":\"forbidden by CetusGuard: POST /v1.41/exec/0123456789abcdef/start\"}"), response);
        assertFalse(response.contains(" 101 "), response);
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void onTheWireTheHundredAndOneComesFirstAndEarlyStdinIsKept(Frontend kind) throws Exception {
        Endpoint endpoint = proxy(kind);
        String create = "{\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"cat\"]}";
        String created = rawExchange(endpoint, "POST /v1.41/containers/" + box + "/exec HTTP/1.1\r\nHost: docker\r\n"
                + "Connection: close\r\nContent-Type: application/json\r\nContent-Length: " + create.length() + "\r\n\r\n" + create);
        Matcher id = Pattern.compile("\"Id\":\"([0-9a-f]{64})\"").matcher(created);
        assertTrue(id.find(), created);
        // Stdin sent right behind the request, before the 101 (a client need not wait), then end of input.
        String start = "{\"Detach\":false,\"Tty\":false}";
        String response = rawExchange(endpoint, "POST /v1.41/exec/" + id.group(1) + "/start HTTP/1.1\r\nHost: docker\r\n"
                + "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: " + start.length()
                + "\r\n\r\n" + start + "early\n", true);
        assertTrue(response.startsWith("HTTP/1.1 101 "), response);
        assertTrue(response.matches("(?s).*\r\nUpgrade: tcp\r\n.*"), response);
        int headersEnd = response.indexOf("\r\n\r\n");
        assertTrue(headersEnd > 0, response);
        // One stdout frame (stream 1, length 6) with cat's echo; the connection then ends as cat exits.
        assertEquals("\u0001\0\0\0\0\0\0\u0006early\n", response.substring(headersEnd + 4), response);

        // A daemon that refuses the upgrade: its answer is relayed as is.
        String missing = rawExchange(endpoint, "POST /v1.41/containers/cg-hj-no-such-container/attach?stream=1&stdout=1 HTTP/1.1\r\n"
                + "Host: docker\r\nConnection: Upgrade, close\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n");
        assertTrue(missing.startsWith("HTTP/1.1 404 "), missing);
        assertTrue(missing.contains("No such container: cg-hj-no-such-container"), missing);
    }

    /** One request on a new connection to the frontend; the response is read until it closes (3 s at most). */
    static String rawExchange(Endpoint endpoint, String request) throws Exception {
        return rawExchange(endpoint, request, false);
    }

    /** As above; with {@code halfClose}, the client's side is shut down for output after the request. */
    static String rawExchange(Endpoint endpoint, String request, boolean halfClose) throws Exception {
        byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
        switch (endpoint.kind()) {
            case UNIX -> {
                Path socket = Path.of(endpoint.dockerHost().substring("unix://".length()));
                try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    channel.connect(UnixDomainSocketAddress.of(socket));
                    Thread watchdog = new Thread(() -> {
                        try {
                            Thread.sleep(3000);
                            channel.close();
                        } catch (InterruptedException | IOException ignored) {
                            // Done before the time ran out.
                        }
                    });
                    watchdog.setDaemon(true);
                    watchdog.start();
                    return exchange(Channels.newOutputStream(channel), Channels.newInputStream(channel), bytes,
                            halfClose ? channel::shutdownOutput : null);
                }
            }
            case TCP -> {
                try (Socket socket = new Socket("127.0.0.1", endpoint.proxy().port(0))) {
                    socket.setSoTimeout(3000);
                    return exchange(socket.getOutputStream(), socket.getInputStream(), bytes, halfClose ? socket::shutdownOutput : null);
                }
            }
            case TLS -> {
                TestCerts certs = TestCerts.shared();
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(certs.clientKeyStore(), TestCerts.PASSWORD);
                TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(certs.trustStore());
                SSLContext tls = SSLContext.getInstance("TLS");
                tls.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
                try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", endpoint.proxy().port(0))) {
                    socket.setSoTimeout(3000);
                    return exchange(socket.getOutputStream(), socket.getInputStream(), bytes, halfClose ? socket::shutdownOutput : null);
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    interface HalfClose {
        void shutdownOutput() throws IOException;
    }

    private static String exchange(OutputStream out, InputStream in, byte[] request, HalfClose halfClose) throws IOException {
        out.write(request);
        out.flush();
        if (halfClose != null) {
            halfClose.shutdownOutput();
        }
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                response.write(buffer, 0, n);
            }
        } catch (IOException timedOutOrClosed) {
            // Keep what arrived.
        }
        return response.toString(StandardCharsets.ISO_8859_1);
    }

    // ---- quiet sessions, closing sides ---------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void quietSessionsAndStreamsOutliveTheIdleTimeout(Frontend kind) throws Exception {
        String c = name("quiet");
        try (Endpoint endpoint = kind.start(dir, RULES, SHORT_IDLE_MS)) {
            long since = System.currentTimeMillis() / 1000;
            runDetached(c, "sh", "-c", "echo first; sleep 2.2; echo second");
            // 3 to 4 s from now: the container dies some 2.2 s after its start, and the event stream is quiet before and after.
            long until = System.currentTimeMillis() / 1000 + 4;
            try (LiveCli exec = live(endpoint, "exec", "-i", box, "sh", "-c", "read x; sleep 2; echo \"got $x\"");
                 LiveCli logs = live(endpoint, "logs", "-f", c);
                 LiveCli events = live(endpoint, "events", "--since", String.valueOf(since), "--until", String.valueOf(until),
                         "--filter", "container=" + c, "--filter", "event=die", "--format", "{{.Action}}")) {
                // Both directions of the exec stay silent for twice the idle timeout, stdin open.
                Thread.sleep(2 * SHORT_IDLE_MS + 200);
                assertTrue(exec.isAlive(), exec::toString);
                exec.write("hello\n");
                assertTrue(exec.awaitExit(Duration.ofSeconds(20)), exec::toString);
                assertEquals(0, exec.exitCode(), exec::toString);
                assertEquals("got hello\n", exec.stdoutText(), exec::toString);
                // Through the servlet path: a followed log and the event stream, quiet for over 2 s.
                assertTrue(logs.awaitExit(Duration.ofSeconds(20)), logs::toString);
                assertEquals(0, logs.exitCode(), logs::toString);
                assertEquals("first\nsecond\n", logs.stdoutText(), logs::toString);
                // The daemon ends the event stream at --until; cut by an idle timeout, it would miss the "die".
                assertTrue(events.awaitExit(Duration.ofSeconds(20)), events::toString);
                assertEquals(0, events.exitCode(), events::toString);
                assertEquals("die\n", events.stdoutText(), events::toString);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void aClientThatGoesAwayEndsTheSessionAtTheDaemon(Frontend kind) throws Exception {
        String marker = "/tmp/gone-" + UUID.randomUUID();
        try (LiveCli exec = live(proxy(kind), "exec", "-i", box, "sh", "-c", "echo ready; cat >/dev/null; touch " + marker)) {
            assertTrue(exec.awaitStdout("ready", Duration.ofSeconds(15)), exec::toString);
            exec.kill();
        }
        // The daemon closes the exec's stdin only when the proxy passes the client's close on.
        assertTrue(eventually(() -> fileInBox(marker), Duration.ofSeconds(10)), "the exec did not see its stdin end");
    }

    @ParameterizedTest
    @EnumSource(Frontend.class)
    void stoppingTheProxyEndsOpenSessions(Frontend kind) throws Exception {
        String marker = "/tmp/stopped-" + UUID.randomUUID();
        Endpoint endpoint = kind.start(dir, RULES, 0);
        try (LiveCli exec = live(endpoint, "exec", "-i", box, "sh", "-c", "echo ready; cat >/dev/null; touch " + marker)) {
            assertTrue(exec.awaitStdout("ready", Duration.ofSeconds(15)), exec::toString);
            long t0 = System.nanoTime();
            endpoint.close();
            long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(exec.awaitExit(Duration.ofSeconds(15)), () -> "the CLI must not hang when the proxy stops: " + exec);
            long exitMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.out.printf("[%s] proxy stop with an open session: stop() took %d ms, CLI exited after %d ms%n",
                    kind, stopMs, exitMs);
        } finally {
            endpoint.close();
        }
        assertTrue(eventually(() -> fileInBox(marker), Duration.ofSeconds(10)), "the daemon side of the session must end too");
    }
}
