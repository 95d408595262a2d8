package org.cetusguard.policy;

import java.util.Map;

import org.cetusguard.json.JsonEdit;

/** What the checks of one body share: the rewrite they may add to, and what the daemon said about its images. */
final class Body {
    final JsonEdit edit;
    private final Map<String, ImageFacts> images;
    private final Map<String, String> containers;

    Body(JsonEdit edit, Map<String, ImageFacts> images, Map<String, String> containers) {
        this.edit = edit;
        this.images = images;
        this.containers = containers;
    }

    /**
     * The full ID of the in-scope container {@code name} stands for; the caller resolved every name
     * {@link ContainerPolicy#containerReferences} listed (an ID it resolved to stands for itself, as
     * when a rewritten body is judged again).
     */
    String container(String name) throws Refusal {
        String id = containers.get(name);
        if (id == null && containers.containsValue(name)) {
            id = name;
        }
        if (id == null) {
            throw Refusal.of(new Verdict.Bad(500, "internal error: a container reference was not looked up"));
        }
        return id;
    }

    /** What the daemon said about {@code reference}; the caller looked up every reference {@link ContainerPolicy#imageReferences} named. */
    ImageFacts image(String reference) throws Refusal {
        ImageFacts facts = images.get(reference);
        if (facts == null) {
            throw Refusal.of(new Verdict.Bad(500, "internal error: an image reference was not looked up"));
        }
        return facts;
    }
}
