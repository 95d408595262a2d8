/**
 * Body-aware checks and per-client rule sets (issue 6). Nothing here touches the network or the
 * proxy; the proxy asks, and forwards what it is told.
 *
 * <ul>
 *   <li>{@link org.cetusguard.policy.Json} (+ {@link org.cetusguard.policy.JsonNumber},
 *       {@link org.cetusguard.policy.JsonException}): strict parser and canonical serializer.
 *       Refuses every body the daemon's Go decoder could read differently.</li>
 *   <li>{@link org.cetusguard.policy.ContainerPolicy} (+ {@link org.cetusguard.policy.Verdict}):
 *       what a create/update/exec/service/volume body may ask for. Package-private helpers:
 *       Node (typed, Go-like field access with field paths for messages), HostPaths (lexical
 *       path cleaning), Refusal (stops the checks at the first problem).</li>
 *   <li>{@link org.cetusguard.policy.ClientProfiles} (+ {@link org.cetusguard.policy.Profile},
 *       {@link org.cetusguard.policy.ClientIdentity}): which rule set and policy apply to which
 *       client. Package-private helper: Cidr.</li>
 * </ul>
 *
 * <p>How the proxy uses it, per request: build a ClientIdentity from the connection, select the
 * Profile, match its rules as today; if {@code profile.policy().inspects(method, path)}, read
 * the whole body (at most ContainerPolicy.MAX_BODY_BYTES + 1 bytes, then answer 413), call
 * {@code check}, and forward either the original bytes (Allow) or the rewritten ones (Rewrite)
 * with an exact Content-Length, or answer the verdict's status and message.
 */
package org.cetusguard.policy;
