package org.cetusguard.policy;

import java.util.Map;

import org.cetusguard.json.JsonEdit;

/** What the checks of one body share: the rewrite they may add to, and what the daemon said about its images. */
final class Body {
    final JsonEdit edit;
    private final Map<String, ImageFacts> images;

    Body(JsonEdit edit, Map<String, ImageFacts> images) {
        this.edit = edit;
        this.images = images;
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
