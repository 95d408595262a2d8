package org.cetusguard.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.cetusguard.config.Address;
import org.cetusguard.config.ConfigException;
import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.gate.Decision;
import org.cetusguard.gate.Forward;
import org.cetusguard.gate.GateRequest;
import org.cetusguard.gate.Lookups;
import org.cetusguard.gate.Refuse;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.profile.ClientIdentity;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.Profile;
import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.proxy.Backend;
import org.cetusguard.proxy.ContainerDirectory;
import org.cetusguard.proxy.DaemonImages;
import org.cetusguard.rules.NearMiss;
import org.cetusguard.rules.Rule;
import org.cetusguard.rules.RuleException;
import org.cetusguard.server.StartupException;
import org.cetusguard.server.TlsContexts;
import org.cetusguard.text.Escape;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code cetusguard check [proxy options] [--as KIND=VALUE]... [--body FILE] METHOD PATH}: the decision
 * the proxy would take, from the same configuration (rules, -policy, -profiles-file, -audit-only)
 * and through the very same {@link RequestGate}: the profile chosen, the path as forwarded, the rule
 * that matched; with {@code --body}, the container policy's verdict on that body (asking the daemon
 * about its image when allow-image is on, as the proxy does); and for a denial, the rules that came
 * closest and why they did not match. Exit 0 forwarded, 1 refused.
 */
final class CheckCommand {
    static final String USAGE = "usage: cetusguard check [proxy options] [--as KIND=VALUE]... [--body FILE] METHOD PATH"
            + " (KIND: listener, source, uid, gid, subject, dns, email, uri)";
    private static final int CLOSEST = 3;

    private CheckCommand() {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException, RuleException {
        CheckArguments own = CheckArguments.parse(args);
        OptionsParser.CommandLine line = OptionsParser.parseCommandLine(own.proxyOptions().toArray(new String[0]), env);
        Options options = line.options();
        if (options.help()) {
            return Commands.printHelp("check", out);
        }
        if (line.arguments().size() != 2) {
            throw new ConfigException("check needs a METHOD and a PATH after the options" + (line.arguments().isEmpty() ? ""
                    : ", not " + Escape.forMessage(String.join(" ", line.arguments()))) + "; " + USAGE);
        }
        String method = line.arguments().get(0);
        ClientProfiles profiles = ProfileLoader.load(options);
        RequestGate gate = new RequestGate(profiles, options.auditOnly());
        ClientIdentity identity = own.identity();
        String target = line.arguments().get(1);
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? null : target.substring(q + 1);
        Decision decision = gate.decide(new GateRequest(method, path, query, identity, false));
        Profile profile = identity == null ? profiles.defaultProfile() : profiles.select(identity);
        if (decision instanceof Refuse refuse) {
            printRefusal(out, refuse);
            if (refuse.cause() == Refuse.Cause.RULES) {
                out.println("  profile: " + describe(profile));
                explain(out, profile, method, refuse.path());
            }
            return 1;
        }
        Forward forward = (Forward) decision;
        byte[] body = own.body() == null ? null : read(own.body());
        Decision judged;
        if (forward.resolve() != null) {
            // A scoped client naming a container (only-label): resolved with the daemon, as the proxy does.
            byte[] judgedBody = forward.checkBody() ? body : null;
            judged = withDaemon(options, backend -> gate.complete(forward, judgedBody,
                    new Lookups(DaemonImages.forTool(backend), ContainerDirectory.forTool(backend))));
        } else {
            judged = forward.checkBody() && body != null ? judgeBody(options, gate, forward, body) : forward;
        }
        if (judged instanceof Refuse refuse) {
            printRefusal(out, refuse);
            out.println(refuse.cause() == Refuse.Cause.SCOPE ? "  by the client's scope (only-label); the rules allow the request"
                    : "  by the container policy; the rules allow the request");
        } else {
            out.println((forward.wouldDeny() ? "allowed in audit-only mode (no rule allows it): " : "allowed: ")
                    + method + " " + target);
        }
        out.println("  profile: " + describe(forward.profile()));
        out.println("  forwarded as: " + (judged instanceof Forward sent ? sent.target() : forward.target()));
        if (forward.answer() != null) {
            out.println("  answer: rewritten (" + forward.answer().kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ")");
        } else if (forward.events()) {
            out.println("  answer: events filtered line by line");
        }
        if (forward.rule() != null) {
            Rule rule = forward.rule();
            out.println("  rule: " + rule.line().strip() + "  (" + rule.origin() + ", line " + rule.lineNumber() + ")");
            out.println("  regex: " + rule.pattern().pattern());
        }
        List<String> settings = forward.policy().describe();
        out.println("  container policy: " + (settings.isEmpty() ? "off" : String.join(", ", settings)));
        if (!forward.checkBody()) {
            if (body != null) {
                out.println("  body: not read by the container policy; forwarded as sent");
            }
        } else if (body == null) {
            out.println("  body: the container policy reads it; give it with --body FILE to see the verdict");
        } else if (judged instanceof Forward sent) {
            if (java.util.Arrays.equals(sent.body(), body)) {
                out.println("  body: allowed as sent (" + body.length + " bytes)");
            } else {
                out.println("  body: allowed, rewritten to (" + sent.body().length + " bytes):");
                out.println("    " + new String(sent.body(), StandardCharsets.UTF_8).strip());
            }
        }
        return judged instanceof Refuse ? 1 : 0;
    }

    private static byte[] read(Path file) throws ConfigException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read --body " + file + ": " + e.getMessage());
        }
    }

    /** The gate's verdict on the body, asking the daemon about its image when the policy needs that, as the proxy does. */
    private static Decision judgeBody(Options options, RequestGate gate, Forward forward, byte[] body) throws ConfigException {
        if (gate.imageReferences(forward, body).isEmpty()) {
            return gate.decideBody(forward, body, Map.of());
        }
        return withDaemon(options, backend -> gate.decideBody(forward, body, DaemonImages.forTool(backend)));
    }

    private interface BackendCall {
        java.util.concurrent.CompletableFuture<Decision> call(Backend backend);
    }

    /** Runs one body decision that asks the daemon (at -backend-addr) about images, as the proxy would. */
    private static Decision withDaemon(Options options, BackendCall call) throws ConfigException {
        QueuedThreadPool threads = new QueuedThreadPool(4, 1);
        Backend backend;
        try {
            backend = new Backend(Address.parse(options.backendAddr()), backendTls(options), new Server(threads),
                    Backend.RESPONSE_HEADERS_TIMEOUT_MS);
            threads.start();
            backend.start();
        } catch (ConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigException("cannot set up the backend client: " + e.getMessage());
        }
        try {
            return call.call(backend).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new ConfigException("the image lookup did not finish: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("interrupted");
        } finally {
            try {
                backend.stop();
                threads.stop();
            } catch (Exception ignored) {
                // A tool about to exit.
            }
        }
    }

    private static org.eclipse.jetty.util.ssl.SslContextFactory.Client backendTls(Options options) throws ConfigException {
        try {
            return TlsContexts.backend(options);
        } catch (StartupException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    private static void printRefusal(PrintStream out, Refuse refuse) {
        String kind = switch (refuse.status()) {
            case 400 -> "rejected (400): ";
            case 403 -> "denied (403): ";
            default -> "refused (" + refuse.status() + "): ";
        };
        out.println(kind + refuse.message());
    }

    private static void explain(PrintStream out, Profile profile, String method, String path) {
        List<NearMiss.Explanation> closest = NearMiss.closest(profile.rules(), method, path, CLOSEST);
        if (closest.isEmpty()) {
            out.println("  no rules: every request is denied");
            return;
        }
        out.println("  closest rules:");
        for (NearMiss.Explanation e : closest) {
            Rule rule = e.rule();
            out.println("    " + rule.line().strip() + "  (" + rule.origin() + ", line " + rule.lineNumber() + ")");
            out.println("      " + e.why(method, path));
        }
    }

    private static String describe(Profile profile) {
        return profile.name() + " (" + profile.origin() + ")";
    }
}
