package org.cetusguard.gate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The containers of one scope as the daemon listed them (and its events since changed them): their
 * full IDs and names. Immutable; a change makes a new view. A name, full ID or ID prefix a scoped
 * client sends is resolved here, in the daemon's order ({@code GetContainer}: full ID, then name,
 * then unique ID prefix) but over these containers only, so what the client names is what it would
 * name if no other container existed: another client's container can neither be reached nor shadow
 * one of the scope (a name it holds, a prefix it shares).
 */
public final class ContainerView {
    /** One container: its full ID and its names as the daemon lists them ({@code /web}). */
    public record Container(String id, List<String> names) {
        public Container {
            names = List.copyOf(names);
        }
    }

    /** What a name resolves to: one container, none, or (an ID prefix of several) more than one. */
    public enum Outcome { FOUND, MISSING, AMBIGUOUS }

    public record Resolution(Outcome outcome, String id) {
        static final Resolution MISSING = new Resolution(Outcome.MISSING, null);
        static final Resolution AMBIGUOUS = new Resolution(Outcome.AMBIGUOUS, null);
    }

    private final NavigableMap<String, Container> byId;
    private final Map<String, String> idByName;
    private final long epoch;

    private ContainerView(NavigableMap<String, Container> byId, long epoch) {
        this.byId = byId;
        this.epoch = epoch;
        Map<String, String> names = new HashMap<>();
        for (Container container : byId.values()) {
            for (String name : container.names()) {
                names.put(name, container.id());
            }
        }
        this.idByName = names;
    }

    /**
     * @param epoch which event subscription this view is kept fresh by (the lookup's own bookkeeping;
     *     the gate does not read it)
     */
    public static ContainerView of(Collection<Container> containers, long epoch) {
        NavigableMap<String, Container> byId = new TreeMap<>();
        containers.forEach(container -> byId.put(container.id(), container));
        return new ContainerView(byId, epoch);
    }

    public long epoch() {
        return epoch;
    }

    public int size() {
        return byId.size();
    }

    public Collection<Container> containers() {
        return byId.values();
    }

    public boolean contains(String id) {
        return byId.containsKey(id);
    }

    /** This view with {@code container} added (or its names replaced), under {@code epoch}. */
    public ContainerView with(Container container, long epoch) {
        NavigableMap<String, Container> copy = new TreeMap<>(byId);
        copy.put(container.id(), container);
        return new ContainerView(copy, epoch);
    }

    /** This view without container {@code id}. */
    public ContainerView without(String id, long epoch) {
        NavigableMap<String, Container> copy = new TreeMap<>(byId);
        copy.remove(id);
        return new ContainerView(copy, epoch);
    }

    /** The container's names, or an empty list. */
    public List<String> names(String id) {
        Container container = byId.get(id);
        return container == null ? List.of() : container.names();
    }

    /** Resolves what a client wrote where the daemon takes a container: full ID, name (with or without '/'), or ID prefix. */
    public Resolution resolve(String reference) {
        if (reference == null || reference.isEmpty()) {
            return Resolution.MISSING;
        }
        if (byId.containsKey(reference)) {
            return new Resolution(Outcome.FOUND, reference);
        }
        String id = idByName.get(reference.startsWith("/") ? reference : "/" + reference);
        if (id != null) {
            return new Resolution(Outcome.FOUND, id);
        }
        List<String> matches = new ArrayList<>(2);
        for (String candidate : byId.tailMap(reference, true).keySet()) {
            if (!candidate.startsWith(reference)) {
                break;
            }
            matches.add(candidate);
            if (matches.size() > 1) {
                return Resolution.AMBIGUOUS;
            }
        }
        return matches.isEmpty() ? Resolution.MISSING : new Resolution(Outcome.FOUND, matches.get(0));
    }
}
