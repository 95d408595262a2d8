/**
 * The one place that decides. {@link org.cetusguard.gate.RequestGate} takes a
 * {@link org.cetusguard.gate.GateRequest} (method, raw path and query, the client's identity, whether
 * it asks for a tcp upgrade) and answers a {@link org.cetusguard.gate.Forward} (the exact target, and
 * after {@code decideBody} the exact body) or a {@link org.cetusguard.gate.Refuse} (status, message,
 * cause). {@link org.cetusguard.gate.CanonicalPath} and {@link org.cetusguard.gate.CanonicalQuery}
 * give the one spelling of a target that is both judged and forwarded. Nothing here logs, records
 * or touches a request object: the proxy's adapters do, and {@code cetusguard check} runs the same
 * code. Uses {@code rules}, {@code policy} and {@code profile}.
 */
package org.cetusguard.gate;
