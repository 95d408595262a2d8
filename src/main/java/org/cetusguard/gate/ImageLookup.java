package org.cetusguard.gate;

import java.util.concurrent.CompletableFuture;

import org.cetusguard.policy.ImageFacts;

/**
 * Asks the daemon which image a reference names ({@code GET /images/{reference}/json}): the one
 * question the gate needs answered by someone else. Completes with {@link ImageFacts#UNKNOWN} when
 * the daemon has no such image, and exceptionally when it could not be asked.
 */
public interface ImageLookup {
    CompletableFuture<ImageFacts> lookup(String reference);

    /** The lookup could not be made without more memory than the proxy can spare now: the gate answers 503. */
    final class Busy extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Busy() {
            super("no memory to spare for the daemon's answer", null, false, false);
        }
    }
}
