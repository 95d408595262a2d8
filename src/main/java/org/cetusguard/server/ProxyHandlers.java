package org.cetusguard.server;

import java.util.function.Predicate;

import org.cetusguard.config.Options;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.log.Log;
import org.cetusguard.observe.AuditLog;
import org.cetusguard.observe.Metrics;
import org.cetusguard.observe.MetricsEndpoint;
import org.cetusguard.observe.Observer;
import org.cetusguard.observe.PrometheusMetrics;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.proxy.Backend;
import org.cetusguard.proxy.ContainerDirectory;
import org.cetusguard.proxy.FilteringProxyServlet;
import org.cetusguard.proxy.HijackHandler;
import org.cetusguard.proxy.MemoryBudget;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ConditionalHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * What a request passes through, in order: graceful stop → observer (audit log, metrics) →
 * transfer-coding check → streaming idle timeout → hijack handler, which takes attach / exec start
 * upgrades only → proxy servlet, which decides and relays every other request through the gate; the
 * gate, the backend client and the memory budget both adapters share; and, with a metrics listener,
 * the routing that keeps the metrics and the proxy on their own listeners.
 */
final class ProxyHandlers {
    private final RequestGate gate;
    private final PrometheusMetrics prometheus;
    private final Metrics metrics;
    private final Handler proxy;

    /** Adds the backend client to {@code server}, whose threads, scheduler and buffers it shares. */
    ProxyHandlers(Server server, Options options, ClientProfiles profiles, Timeouts timeouts) throws StartupException {
        Backend backend = new Backend(Frontends.parse(options.backendAddr(), "backend"), TlsContexts.backend(options), server,
                timeouts.daemonHeadersMs());
        server.addBean(backend);

        // Profiles come validated from ProfileLoader (listeners are frontends), as on every reload.
        gate = new RequestGate(profiles, options.auditOnly());
        if (options.auditOnly()) {
            Log.warning("audit-only mode: requests the rules deny are forwarded anyway and logged");
        }
        prometheus = options.metricsAddr().isEmpty() ? null : new PrometheusMetrics();
        metrics = prometheus == null ? Metrics.NONE : prometheus;
        AuditLog audit = options.auditLog().isEmpty() ? null : new AuditLog(options.auditLog(), System.out);

        ServletContextHandler context = new ServletContextHandler("/", ServletContextHandler.NO_SESSIONS);
        // One budget for what both adapters hold for clients (bodies, image answers, read buffers).
        MemoryBudget budget = MemoryBudget.forHeap();
        // What scoped clients' requests are resolved with (only-label): idle until a scoped client comes.
        ContainerDirectory containers = new ContainerDirectory(backend, budget);
        server.addBean(containers);
        ServletHolder servlet = new ServletHolder("cetusguard", new FilteringProxyServlet(gate, backend, budget, containers));
        servlet.setInitParameter("preserveHost", "true");
        servlet.setAsyncSupported(true);
        context.addServlet(servlet, "/*");
        context.setErrorHandler(new JsonErrorHandler());
        proxy = new Observer(audit, metrics, new TransferCodingCheck(
                new StreamingIdleTimeout(new HijackHandler(gate, backend, metrics, budget, containers, context))));
    }

    RequestGate gate() {
        return gate;
    }

    Metrics metrics() {
        return metrics;
    }

    /**
     * The server's handler. Without a metrics listener, the proxy for every request. With one, a request
     * from that listener gets the metrics endpoint and never the proxy, and any other request the proxy
     * and never the metrics: Jetty's ConditionalHandler on the connector the request came through (the
     * connector object itself, not its name: a frontend may be spelled like the metrics address).
     */
    Handler forListeners(Connector metricsListener) {
        if (metricsListener == null) {
            return new GracefulHandler(proxy);
        }
        Predicate<Request> onMetricsListener = request -> request.getConnectionMetaData().getConnector() == metricsListener;
        ConditionalHandler proxyElsewhere = new ConditionalHandler.DontHandle(proxy);
        proxyElsewhere.include(onMetricsListener);
        ConditionalHandler metricsThere = new ConditionalHandler.NextElseReject(new MetricsEndpoint(prometheus), 404);
        metricsThere.include(onMetricsListener);
        return new GracefulHandler(new Handler.Sequence(proxyElsewhere, metricsThere));
    }
}
