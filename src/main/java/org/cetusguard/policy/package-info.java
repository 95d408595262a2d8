/**
 * The container policy: what the body of a request that creates or changes containers may ask for.
 * Nothing here touches the network or the proxy: the gate asks and decides, the proxy forwards what
 * the gate decided.
 *
 * <ul>
 *   <li>{@link org.cetusguard.policy.Setting}: every setting once (directive, argument, what it
 *       refuses, what it implies); {@link org.cetusguard.policy.PolicySettings}: the settings of one
 *       policy, read from directives.</li>
 *   <li>{@link org.cetusguard.policy.ContainerPolicy}: parses a body (package {@code json}), hands it to
 *       each check, proves any rewrite by judging it again, and says how much memory that can take.
 *       The checks, one concern each: PrivilegeCheck, NamespaceCheck (with the private cgroup
 *       namespace rewrite), CapabilityCheck, DeviceCheck, SecurityOptionCheck, MountCheck (binds,
 *       mounts, volumes, volume drivers), KernelCheck (sysctls, cgroup parent), RuntimeCheck,
 *       ExecCheck, ImageCheck (with {@link org.cetusguard.policy.ImageFacts} from the daemon) and
 *       LabelRewrite.</li>
 *   <li>Package-private helpers: Node (typed, Go-like field access with field paths for messages),
 *       HostPaths (lexical cleaning, the no-follow walk), ImageNames (image references as the daemon
 *       reads them), DaemonSyntax (capability names, security options, exec users, queries),
 *       Endpoint (which paths carry which body), Refusal.</li>
 * </ul>
 *
 * <p>How the gate uses it, per request: if {@code policy.inspects(method, path)}, the whole body is
 * held back (at most {@link org.cetusguard.policy.ContainerPolicy#MAX_BODY_BYTES}), the daemon is
 * asked about the images {@code imageReferences} names, {@code check} decides, and the proxy sends
 * either the original bytes (Allow) or the rewritten ones (Rewrite), as one body with its exact
 * Content-Length whether the client sent it chunked or not (the servlet's {@code HeldBody} and
 * deferred {@code sendProxyRequest}, the hijack handler alike; {@code ServletPathTest} checks the
 * bytes and the header the daemon gets), or answers the verdict's status and message and sends
 * nothing to the daemon.
 */
package org.cetusguard.policy;
