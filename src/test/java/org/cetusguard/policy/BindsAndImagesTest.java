package org.cetusguard.policy;

import static org.cetusguard.policy.ContainerPolicyTest.assertBad;
import static org.cetusguard.policy.ContainerPolicyTest.assertDeny;
import static org.cetusguard.policy.ContainerPolicyTest.assertDenyContains;
import static org.cetusguard.policy.ContainerPolicyTest.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12, findings 3 and 4, and the memory bounds of finding 1, without a daemon. */
class BindsAndImagesTest {
    static final String CREATE = ContainerPolicyTest.CREATE;

    @TempDir
    Path dir;

    static Verdict binds(ContainerPolicy p, String spec) {
        return ContainerPolicyTest.create(p, "{\"HostConfig\":{\"Binds\":[" + org.cetusguard.json.JsonWriter.string(spec) + "]}}");
    }

    /** Where the proxy sees a read-only tree, it walks the path without following links. */
    @Test
    void aLinkBelowAVisibleReadOnlyDirectoryIsRefused() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Files.createDirectories(shared.resolve("app/conf"));
        Files.createSymbolicLink(shared.resolve("esc"), Path.of("/"));
        Files.createSymbolicLink(shared.resolve("app/up"), Path.of(".."));
        ContainerPolicy p = ContainerPolicy.of("allow-bind-readonly " + shared);
        assertAllowed(binds(p, shared + "/app/conf:/c:ro"), "a plain directory");
        assertAllowed(binds(p, shared + "/app/not-yet:/c:ro"), "a path that does not exist yet has no link on it");
        assertDeny("HostConfig.Binds[0]: host path \"" + shared + "/esc/etc\" passes through symbolic link \"" + shared + "/esc\"",
                binds(p, shared + "/esc/etc:/h:ro"));
        assertDenyContains("passes through symbolic link", binds(p, shared + "/esc:/h:ro"));
        assertDenyContains("passes through symbolic link \"" + shared + "/app/up\"", binds(p, shared + "/app/up/esc:/h:ro"));
        assertEquals(shared + "/esc", HostPaths.linkBelow(shared.toString(), shared + "/esc/x"));
        assertNull(HostPaths.linkBelow(shared.toString(), shared.toString()));
        assertTrue(HostPaths.visible(shared.toString()));
    }

    static void assertAllowed(Verdict verdict, String why) {
        assertTrue(verdict instanceof Verdict.Allow, () -> why + ": " + verdict + " " + verdict.message());
    }

    /** Finding 4: what the daemon says an image is decides, not the text. */
    @Test
    void anImageTheDaemonKnowsIsJudgedByItsNames() {
        ContainerPolicy p = ContainerPolicy.of("allow-image cetusguard-test/busybox", "allow-image busybox");
        ImageFacts testImage = new ImageFacts("sha256:1f5ba5366c6010237d5328c35abc80c08c386f32c3fd9b972bdc853b1b3a4a6f",
                List.of("cetusguard-test/busybox:latest"), List.of());
        ImageFacts hubImage = new ImageFacts("sha256:c3bd81391c5c", List.of("busybox:1.36", "other:tag"),
                List.of("busybox@sha256:" + "a".repeat(64)));
        ImageFacts dangling = new ImageFacts("sha256:0000aaaa", List.of(), List.of());
        ImageFacts evil = new ImageFacts("sha256:bbbb", List.of("evil/image:latest"), List.of());
        for (String text : List.of("1f5ba5366c60", "sha256:1f5ba5366c6010237d5328c35abc80c08c386f32c3fd9b972bdc853b1b3a4a6f", "1f5b", "sha256:1f5b")) {
            assertAllowed(check(p, text, testImage), text);
        }
        // Patterns match whole names: busybox:1.36 is not "busybox", but the image's digest name may be allowed.
        assertDenyContains("none of its names matches", check(p, "c3bd81391c5c", hubImage));
        assertAllowed(check(ContainerPolicy.of("allow-image busybox@%IMAGE_DIGEST%"), "c3bd81391c5c", hubImage), "by its digest name");
        assertDeny("Image: \"c3bd81391c5c\" is image sha256:c3bd81391c5c, and none of its names matches an allowed image pattern",
                check(ContainerPolicy.of("allow-image busybox"), "c3bd81391c5c", new ImageFacts("sha256:c3bd81391c5c", List.of("busybox:1.36"), List.of())));
        assertDenyContains("none of its names matches", check(p, "deadbeef", dangling));
        // A permitted-looking text naming another image: the image decides.
        assertDenyContains("none of its names matches", check(p, "busybox", evil));
        assertAllowed(check(p, "renamed:v1", testImage), "the same image under another tag is the same bytes");
        assertBad(500, "not looked up", p.check("POST", CREATE, null, utf8("{\"Image\":\"busybox\"}"), Map.of()));
        assertEquals(List.of(), p.imageReferences("POST", CREATE, utf8("{\"Image\":\"../../containers/x\"}")), "not a reference: nothing to ask");
        assertDeny("Image: \"../../containers/x\" is not a valid image reference",
                p.check("POST", CREATE, null, utf8("{\"Image\":\"../../containers/x\"}"), Map.of()));
    }

    static Verdict check(ContainerPolicy p, String image, ImageFacts facts) {
        byte[] body = utf8("{\"Image\":\"" + image + "\"}");
        assertEquals(List.of(image), p.imageReferences("POST", CREATE, body));
        return p.check("POST", CREATE, null, body, Map.of(image, facts));
    }

    @Test
    void referencesNormaliseAsTheDaemonReadsThem() {
        assertEquals(new ImageNames.Reference("docker.io", "library/busybox", null, null), ImageNames.parse("busybox"));
        assertEquals(new ImageNames.Reference("docker.io", "library/busybox", "1.36", null), ImageNames.parse("index.docker.io/busybox:1.36"));
        assertEquals(new ImageNames.Reference("localhost", "x/y", null, null), ImageNames.parse("localhost/x/y"));
        assertEquals(new ImageNames.Reference("registry.example:5000", "team/app", "v1", null), ImageNames.parse("registry.example:5000/team/app:v1"));
        assertEquals(new ImageNames.Reference("docker.io", "team/app", null, null), ImageNames.parse("team/app"));
        assertNull(ImageNames.parse("Team/app"), "repository names are lower case");
        assertNull(ImageNames.parse("a".repeat(64)), "a 64-hex text is an ID, never a name");
        assertNull(ImageNames.parse("busybox@sha256:00"), "digests are at least 128 bits");
        assertEquals(List.of("docker.io/library/busybox:latest", "docker.io/library/busybox", "library/busybox:latest", "library/busybox",
                "busybox:latest", "busybox"), ImageNames.spellings(ImageNames.parse("busybox")));
        String digest = "sha256:" + "b".repeat(64);
        assertEquals(List.of("docker.io/library/busybox@" + digest, "library/busybox@" + digest, "busybox@" + digest),
                ImageNames.spellings(ImageNames.parse("busybox:1.36@" + digest)), "the daemon looks a tag+digest up by its digest");
        assertEquals(List.of("registry.example:5000/team/app:v1"), ImageNames.spellings(ImageNames.parse("registry.example:5000/team/app:v1")));
        for (String id : List.of("c3bd", "sha256:", "sha256:c3bd", "C3BD")) {
            assertTrue(ImageNames.looksLikeId(id), id);
        }
        assertTrue(!ImageNames.looksLikeId("busybox") && !ImageNames.looksLikeId("sha256:xyz"));
    }

    /** Finding 1: what a body costs is bounded before it is parsed, whatever it holds. */
    @Test
    void bodiesAreBoundedInValuesFieldLengthAndWorkingMemory() {
        ContainerPolicy p = ContainerPolicy.of("deny-root-exec");
        String exec = ContainerPolicyTest.EXEC;
        StringBuilder many = new StringBuilder("{\"User\":\"1000\",\"Cmd\":[");
        for (int i = 0; i < ContainerPolicy.MAX_VALUES; i++) {
            many.append(i == 0 ? "0" : ",0");
        }
        assertBad(400, "more than 10000 values", p.check("POST", exec, utf8(many + "]}")));
        assertBad(400, "User: longer than 65536 bytes", p.check("POST", exec, utf8("{\"User\":\"" + "1".repeat(70_000) + "\"}")));
        assertAllowed(p.check("POST", exec, utf8("{\"User\":\"1000\",\"Env\":[\"" + "x".repeat(500_000) + "\"]}")), "fields the policy does not read may be long");
        // The whole bound for the largest body: far below the 1 MiB body itself times a few.
        long bound = ContainerPolicy.of("deny-host-access", "force-label a=b").workingMemory(ContainerPolicy.MAX_BODY_BYTES);
        assertTrue(bound < 2L * ContainerPolicy.MAX_BODY_BYTES, "working memory " + bound);
        assertTrue(p.workingMemory(2048) < 80_000, "a small body reserves little: " + p.workingMemory(2048));
    }
}
