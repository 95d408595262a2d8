package org.cetusguard.gate;

/** The outside questions the gate may need answered to finish a decision: images (allow-image) and containers (only-label). */
public record Lookups(ImageLookup images, ContainerLookup containers) {
}
