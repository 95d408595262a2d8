package org.cetusguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import org.cetusguard.testbed.DockerTestbed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The release tarball that {@code mvn package} makes: its layout, and that it runs once unpacked. */
@Timeout(90)
class DistributionIT {
    static final Duration WAIT = Duration.ofSeconds(30);

    static String version;
    static Path tarball;
    static String root;

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeAll
    static void locate() throws IOException {
        version = ScriptProcess.projectVersion();
        tarball = ScriptProcess.PROJECT.resolve("target/cetusguard-" + version + ".tar.gz");
        root = "cetusguard-" + version + "/";
        assertTrue(Files.isRegularFile(tarball), tarball + " is missing: `mvn package` makes it");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    ScriptProcess launch(List<String> command, Path dir) {
        return launch(command, dir, Map.of());
    }

    ScriptProcess launch(List<String> command, Path dir, Map<String, String> env) {
        ScriptProcess p = ScriptProcess.startCommand(command, env, dir);
        cleanup.add(p);
        return p;
    }

    @Test
    void tarballHasTheReleaseLayout() throws IOException {
        Map<String, TarEntry> entries = readTar(tarball);
        List<String> problems = new ArrayList<>();

        for (String name : entries.keySet()) {
            if (!name.startsWith(root)) {
                problems.add("entry outside " + root + ": " + name);
            }
            if (name.contains("/target/") || name.contains("/.git") || name.contains("/src/")) {
                problems.add("build or source file shipped: " + name);
            }
        }
        for (String file : List.of("bin/cetusguard", "lib/cetusguard.jar", "conf/cetusguard.rules", "README.md", "NOTICE", "LICENSE")) {
            TarEntry e = entries.get(root + file);
            if (e == null) {
                problems.add("missing " + root + file);
            } else if (!e.isFile()) {
                problems.add(root + file + " is not a regular file (type " + e.type() + ")");
            } else if (e.size() == 0) {
                problems.add(root + file + " is empty");
            }
        }
        TarEntry script = entries.get(root + "bin/cetusguard");
        if (script != null && (script.mode() & 0777) != 0755) {
            problems.add("bin/cetusguard has mode " + Integer.toOctalString(script.mode()) + ", not 755");
        }

        // lib/ holds exactly our jar and the runtime dependencies Maven resolved, nothing for tests.
        Set<String> lib = new TreeSet<>();
        for (String name : entries.keySet()) {
            if (name.startsWith(root + "lib/") && entries.get(name).isFile()) {
                lib.add(name.substring((root + "lib/").length()));
            }
        }
        Set<String> expectedLib = new TreeSet<>();
        expectedLib.add("cetusguard.jar");
        // The classes the proxy loads to its first answers, for the class-data archive bin/cetusguard makes.
        expectedLib.add("cetusguard.classlist");
        try (Stream<Path> jars = Files.list(ScriptProcess.PROJECT.resolve("target/lib"))) {
            jars.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).forEach(expectedLib::add);
        }
        if (!lib.equals(expectedLib)) {
            problems.add("lib/ is " + lib + "\n  expected " + expectedLib);
        }
        for (String jar : List.of("jetty-server-", "jetty-client-", "jetty-unixdomain-server-", "jetty-ee10-proxy-",
                "re2j-", "jopt-simple-", "slf4j-api-", "jetty-slf4j-impl-")) {
            if (lib.stream().noneMatch(n -> n.startsWith(jar))) {
                problems.add("no " + jar + "*.jar in lib/");
            }
        }
        for (String testOnly : List.of("junit", "opentest4j", "docker-java", "apiguardian", "jackson")) {
            lib.stream().filter(n -> n.contains(testOnly)).forEach(n -> problems.add("test dependency shipped: lib/" + n));
        }

        if (!problems.isEmpty()) {
            fail(tarball.getFileName() + ":\n- " + String.join("\n- ", problems) + "\nentries:\n" + String.join("\n", entries.keySet()));
        }
    }

    @Test
    void unpackedTreeRuns(@TempDir Path tmp) throws Exception {
        // A directory name with a space, as on a laptop ("My Apps"): the script must quote everything.
        Path target = Files.createDirectories(tmp.resolve("un packed"));
        ScriptProcess tar = launch(List.of("tar", "-xzf", tarball.toString(), "-C", target.toString()), tmp);
        assertEquals(0, tar.awaitExit(WAIT), tar::describe);
        Path home = target.resolve(root);
        Path script = home.resolve("bin/cetusguard");

        assertTrue(Files.isExecutable(script), "bin/cetusguard is executable once unpacked");
        assertTrue(Files.getPosixFilePermissions(script).containsAll(Set.of(PosixFilePermission.OWNER_EXECUTE,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE)), "0755 survives tar");
        assertArrayEquals(Files.readAllBytes(ScriptProcess.PROJECT.resolve("target/cetusguard-" + version + ".jar")),
                Files.readAllBytes(home.resolve("lib/cetusguard.jar")), "lib/cetusguard.jar is the jar Maven built");
        assertFalse(Files.exists(home.resolve("target")));

        Path elsewhere = Files.createDirectories(tmp.resolve("cwd"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ScriptProcess byScript = launch(List.of(script.toString(), "-version"), elsewhere);
        // The jar's manifest finds its dependencies both in the tarball (lib/ beside it) and in target/ (target/lib).
        ScriptProcess byJar = launch(List.of(java, "-jar", "lib/cetusguard.jar", "-version"), home);
        ScriptProcess byBuildJar = launch(List.of(java, "-jar", "target/cetusguard-" + version + ".jar", "-version"), ScriptProcess.PROJECT);
        for (ScriptProcess p : List.of(byScript, byJar, byBuildJar)) {
            assertEquals(0, p.awaitExit(WAIT), p::describe);
            assertEquals("CetusGuard " + version + "\n", p.stdout(), p::describe);
        }
        ScriptProcess jarProxy = launch(List.of(java, "-jar", home.resolve("lib/cetusguard.jar").toString(),
                "-frontend-addr", "unix://" + tmp.resolve("jar.sock")), elsewhere);

        DockerTestbed.get();
        Path socket = tmp.resolve("cetusguard.sock");
        List<String> command = new ArrayList<>(List.of(script.toString(), "-frontend-addr", "unix://" + socket,
                "-rules-file", home.resolve("conf/cetusguard.rules").toString()));
        // The shipped example rule files must load as they are.
        try (Stream<Path> examples = Files.list(home.resolve("conf/examples"))) {
            examples.filter(p -> p.toString().endsWith(".rules")).sorted().forEach(p -> {
                command.add("-rules-file");
                command.add(p.toString());
            });
        }
        ScriptProcess proxy = launch(command, elsewhere);
        proxy.awaitStdout("serve on unix://" + socket, WAIT);
        assertEquals("", proxy.stderr(), "the shipped rules load without warnings: " + proxy.describe());

        RawHttp.Reply ping = RawHttp.unix(socket, "GET", "/_ping");
        assertEquals(200, ping.status(), ping::toString);
        assertEquals("OK", ping.body());
        // No shipped preset hands out the swarm.
        assertEquals(403, RawHttp.unix(socket, "POST", "/v1.41/swarm/init").status());

        List<String> cmdline = proxy.procCmdline();
        int cp = cmdline.indexOf("-cp");
        assertTrue(cp >= 0 && cmdline.get(cp + 1).startsWith(home.resolve("lib/cetusguard.jar") + ":"),
                "the unpacked tree runs from its own lib/: " + cmdline);
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            List<String> classPath = List.of(cmdline.get(cp + 1).split(":"));
            jars.filter(p -> p.toString().endsWith(".jar")).forEach(jar ->
                    assertTrue(classPath.contains(jar.toString()), jar + " is on the class path " + classPath));
        }
        // The first start made the class-data archive beside the jars, and the proxy maps it.
        Path archive = home.resolve("lib/cetusguard.jsa");
        assertTrue(Files.isRegularFile(archive) && Files.size(archive) > 1_000_000, "lib/cetusguard.jsa made on first start");
        assertTrue(cmdline.contains("-XX:SharedArchiveFile=" + archive), "the proxy maps the archive: " + cmdline);
        // The archive is valid for this JVM and class path: with -Xshare:on the JVM refuses to start otherwise.
        ScriptProcess strict = launch(List.of(script.toString(), "-version"), elsewhere, Map.of("JAVA_OPTS", "-Xshare:on"));
        assertEquals(0, strict.awaitExit(WAIT), strict::describe);

        jarProxy.awaitStdout("serve on unix://" + tmp.resolve("jar.sock"), WAIT);
        assertEquals(200, RawHttp.unix(tmp.resolve("jar.sock"), "GET", "/_ping").status());

        for (ScriptProcess p : List.of(proxy, jarProxy)) {
            assertEquals(0, p.terminate(WAIT), p::describe);
        }
        assertFalse(Files.exists(socket), "the socket is removed on exit");
    }

    // ---------------------------------------------------------------------------------------------

    /** One tar entry: name (pax/GNU long names applied), mode, type flag, size. */
    record TarEntry(String name, int mode, char type, long size) {
        boolean isFile() {
            return type == '0' || type == '\0';
        }
    }

    /** A small ustar/pax reader, so the check does not depend on how some tar binary lists things. */
    static Map<String, TarEntry> readTar(Path file) throws IOException {
        Map<String, TarEntry> entries = new LinkedHashMap<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            String longName = null;
            while (true) {
                byte[] header = in.readNBytes(512);
                if (header.length < 512) {
                    throw new IOException("truncated tar header");
                }
                if (allZero(header)) {
                    break;
                }
                String name = field(header, 0, 100);
                int mode = (int) octal(header, 100, 8);
                long size = octal(header, 124, 12);
                char type = (char) header[156];
                String magic = field(header, 257, 6);
                if (magic.startsWith("ustar")) {
                    String prefix = field(header, 345, 155);
                    if (!prefix.isEmpty()) {
                        name = prefix + "/" + name;
                    }
                }
                byte[] data = in.readNBytes((int) size);
                in.readNBytes((int) ((512 - size % 512) % 512));
                if (type == 'x') {
                    String path = paxPath(new String(data, StandardCharsets.UTF_8));
                    if (path != null) {
                        longName = path;
                    }
                    continue;
                }
                if (type == 'L') {
                    longName = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                    continue;
                }
                if (type == 'g') {
                    continue;
                }
                if (longName != null) {
                    name = longName;
                    longName = null;
                }
                entries.put(name, new TarEntry(name, mode, type, size));
            }
        }
        return entries;
    }

    private static String paxPath(String records) {
        for (String record : records.split("\n")) {
            int space = record.indexOf(' ');
            if (space > 0 && record.startsWith("path=", space + 1)) {
                return record.substring(space + 1 + "path=".length());
            }
        }
        return null;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String field(byte[] b, int offset, int length) {
        int end = offset;
        while (end < offset + length && b[end] != 0) {
            end++;
        }
        return new String(b, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int offset, int length) {
        String s = field(b, offset, length).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }
}
