package org.cetusguard.policy;

import java.util.List;

/**
 * What the daemon says an image reference names, from {@code GET /images/{reference}/json}: the
 * daemon resolves a reference for a new container the same way (moby daemon/images/image.go
 * GetImage: a name in its reference store first, then an image-ID prefix). {@link #UNKNOWN} when
 * the daemon has no such image (it answered 404).
 *
 * @param id          the image ID ("sha256:...")
 * @param repoTags    its names with tags, as the daemon lists them ("busybox:latest")
 * @param repoDigests its names with digests ("busybox@sha256:...")
 */
public record ImageFacts(String id, List<String> repoTags, List<String> repoDigests) {
    public static final ImageFacts UNKNOWN = new ImageFacts(null, List.of(), List.of());

    public ImageFacts {
        repoTags = List.copyOf(repoTags);
        repoDigests = List.copyOf(repoDigests);
    }

    public boolean known() {
        return id != null;
    }
}
