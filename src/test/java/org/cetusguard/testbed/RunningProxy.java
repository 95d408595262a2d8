package org.cetusguard.testbed;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.cetusguard.config.Options;
import org.cetusguard.config.OptionsParser;
import org.cetusguard.profile.ClientProfiles;
import org.cetusguard.profile.ProfileLoader;
import org.cetusguard.server.CetusGuardServer;
import org.cetusguard.server.Timeouts;

/** A CetusGuard started in this JVM from command-line arguments, exactly as Main would start it. */
public final class RunningProxy implements AutoCloseable {
    private final CetusGuardServer server;

    private RunningProxy(CetusGuardServer server) {
        this.server = server;
    }

    public static RunningProxy start(String... args) throws Exception {
        return start(Map.of(), args);
    }

    public static RunningProxy start(Map<String, String> env, String... args) throws Exception {
        return start(env, 0, args);
    }

    /** With a client-connection idle timeout of {@code idleTimeoutMs} (0 keeps the product's default). */
    public static RunningProxy start(Map<String, String> env, long idleTimeoutMs, String... args) throws Exception {
        Options options = OptionsParser.parse(args, env);
        ClientProfiles rules = ProfileLoader.load(options);
        CetusGuardServer server = new CetusGuardServer(options, rules,
                idleTimeoutMs > 0 ? Timeouts.DEFAULT.withClientIdle(idleTimeoutMs) : Timeouts.DEFAULT);
        server.start();
        return new RunningProxy(server);
    }

    /** With the given client and daemon time limits (see {@link Timeouts}). */
    public static RunningProxy start(Timeouts timeouts, String... args) throws Exception {
        Options options = OptionsParser.parse(args, Map.of());
        CetusGuardServer server = new CetusGuardServer(options, ProfileLoader.load(options), timeouts);
        server.start();
        return new RunningProxy(server);
    }

    public List<URI> listeningOn() {
        return server.listeningOn();
    }

    /** The DOCKER_HOST value for the i-th frontend. */
    public String dockerHost(int i) {
        return listeningOn().get(i).toString();
    }

    /** The port of the i-th frontend (a tcp one). */
    public int port(int i) {
        return listeningOn().get(i).getPort();
    }

    public CetusGuardServer server() {
        return server;
    }

    @Override
    public void close() {
        server.stop();
    }
}
