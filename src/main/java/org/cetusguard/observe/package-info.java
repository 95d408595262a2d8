/**
 * What the proxy records about the requests it decides, for the operator: one listener of decisions
 * and outcomes. {@link org.cetusguard.observe.Observer}, the outermost proxy handler, opens an
 * {@link org.cetusguard.observe.Exchange} per request; the adapters write the gate's decision on it
 * (never a log line of their own for it: that is {@code proxy.DecisionRecord}); when the request is
 * done the exchange goes to the {@link org.cetusguard.observe.AuditLog} (one escaped line, logfmt or
 * JSON) and the {@link org.cetusguard.observe.Metrics} ({@link org.cetusguard.observe.PrometheusMetrics},
 * served by {@link org.cetusguard.observe.MetricsEndpoint} on its own listener).
 *
 * <p>Uses no other room of the proxy but {@code text} (escaping). The operator's diagnostic log,
 * {@code log}, is a room of its own: the lowest rooms (config, rules) write to it, and they must not
 * depend on Jetty handlers or Prometheus.
 */
package org.cetusguard.observe;
