package org.cetusguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The rooms (packages) of src/main and which may use which, read from the sources: every reference
 * to {@code org.cetusguard.<room>} in code (imports and qualified names; comments and strings do not
 * count) must be allowed by {@link #MAY_USE}. A new package fails here until it is given its place.
 */
class RoomsTest {
    static final Path MAIN = Path.of(System.getProperty("user.dir"), "src/main/java/org/cetusguard");
    /** The classes directly in org.cetusguard (Main) form the room of this name. */
    static final String ROOT = "(Main)";

    /**
     * Which rooms each room may use. The base is the rooms table of the design (config, rules and json
     * use nothing; policy json and rules; profile rules and policy; gate rules, policy and profile; proxy
     * the gate; server the proxy; cli the gate and config), with what the code needs beyond it, each with
     * its reason:
     * <ul>
     *   <li>text (escaping) and log (the operator's log) are used from the lowest rooms up and use nothing;
     *   <li>jetty, the one adapter over Jetty internals, sits below proxy and server, which both use it;
     *   <li>observe (audit log, metrics) is written to by the adapters and assembled by server;
     *   <li>profile: config (a listener is a frontend address; ProfileLoader reads the options) and json
     *       (its messages quote values with JsonWriter.quote);
     *   <li>gate: json (a scoped client's list {@code filters} are JSON in the query: ScopedQuery reads them
     *       as the daemon does and writes them back with the scope's label filter merged);
     *   <li>proxy: besides the gate, the types the gate takes and gives (profile's ClientIdentity, policy's
     *       ContainerPolicy for a held body), json (DaemonImages reads the daemon's image answers for the
     *       policy) and config (the backend's Address);
     *   <li>server: what it builds the proxy from (config, profile, gate);
     *   <li>cli: check runs the gate with a backend client (proxy) and TLS (server), lint and suggest-rules
     *       read rules, profiles and policy settings.
     * </ul>
     * Nothing uses proxy but server, cli and Main; nothing uses server but cli and Main.
     */
    static final Map<String, Set<String>> MAY_USE = table(
            "text", "",
            "log", "",
            "jetty", "",
            "config", "text log",
            "rules", "text log",
            "json", "text",
            "policy", "json rules text log",
            "profile", "rules policy json config text log",
            "gate", "rules policy profile json text log",
            "observe", "text log",
            "proxy", "gate profile policy json config observe jetty text log",
            "server", "proxy gate profile config observe jetty text log",
            "cli", "gate profile policy rules config proxy server text log",
            ROOT, "cli server profile rules config log text");

    static final Pattern OUR_ROOM = Pattern.compile("\\borg\\.cetusguard\\.([a-z]+)\\.");
    static final Pattern JETTY_INTERNAL = Pattern.compile("\\borg\\.eclipse\\.jetty\\.[a-z0-9.]*\\binternal\\b");

    @Test
    void everyRoomHasItsPlaceInTheTable() {
        assertEquals(MAY_USE.keySet(), new TreeSet<>(sources().keySet()), "rooms in src/main vs. the table of RoomsTest");
    }

    @Test
    void roomsUseOnlyWhatTheyMay() {
        List<String> violations = new ArrayList<>();
        sources().forEach((room, files) -> {
            for (Path file : files) {
                for (String used : roomsUsedBy(code(file))) {
                    if (!used.equals(room) && !MAY_USE.getOrDefault(room, Set.of()).contains(used)) {
                        violations.add(MAIN.relativize(file) + " (" + room + ") uses " + used);
                    }
                }
            }
        });
        assertTrue(violations.isEmpty(), "references the rooms table does not allow:\n" + String.join("\n", violations));
    }

    @Test
    void theTableIsLayered() {
        // No cycle: every room can be placed above all the rooms it may use.
        Set<String> placed = new HashSet<>();
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Map.Entry<String, Set<String>> room : MAY_USE.entrySet()) {
                if (!placed.contains(room.getKey()) && placed.containsAll(room.getValue())) {
                    placed.add(room.getKey());
                    progress = true;
                }
            }
        }
        assertEquals(MAY_USE.keySet(), placed, "rooms in a cycle: the ones missing here");
    }

    @Test
    void onlyTheEntryPointsUseProxyAndServer() {
        MAY_USE.forEach((room, uses) -> {
            if (!Set.of(ROOT, "cli", "server").contains(room)) {
                assertTrue(!uses.contains("proxy"), room + " may not use proxy");
            }
            if (!Set.of(ROOT, "cli").contains(room)) {
                assertTrue(!uses.contains("server"), room + " may not use server");
            }
        });
    }

    @Test
    void onlyTheJettyRoomReachesBelowJettysPublicApi() {
        List<String> found = new ArrayList<>();
        sources().forEach((room, files) -> {
            for (Path file : files) {
                Matcher m = JETTY_INTERNAL.matcher(code(file));
                while (!room.equals("jetty") && m.find()) {
                    found.add(MAIN.relativize(file) + ": " + m.group());
                }
            }
        });
        assertTrue(found.isEmpty(), "Jetty internals outside org.cetusguard.jetty:\n" + String.join("\n", found));
    }

    @Test
    void commentsAndStringsDoNotCount() {
        String code = stripCommentsAndStrings("""
                import org.cetusguard.gate.Forward; // org.cetusguard.server.X
                /* org.cetusguard.proxy.Y */ String s = "org.cetusguard.cli.Z \\" org.cetusguard.log.Log";
                char c = '"'; Object o = org.cetusguard.text.Escape.class;
                """);
        assertEquals(Set.of("gate", "text"), roomsUsedBy(code));
    }

    // ---------------------------------------------------------------------------------------------

    /** The Java files of src/main by room. */
    static Map<String, List<Path>> sources() {
        Map<String, List<Path>> byRoom = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(MAIN)) {
            walk.filter(p -> p.toString().endsWith(".java")).sorted().forEach(p -> {
                Path relative = MAIN.relativize(p);
                String room = relative.getNameCount() == 1 ? ROOT : relative.getName(0).toString();
                byRoom.computeIfAbsent(room, r -> new ArrayList<>()).add(p);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return byRoom;
    }

    static Set<String> roomsUsedBy(String code) {
        Set<String> rooms = new TreeSet<>();
        Matcher m = OUR_ROOM.matcher(code);
        while (m.find()) {
            rooms.add(m.group(1));
        }
        return rooms;
    }

    static String code(Path file) {
        try {
            String text = Files.readString(file);
            // The package line names the room itself, not a use.
            return stripCommentsAndStrings(text.replaceFirst("(?m)^package [^;]+;", ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The code of a Java source without its comments and its string, text-block and char literals. */
    static String stripCommentsAndStrings(String s) {
        StringBuilder code = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            if (s.startsWith("//", i)) {
                i = s.indexOf('\n', i) < 0 ? s.length() : s.indexOf('\n', i);
            } else if (s.startsWith("/*", i)) {
                i = s.indexOf("*/", i + 2) < 0 ? s.length() : s.indexOf("*/", i + 2) + 2;
            } else if (s.startsWith("\"\"\"", i)) {
                i = s.indexOf("\"\"\"", i + 3) < 0 ? s.length() : s.indexOf("\"\"\"", i + 3) + 3;
            } else if (s.charAt(i) == '"' || s.charAt(i) == '\'') {
                char quote = s.charAt(i++);
                while (i < s.length() && s.charAt(i) != quote) {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                code.append(' ');
            } else {
                code.append(s.charAt(i++));
            }
        }
        return code.toString();
    }

    private static Map<String, Set<String>> table(String... roomsAndUses) {
        Map<String, Set<String>> table = new LinkedHashMap<>();
        for (int i = 0; i < roomsAndUses.length; i += 2) {
            table.put(roomsAndUses[i], roomsAndUses[i + 1].isEmpty() ? Set.of() : Set.of(roomsAndUses[i + 1].split(" ")));
        }
        return table;
    }
}
