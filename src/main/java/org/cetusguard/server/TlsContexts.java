package org.cetusguard.server;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

import org.cetusguard.config.Options;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * TLS settings for both sides, from the PEM paths the options carry. TLS 1.2 is the floor, as in the
 * Go original; Jetty's default exclusions keep weak suites out. Nothing here ever trusts everything:
 * without a CA file the JVM's default trust store applies.
 */
public final class TlsContexts {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {
    }

    /** The frontends' TLS from the -frontend-tls-* options, or null for plain HTTP; both a certificate and a key, or neither. */
    public static SslContextFactory.Server frontend(Options options) throws StartupException {
        boolean cert = present(options.frontendTlsCert());
        boolean key = present(options.frontendTlsKey());
        if (!cert && !key) {
            if (present(options.frontendTlsCacert())) {
                throw new StartupException("-frontend-tls-cacert needs -frontend-tls-cert and -frontend-tls-key");
            }
            return null;
        }
        if (!cert || !key) {
            throw new StartupException("frontend TLS needs both -frontend-tls-cert and -frontend-tls-key");
        }
        return server(options.frontendTlsCacert(), options.frontendTlsCert(), options.frontendTlsKey());
    }

    /** Whether any -backend-tls-* option is set: then the daemon is spoken to over TLS. */
    public static boolean backendConfigured(Options options) {
        return present(options.backendTlsCacert()) || present(options.backendTlsCert()) || present(options.backendTlsKey());
    }

    /** The daemon side's TLS from the -backend-tls-* options, or null when none is set (plain HTTP). */
    public static SslContextFactory.Client backend(Options options) throws StartupException {
        return backendConfigured(options) ? client(options.backendTlsCacert(), options.backendTlsCert(), options.backendTlsKey()) : null;
    }

    /** A frontend that serves TLS; with a CA file, clients must present a certificate it signed. */
    public static SslContextFactory.Server server(String caFile, String certFile, String keyFile) throws StartupException {
        SslContextFactory.Server factory = new SslContextFactory.Server();
        factory.setIncludeProtocols(PROTOCOLS);
        try {
            factory.setKeyStore(PemFiles.keyStore(Path.of(certFile), Path.of(keyFile)));
        } catch (IOException | GeneralSecurityException e) {
            throw new StartupException("cannot load frontend TLS certificate " + certFile + " / key " + keyFile + ": " + reason(e), e);
        }
        factory.setKeyStorePassword("");
        factory.setKeyManagerPassword("");
        if (present(caFile)) {
            factory.setTrustStore(trustStore(caFile, "frontend"));
            factory.setNeedClientAuth(true);
        }
        return factory;
    }

    /** The client side towards a daemon on tcp://, or null when no TLS option is set (plain HTTP). */
    public static SslContextFactory.Client client(String caFile, String certFile, String keyFile) throws StartupException {
        SslContextFactory.Client factory = new SslContextFactory.Client();
        factory.setIncludeProtocols(PROTOCOLS);
        if (present(caFile)) {
            factory.setTrustStore(trustStore(caFile, "backend"));
        }
        if (present(certFile) || present(keyFile)) {
            try {
                factory.setKeyStore(PemFiles.keyStore(Path.of(orEmpty(certFile)), Path.of(orEmpty(keyFile))));
            } catch (IOException | GeneralSecurityException e) {
                throw new StartupException("cannot load backend TLS certificate " + certFile + " / key " + keyFile + ": " + reason(e), e);
            }
            factory.setKeyStorePassword("");
            factory.setKeyManagerPassword("");
        }
        return factory;
    }

    /** File errors from java.nio carry only the path as their message; say what went wrong. */
    static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file " + e.getMessage();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied " + e.getMessage();
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    public static boolean present(String path) {
        return path != null && !path.isEmpty();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static java.security.KeyStore trustStore(String caFile, String side) throws StartupException {
        try {
            return PemFiles.trustStore(Path.of(caFile));
        } catch (IOException | GeneralSecurityException e) {
            throw new StartupException("cannot load " + side + " TLS CA certificate " + caFile + ": " + reason(e), e);
        }
    }
}
