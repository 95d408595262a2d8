package org.cetusguard.gate;

/** What the gate decided about one request: {@link Forward} it, or {@link Refuse} it. */
public sealed interface Decision permits Forward, Refuse {
}
