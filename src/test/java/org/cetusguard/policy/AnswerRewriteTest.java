package org.cetusguard.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.cetusguard.json.JsonException;
import org.cetusguard.json.JsonTrees;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * redact-env on answers recorded from the real daemon (20.10, API 1.41: a container run with
 * secrets in its environment, command and healthcheck, an exec, an image built with ENV and
 * ONBUILD) and on answers in the API reference's shapes (services, tasks, plugins, libpod): every
 * secret value is gone, every name stays, the answer is valid JSON, and nothing else changes.
 */
class AnswerRewriteTest {
    static byte[] answer(String name) {
        try (InputStream in = AnswerRewriteTest.class.getResourceAsStream("answers/" + name)) {
            return in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new AssertionError("missing test resource answers/" + name, e);
        }
    }

    static AnswerRewrite rewrite(String path, String... directives) {
        AnswerRewrite rewrite = ContainerPolicy.of(directives).answer("GET", path);
        assertNotNull(rewrite, path);
        return rewrite;
    }

    static String redacted(String file, String path, String... directives) throws Exception {
        byte[] out = rewrite(path, directives.length == 0 ? new String[] {"redact-env"} : directives).rewrite(answer(file));
        JsonTrees.tree(out); // still valid JSON, and strictly so
        return new String(out, StandardCharsets.UTF_8);
    }

    /** Every secret planted in the fixture ({@code *-secret-N}) is gone. */
    static void noSecrets(String out) {
        Matcher secret = Pattern.compile("[a-z]+-secret-[0-9]").matcher(out);
        assertFalse(secret.find(), () -> "a secret survived: " + secret.group() + " in " + out);
    }

    @Test
    void containerInspectKeepsNamesAndDropsEveryValue() throws Exception {
        String out = redacted("container-inspect.json", "/v1.41/containers/cg-fixture/json");
        noSecrets(out);
        for (String name : List.of("DB_PASSWORD=", "QUOTED=", "EMPTY=", "UNICODE=", "GREETING=", "LEGACY_TOKEN=", "PATH=")) {
            assertTrue(out.contains("\"" + name + Secrets.MARKER + "\""), name + " in " + out);
        }
        assertTrue(out.contains("\"NOVALUE\""), "an entry without a value stays as it is");
        assertFalse(out.contains("hello world") || out.contains("秘密") || out.contains("quoted"), out);
        // Commands: the --password value in Args and Cmd, the --auth value in the healthcheck.
        assertTrue(out.contains("echo --password=" + Secrets.MARKER), out);
        assertTrue(out.contains("check --auth " + Secrets.MARKER), out);
    }

    @Test
    void onlyTheRedactedStringsChange() throws Exception {
        for (String[] fixture : new String[][] {{"container-inspect.json", "/containers/x/json"}, {"image-inspect.json", "/images/x/json"},
                {"services-list.json", "/services"}, {"plugins-list.json", "/plugins"}}) {
            byte[] in = answer(fixture[0]);
            byte[] out = rewrite(fixture[1], "redact-env").rewrite(in);
            int changed = sameButStrings(tree(in), tree(out), fixture[0]);
            assertTrue(changed > 0, fixture[0] + ": something was redacted");
        }
    }

    /** The two trees have the same shape and the same values but for strings, each changed one now holding the marker; returns how many. */
    static int sameButStrings(Object before, Object after, String where) {
        if (before instanceof Map<?, ?> a && after instanceof Map<?, ?> b) {
            assertEquals(new ArrayList<>(a.keySet()), new ArrayList<>(b.keySet()), where);
            int n = 0;
            for (Object key : a.keySet()) {
                n += sameButStrings(a.get(key), b.get(key), where + "." + key);
            }
            return n;
        }
        if (before instanceof List<?> a && after instanceof List<?> b) {
            assertEquals(a.size(), b.size(), where);
            int n = 0;
            for (int i = 0; i < a.size(); i++) {
                n += sameButStrings(a.get(i), b.get(i), where + "[" + i + "]");
            }
            return n;
        }
        if (before instanceof String a && after instanceof String b && !a.equals(b)) {
            assertTrue(b.contains(Secrets.MARKER), where + ": " + b);
            return 1;
        }
        assertEquals(String.valueOf(before), String.valueOf(after), where);
        return 0;
    }

    @Test
    void showEnvKeepsTheNamedValuesVisible() throws Exception {
        String out = redacted("container-inspect.json", "/containers/x/json", "redact-env", "show-env PATH", "show-env GREETING");
        assertTrue(out.contains("\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\""), out);
        assertTrue(out.contains("\"GREETING=hello world\""), out);
        noSecrets(out);
        assertEquals(ContainerPolicy.of("show-env PATH").answer("GET", "/containers/x/json") != null, true,
                "show-env turns redact-env on");
    }

    @Test
    void containerListAndTopAndExecHideSecretArguments() throws Exception {
        String list = redacted("container-list.json", "/v1.41/containers/json");
        noSecrets(list);
        assertTrue(list.contains("echo --password=" + Secrets.MARKER + "'"), list);
        String top = redacted("container-top.json", "/v1.41/containers/cg-fixture/top");
        noSecrets(top);
        assertTrue(top.contains("\"sleep 3600\""), "other columns and processes stay: " + top);
        String exec = redacted("exec-inspect.json", "/v1.41/exec/abc/json");
        noSecrets(exec);
        assertTrue(exec.contains("echo --token " + Secrets.MARKER), exec);
    }

    @Test
    void imageInspectAndHistoryHideEnvInstructions() throws Exception {
        String image = redacted("image-inspect.json", "/v1.41/images/cetusguard-test/env-fixture:latest/json");
        noSecrets(image);
        assertTrue(image.contains("\"DB_PASSWORD=" + Secrets.MARKER + "\""), image);
        assertTrue(image.contains("\"ENV " + Secrets.MARKER + "\""), "ONBUILD ENV: " + image);
        String history = redacted("image-history.json", "/v1.41/images/cetusguard-test/env-fixture:latest/history");
        noSecrets(history);
        assertTrue(history.contains("#(nop)  ENV " + Secrets.MARKER), history);
        assertTrue(history.contains("--api-key " + Secrets.MARKER), history);
    }

    @Test
    void servicesTasksPluginsAndLibpod() throws Exception {
        noSecrets(redacted("services-list.json", "/v1.41/services"));
        noSecrets(redacted("task-inspect.json", "/tasks/0kzzo1i0y4jz6027t0k7aezc7"));
        String plugins = redacted("plugins-list.json", "/v1.41/plugins");
        noSecrets(plugins);
        assertTrue(plugins.contains("\"Name\":\"DEBUG\""), plugins);
        assertTrue(plugins.contains("\"Value\":\"\""), "an empty default stays empty");
        String libpod = redacted("libpod-container-inspect.json", "/v4.0.0/libpod/containers/web/json");
        noSecrets(libpod);
        assertTrue(libpod.contains("\"LIBPOD_SECRET=" + Secrets.MARKER + "\""), libpod);
        assertTrue(libpod.contains("[\"podman\",\"" + Secrets.MARKER + "\",\"-d\",\"--name\""), libpod);
    }

    @ParameterizedTest
    @CsvSource({
        "/containers/x/json, CONTAINER_INSPECT", "/v1.41/containers/a/b/json, CONTAINER_INSPECT",
        "/v4.0.0/libpod/containers/x/json, CONTAINER_INSPECT", "/containers/json, CONTAINER_LIST",
        "/v1.47/exec/abc/json, EXEC_INSPECT", "/containers/x/top, TOP", "/v4.0.0/libpod/pods/p/top, TOP",
        "/images/library/busybox:1/json, IMAGE_INSPECT", "/images/x/history, IMAGE_HISTORY",
        "/services, SERVICES", "/v1.41/services/web, SERVICES", "/tasks, TASKS", "/tasks/t1, TASKS",
        "/plugins, PLUGINS", "/plugins/vieux/sshfs:latest/json, PLUGINS", "/system/df, SYSTEM_DF"})
    void theAnswersThatCarryEnvironmentsOrCommandsAreRecognised(String path, AnswerRewrite.Kind kind) {
        assertEquals(kind, rewrite(path, "redact-env").kind());
    }

    @ParameterizedTest
    @CsvSource({"/containers/x/logs", "/images/json", "/services/web/logs", "/containers/x/stats", "/plugins/privileges",
        "/networks/n", "/volumes", "/info"})
    void otherAnswersStreamAsTheyAre(String path) {
        assertNull(ContainerPolicy.of("redact-env").answer("GET", path), path);
        assertNull(ContainerPolicy.of("redact-env").answer("POST", "/containers/x/json"), "only GET answers are rewritten");
        assertNull(ContainerPolicy.of("deny-privileged").answer("GET", "/containers/x/json"), "without redact-env nothing is");
    }

    @ParameterizedTest
    @CsvSource({"/images/get", "/v1.41/images/busybox/get", "/v4.0.0/libpod/generate/kube", "/v4.0.0/libpod/generate/web/systemd",
        "/v4.0.0/libpod/images/export", "/v4.0.0/libpod/containers/web/checkpoint"})
    void answersThatCannotBeRewrittenAreRefused(String path) {
        assertNotNull(ContainerPolicy.of("redact-env").refusesAnswer(path, null), path);
        assertNull(ContainerPolicy.of("deny-privileged").refusesAnswer(path, null), path);
    }

    /** {@code ps e} and a renamed args column print the environment (red-team finding): only known-safe ps_args pass. */
    @ParameterizedTest
    @CsvSource(value = {"e", "aux e", "-o pid,args=X e", "-o pid,args", "axe", "-efe", "-ef ", "eww"}, ignoreLeadingAndTrailingWhitespace = false)
    void topWithPsArgsThatCouldShowTheEnvironmentIsRefused(String psArgs) {
        for (String path : new String[] {"/containers/web/top", "/v1.41/containers/web/top", "/v4.0.0/libpod/containers/web/top",
            "/v4.0.0/libpod/pods/p/top"}) {
            assertNotNull(ContainerPolicy.of("redact-env").refusesAnswer(path, psArgs), path + " " + psArgs);
            assertNull(ContainerPolicy.of("deny-privileged").refusesAnswer(path, psArgs), "without redact-env: " + path);
        }
        assertNull(ContainerPolicy.of("redact-env").refusesAnswer("/containers/web/json", psArgs), "ps_args matters on top only");
    }

    @ParameterizedTest
    @CsvSource(value = {"''", "-ef", "aux"}, nullValues = "NULL")
    void topWithTheDefaultOrSafePsArgsIsAllowed(String psArgs) {
        assertNull(ContainerPolicy.of("redact-env").refusesAnswer("/v1.41/containers/web/top", psArgs));
        assertNull(ContainerPolicy.of("redact-env").refusesAnswer("/v1.41/containers/web/top", null));
    }

    @Test
    void networkInspectLosesItsContainersUnderOnlyLabel() throws Exception {
        byte[] network = ("{\"Name\":\"none\",\"Containers\":{\"8e0d\":{\"Name\":\"other-team\",\"EndpointID\":\"f8\"}},\"Labels\":{}}")
                .getBytes(StandardCharsets.UTF_8);
        String out = new String(rewrite("/v1.41/networks/none", "only-label team=a").rewrite(network), StandardCharsets.UTF_8);
        assertEquals("{\"Name\":\"none\",\"Containers\":{},\"Labels\":{}}", out);
        assertNull(ContainerPolicy.of("redact-env").answer("GET", "/networks/none"), "a network carries no environment");
    }

    /** Red-team finding: below API 1.28 the daemon fills in each network's Containers in the list too. */
    @Test
    void theNetworkListLosesItsContainersUnderOnlyLabel() throws Exception {
        byte[] list = ("[{\"Name\":\"none\",\"Containers\":{\"8e0d\":{\"Name\":\"other-team\"}}},{\"Name\":\"host\",\"Containers\":{}}]")
                .getBytes(StandardCharsets.UTF_8);
        String out = new String(rewrite("/v1.27/networks", "only-label team=a").rewrite(list), StandardCharsets.UTF_8);
        assertEquals("[{\"Name\":\"none\",\"Containers\":{}},{\"Name\":\"host\",\"Containers\":{}}]", out);
        assertNull(ContainerPolicy.of("redact-env").answer("GET", "/v1.27/networks"), "a network list carries no environment");
    }

    /** Red-team finding: Podman's Docker-compatible top joins the columns into one, titled "PID USER COMMAND". */
    @Test
    void topWithNoColumnTitledAsACommandHasEveryCellJudged() throws Exception {
        byte[] top = "{\"Titles\":[\"PID   USER     COMMAND\"],\"Processes\":[[\"1 root sh -c sleep --password=hunter2\"]]}"
                .getBytes(StandardCharsets.UTF_8);
        String out = new String(rewrite("/v1.41/containers/x/top", "redact-env").rewrite(top), StandardCharsets.UTF_8);
        assertFalse(out.contains("hunter2"), out);
        assertTrue(out.contains("--password="), out);
    }

    @Test
    void anAnswerThatIsNotJsonIsRefusedNotPassed() {
        AnswerRewrite inspect = rewrite("/containers/x/json", "redact-env");
        assertThrows(AnswerRewrite.Unreadable.class, () -> inspect.rewrite("{\"Config\":{\"Env\":[\"A=secret\"".getBytes(StandardCharsets.UTF_8)));
        assertThrows(AnswerRewrite.Unreadable.class, () -> inspect.rewrite(new byte[AnswerRewrite.MAX_ANSWER_BYTES + 1]));
    }

    @Test
    void keysThatFoldAlikeInTheDaemonsAnswerAreFine() throws Exception {
        byte[] in = "{\"Config\":{\"Labels\":{\"a\":\"1\",\"A\":\"2\"},\"Env\":[\"K=v\"]}}".getBytes(StandardCharsets.UTF_8);
        assertEquals("{\"Config\":{\"Labels\":{\"a\":\"1\",\"A\":\"2\"},\"Env\":[\"K=" + Secrets.MARKER + "\"]}}",
                new String(rewrite("/containers/x/json", "redact-env").rewrite(in), StandardCharsets.UTF_8));
    }

    @Test
    void preparedLengthIsTheRewrittenLength() throws Exception {
        for (String file : List.of("container-inspect.json", "image-inspect.json", "libpod-container-inspect.json")) {
            AnswerRewrite.Prepared prepared = rewrite("/containers/x/json", "redact-env").prepare(answer(file));
            assertEquals(prepared.length(), prepared.apply().length, file);
        }
        byte[] same = answer("task-inspect.json");
        assertArrayEquals(same, rewrite("/containers/x/json", "redact-env").rewrite(same), "nothing at the inspect's paths: unchanged");
    }

    /** The strings of a parsed answer, for tests that look for a value whatever its escaping. */
    static List<String> strings(Object tree) {
        List<String> out = new ArrayList<>();
        if (tree instanceof String s) {
            out.add(s);
        } else if (tree instanceof Map<?, ?> map) {
            map.forEach((k, v) -> {
                out.add((String) k);
                out.addAll(strings(v));
            });
        } else if (tree instanceof List<?> list) {
            list.forEach(v -> out.addAll(strings(v)));
        }
        return out;
    }

    static Object tree(byte[] json) throws JsonException {
        return JsonTrees.tree(json);
    }
}
