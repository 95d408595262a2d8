package org.cetusguard.testbed;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The three kinds of frontend a client can reach CetusGuard through, each started as a {@link RunningProxy}
 * in front of the test bed's daemon, with what a docker CLI needs to use it.
 */
public enum Frontend {
    /** Plain HTTP on loopback TCP. */
    TCP,
    /** Plain HTTP on a Unix socket in a temp dir. */
    UNIX,
    /** HTTPS on loopback TCP, client certificates required ({@link TestCerts#shared()}). */
    TLS;

    private static final AtomicInteger SOCKETS = new AtomicInteger();

    /** A started proxy and how to reach it. */
    public record Endpoint(Frontend kind, RunningProxy proxy, String dockerHost, Map<String, String> env)
            implements AutoCloseable {
        @Override
        public void close() {
            proxy.close();
        }
    }

    /**
     * Starts a proxy with this frontend and {@code rules}.
     *
     * @param dir           where a Unix socket goes (keep it short: socket paths are limited to ~100 bytes)
     * @param idleTimeoutMs the idle timeout between requests on a client connection; 0 keeps the default
     */
    public Endpoint start(Path dir, String rules, long idleTimeoutMs) throws Exception {
        List<String> args = new ArrayList<>(List.of("-backend-addr", DockerTestbed.DIRECT_DOCKER_HOST,
                "-rules", rules, "-log-level", "3"));
        switch (this) {
            case TCP -> {
                args.addAll(List.of("-frontend-addr", "tcp://127.0.0.1:0"));
                RunningProxy proxy = RunningProxy.start(Map.of(), idleTimeoutMs, args.toArray(String[]::new));
                return new Endpoint(this, proxy, proxy.dockerHost(0), Map.of());
            }
            case UNIX -> {
                Path socket = dir.resolve("cg" + SOCKETS.incrementAndGet() + ".sock");
                args.addAll(List.of("-frontend-addr", "unix://" + socket));
                RunningProxy proxy = RunningProxy.start(Map.of(), idleTimeoutMs, args.toArray(String[]::new));
                return new Endpoint(this, proxy, "unix://" + socket, Map.of());
            }
            case TLS -> {
                TestCerts certs = TestCerts.shared();
                args.addAll(List.of("-frontend-addr", "tcp://127.0.0.1:0",
                        "-frontend-tls-cacert", certs.caCert().toString(),
                        "-frontend-tls-cert", certs.serverCert().toString(),
                        "-frontend-tls-key", certs.serverKey().toString()));
                RunningProxy proxy = RunningProxy.start(Map.of(), idleTimeoutMs, args.toArray(String[]::new));
                return new Endpoint(this, proxy, "tcp://localhost:" + proxy.port(0),
                        Map.of("DOCKER_TLS_VERIFY", "1", "DOCKER_CERT_PATH", certs.dockerCertPath().toString()));
            }
            default -> throw new IllegalStateException(name());
        }
    }
}
