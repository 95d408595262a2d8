package org.cetusguard.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.cetusguard.gate.Refuse;
import org.cetusguard.gate.RequestGate;
import org.cetusguard.profile.ClientIdentity;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.Profile;
import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.proxy.Backend;
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
    private static final String USAGE = "usage: cetusguard check [proxy options] [--as KIND=VALUE]... [--body FILE] METHOD PATH"
            + " (KIND: listener, source, uid, gid, subject, dns, email, uri)";
    private static final int CLOSEST = 3;

    private CheckCommand() {
    }

    /** What check's own options said; the rest are the proxy's options, then METHOD and PATH. */
    private record Arguments(List<String> proxyOptions, List<String> identity, Path body) {
    }

    static int run(String[] args, Map<String, String> env, PrintStream out) throws ConfigException, RuleException {
        Arguments own = arguments(args);
        OptionsParser.CommandLine line = OptionsParser.parseCommandLine(own.proxyOptions().toArray(new String[0]), env);
        Options options = line.options();
        if (options.help()) {
            return Commands.printHelp("check", out);
        }
        if (line.arguments().size() != 2) {
            throw new ConfigException("check needs a METHOD and a PATH after the options" + (line.arguments().isEmpty() ? ""
                    : ", not " + Escape.forMessage(String.join(" ", line.arguments()))) + "; " + USAGE);
        }
        Arguments parsed = own;
        String method = line.arguments().get(0);
        ClientProfiles profiles = ProfileLoader.load(options);
        RequestGate gate = new RequestGate(profiles, options.auditOnly());
        ClientIdentity identity = identity(parsed.identity());
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
        byte[] body = parsed.body() == null ? null : read(parsed.body());
        Decision judged = forward.checkBody() && body != null ? judgeBody(options, gate, forward, body) : forward;
        if (judged instanceof Refuse refuse) {
            printRefusal(out, refuse);
            out.println("  by the container policy; the rules allow the request");
        } else {
            out.println((forward.wouldDeny() ? "allowed in audit-only mode (no rule allows it): " : "allowed: ")
                    + method + " " + target);
        }
        out.println("  profile: " + describe(forward.profile()));
        out.println("  forwarded as: " + forward.target());
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

    /** Takes check's own options (--as, --body) out of {@code args}; the rest are the proxy's options, METHOD and PATH. */
    private static Arguments arguments(String[] args) throws ConfigException {
        List<String> rest = new ArrayList<>();
        List<String> identity = new ArrayList<>();
        Path body = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg.startsWith("--") ? arg.substring(2) : arg.startsWith("-") ? arg.substring(1) : null;
            String option = name == null ? null : name.contains("=") ? name.substring(0, name.indexOf('=')) : name;
            if (!"as".equals(option) && !"body".equals(option)) {
                rest.add(arg);
                continue;
            }
            String value;
            if (name.contains("=")) {
                value = name.substring(name.indexOf('=') + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new ConfigException("check: --" + option + " needs a value; " + USAGE);
            }
            if (option.equals("as")) {
                identity.add(value);
            } else if (body != null) {
                throw new ConfigException("check: --body given twice");
            } else {
                body = Path.of(value);
            }
        }
        return new Arguments(rest, identity, body);
    }

    /** The identity --as describes, or null (the default profile) when none is given. */
    private static ClientIdentity identity(List<String> parts) throws ConfigException {
        if (parts.isEmpty()) {
            return null;
        }
        String listener = null;
        InetAddress source = null;
        Integer uid = null;
        Integer gid = null;
        List<String> certificate = new ArrayList<>();
        for (String part : parts) {
            int equals = part.indexOf('=');
            if (equals < 1) {
                throw new ConfigException("check: --as takes KIND=VALUE, not \"" + part + "\"; " + USAGE);
            }
            String kind = part.substring(0, equals);
            String value = part.substring(equals + 1);
            switch (kind) {
                case "listener" -> listener = value;
                case "source" -> source = address(value);
                case "uid" -> uid = number(kind, value);
                case "gid" -> gid = number(kind, value);
                case "subject" -> certificate.add("subject:" + value);
                case "dns", "email", "uri" -> certificate.add(kind + ":" + value);
                default -> throw new ConfigException("check: unknown --as kind \"" + kind + "\"; " + USAGE);
            }
        }
        return new ClientIdentity(listener, source, certificate, uid, gid);
    }

    /** An IP address literal only: no name is looked up. */
    private static InetAddress address(String text) throws ConfigException {
        if (!text.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
            throw new ConfigException("check: --as source needs an IP address, not \"" + text + "\"");
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new ConfigException("check: --as source needs an IP address, not \"" + text + "\"");
        }
    }

    private static int number(String kind, String value) throws ConfigException {
        if (!value.matches("0|[1-9][0-9]{0,9}") || Long.parseLong(value) > Integer.MAX_VALUE) {
            throw new ConfigException("check: --as " + kind + " needs a number, not \"" + value + "\"");
        }
        return Integer.parseInt(value);
    }
}
