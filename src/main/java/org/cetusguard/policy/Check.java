package org.cetusguard.policy;

/**
 * One concern of the container policy (privileges, namespaces, capabilities, mounts, ...). Each
 * method judges one kind of body and throws {@link Refusal} at the first problem; the defaults
 * judge nothing. A check reads its own settings; {@link ContainerPolicy} calls every check on every
 * body it inspects.
 */
abstract class Check {
    final PolicySettings settings;

    Check(PolicySettings settings) {
        this.settings = settings;
    }

    /**
     * A container create body. {@code config} is the whole body (the container's Config fields are at
     * the top), {@code host} its HostConfig or null; {@link #hostConfig} has already judged that.
     */
    void create(Node config, Node host, Body body) throws Refusal {
    }

    /**
     * HostConfig fields: a create body's HostConfig, or an update body (UpdateConfig is Resources plus
     * RestartPolicy at the top level; fields the daemon ignores there are judged too, which only errs
     * on the strict side).
     */
    void hostConfig(Node host) throws Refusal {
    }

    /** An exec create body. */
    void exec(Node exec) throws Refusal {
    }

    /** A service create or update body; {@code task} (TaskTemplate) and {@code container} (its ContainerSpec) may be null. */
    void service(Node spec, Node task, Node container, Body body) throws Refusal {
    }

    /** A volume create body. */
    void volume(Node volume) throws Refusal {
    }
}
