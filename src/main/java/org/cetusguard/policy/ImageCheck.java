package org.cetusguard.policy;

import java.util.ArrayList;
import java.util.List;

import org.cetusguard.json.JsonWriter;

/**
 * restrict-images and allow-image: judged on the image the daemon would run. The daemon resolves an
 * image reference to a name in its reference store first and else to an image whose ID starts with
 * the text (moby daemon/images/image.go), so the text alone says little: {@code c3bd81391c5c} matches
 * a pattern written for names and runs whatever image has that ID. The proxy asks the daemon
 * ({@link ImageFacts}) and allows an image it has when one of the image's names, in any spelling
 * the daemon accepts for it ({@link ImageNames#spellings}), matches a pattern. An image the daemon
 * does not have (the CLI then pulls it and tries again) is judged by the name its text normalises
 * to; text that could be an image ID is refused then, since it would name whatever image has that
 * ID by the time the container is created.
 */
final class ImageCheck extends Check {
    private final boolean on;
    private final List<Arguments.ImagePattern> patterns;

    ImageCheck(PolicySettings settings) {
        super(settings);
        on = settings.on(Setting.RESTRICT_IMAGES);
        patterns = settings.values(Setting.ALLOW_IMAGE, Arguments.ImagePattern.class);
    }

    /** The image references of a body this check will judge, for the caller to look up first. */
    static List<String> references(Endpoint endpoint, Node root) throws Refusal {
        List<String> out = new ArrayList<>();
        Node node = root;
        if (endpoint == Endpoint.SERVICE_CREATE || endpoint == Endpoint.SERVICE_UPDATE) {
            Node task = root.object("TaskTemplate");
            node = task == null ? null : task.object("ContainerSpec");
        } else if (endpoint != Endpoint.CONTAINER_CREATE) {
            node = null;
        }
        String image = node == null ? null : node.string("Image");
        if (image != null && !image.isEmpty() && ImageNames.resolvable(image)) {
            out.add(image);
        }
        return out;
    }

    @Override
    void create(Node config, Node host, Body body) throws Refusal {
        if (on) {
            image(config, body);
        }
    }

    @Override
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
        if (!on) {
            return;
        }
        if (container == null) {
            throw Refusal.deny(task == null ? "TaskTemplate.ContainerSpec.Image" : task.pathOf("ContainerSpec.Image"),
                    "an image is required by the image allow-list");
        }
        image(container, body);
    }

    private void image(Node node, Body body) throws Refusal {
        String where = node.pathOf("Image");
        String image = node.string("Image");
        if (image == null || image.isEmpty()) {
            throw Refusal.deny(where, "an image is required by the image allow-list");
        }
        if (!ImageNames.resolvable(image)) {
            throw Refusal.deny(where, JsonWriter.quote(image) + " is not a valid image reference");
        }
        ImageFacts facts = body.image(image);
        if (facts.known()) {
            List<String> names = new ArrayList<>(facts.repoTags());
            names.addAll(facts.repoDigests());
            for (String name : names) {
                ImageNames.Reference reference = ImageNames.parse(name);
                if (reference != null && allowed(reference)) {
                    return;
                }
            }
            String id = facts.id().length() > 19 ? facts.id().substring(0, 19) : facts.id();
            throw Refusal.deny(where, JsonWriter.quote(image) + " is image " + id
                    + ", and none of its names matches an allowed image pattern");
        }
        if (ImageNames.looksLikeId(image)) {
            throw Refusal.deny(where, JsonWriter.quote(image) + " names no image the daemon has;"
                    + " an image ID or the start of one is only accepted for an image with an allowed name");
        }
        if (!allowed(ImageNames.parse(image))) {
            throw Refusal.deny(where, JsonWriter.quote(image) + " does not match an allowed image pattern");
        }
    }

    private boolean allowed(ImageNames.Reference reference) {
        for (String spelling : ImageNames.spellings(reference)) {
            for (Arguments.ImagePattern pattern : patterns) {
                if (pattern.pattern().matches(spelling)) {
                    return true;
                }
            }
        }
        return false;
    }
}
