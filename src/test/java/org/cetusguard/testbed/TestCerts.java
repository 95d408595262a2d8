package org.cetusguard.testbed;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throw-away TLS material for tests, made with the {@code openssl} CLI (RSA 2048, valid 3 days).
 *
 * <p>Layout of {@link #dir()}: it is a DOCKER_CERT_PATH for the trusted client as the docker CLI
 * wants it, plus the server's and the CAs' files:
 * <pre>
 *   ca.pem, ca-key.pem                      the CA
 *   cert.pem, key.pem, key-pkcs1.pem        client cert (CN=cetusguard-test-client, clientAuth), signed by the CA
 *   server-cert.pem, server-key.pem,        server cert (CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1,
 *   server-key-pkcs1.pem                    serverAuth), signed by the CA
 *   untrusted-ca.pem, untrusted-ca-key.pem  a second, unrelated CA
 *   untrusted/ca.pem                        the (real) CA, so this client still trusts the server
 *   untrusted/cert.pem, key.pem,            client cert signed by the unrelated CA: a DOCKER_CERT_PATH for
 *   untrusted/key-pkcs1.pem                 "client the server must reject" tests
 * </pre>
 * Every {@code *key.pem} is PKCS#8 ({@code BEGIN PRIVATE KEY}); every {@code *key-pkcs1.pem} is the same
 * key in the traditional form ({@code BEGIN RSA PRIVATE KEY}).
 */
public final class TestCerts {

    /** Password of the in-memory key stores. */
    public static final char[] PASSWORD = "changeit".toCharArray();

    private static final String CONFIG = String.join("\n",
        "[req]",
        "distinguished_name = dn",
        "prompt = no",
        "[dn]",
        "CN = placeholder",
        "[v3_ca]",
        "basicConstraints = critical,CA:TRUE",
        "keyUsage = critical,keyCertSign,cRLSign,digitalSignature",
        "subjectKeyIdentifier = hash",
        "[server]",
        "basicConstraints = critical,CA:FALSE",
        "keyUsage = critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage = serverAuth",
        "subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1",
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid,issuer",
        "[client]",
        "basicConstraints = critical,CA:FALSE",
        "keyUsage = critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage = clientAuth",
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid,issuer",
        "");

    private static final SecureRandom RANDOM = new SecureRandom();
    private static TestCerts shared;

    private final Path dir;

    private TestCerts(Path dir) {
        this.dir = dir;
    }

    /** One set for the whole JVM, in a temp dir. */
    public static synchronized TestCerts shared() {
        if (shared == null) {
            try {
                shared = create(Files.createTempDirectory("cetusguard-test-certs"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** Makes a fresh set in {@code dir} (created if absent; existing files are overwritten). */
    public static TestCerts create(Path dir) {
        try {
            Files.createDirectories(dir.resolve("untrusted"));
            Path cnf = dir.resolve("openssl.cnf");
            Files.writeString(cnf, CONFIG);
            TestCerts c = new TestCerts(dir);

            caCert(dir, "ca", "CetusGuard Test CA");
            caCert(dir, "untrusted-ca", "CetusGuard Untrusted Test CA");
            leaf(dir, "server-key", "server-cert", "localhost", "server", "ca");
            leaf(dir, "key", "cert", "cetusguard-test-client", "client", "ca");
            leaf(dir, "untrusted/key", "untrusted/cert", "cetusguard-untrusted-client", "client", "untrusted-ca");
            Files.copy(dir.resolve("ca.pem"), dir.resolve("untrusted/ca.pem"), StandardCopyOption.REPLACE_EXISTING);

            for (Path key : List.of(c.caKey(), c.untrustedCaKey(), c.serverKey(), c.clientKey(), c.untrustedClientKey())) {
                String pem = Files.readString(key);
                if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
                    throw new IllegalStateException(key + " is not PKCS#8: " + pem.lines().findFirst().orElse(""));
                }
            }
            for (Path key : List.of(c.serverKeyPkcs1(), c.clientKeyPkcs1(), c.untrustedClientKeyPkcs1())) {
                String pem = Files.readString(key);
                if (!pem.contains("-----BEGIN RSA PRIVATE KEY-----")) {
                    throw new IllegalStateException(key + " is not a traditional RSA key: "
                        + pem.lines().findFirst().orElse(""));
                }
            }
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make test certificates in " + dir, e);
        }
    }

    private static void caCert(Path dir, String name, String cn) {
        openssl(dir, "req", "-x509", "-config", "openssl.cnf", "-extensions", "v3_ca",
            "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3", "-subj", "/CN=" + cn,
            "-set_serial", serial(), "-keyout", name + "-key.pem", "-out", name + ".pem");
    }

    private static void leaf(Path dir, String key, String cert, String cn, String extensions, String ca) {
        openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key + ".pem");
        openssl(dir, "pkey", "-in", key + ".pem", "-traditional", "-out", key + "-pkcs1.pem");
        openssl(dir, "req", "-new", "-config", "openssl.cnf", "-key", key + ".pem", "-subj", "/CN=" + cn,
            "-out", cert + ".csr");
        openssl(dir, "x509", "-req", "-in", cert + ".csr", "-CA", ca + ".pem", "-CAkey", ca + "-key.pem",
            "-set_serial", serial(), "-days", "3", "-sha256", "-extfile", "openssl.cnf", "-extensions", extensions,
            "-out", cert + ".pem");
        try {
            Files.deleteIfExists(dir.resolve(cert + ".csr"));
        } catch (IOException ignored) {
            // Harmless leftover.
        }
    }

    private static String serial() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        b[0] &= 0x7f;
        b[0] |= 0x10;
        StringBuilder sb = new StringBuilder("0x");
        for (byte x : b) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }

    /** Runs {@code openssl ARGS} in {@code dir}; throws with its output when it fails. */
    static String openssl(Path dir, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().remove("OPENSSL_CONF");
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try (InputStream in = p.getInputStream()) {
                    in.transferTo(out);
                } catch (IOException ignored) {
                    // Killed.
                }
            }, "openssl-output");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", cmd));
            }
            reader.join(5_000);
            String text = out.toString(StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("`" + String.join(" ", cmd) + "` in " + dir + " exited "
                    + p.exitValue() + ":\n" + text);
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run the openssl CLI (install openssl): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    // ------------------------------------------------------------------------------------------ paths

    /** The directory; also the trusted client's DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem). */
    public Path dir() {
        return dir;
    }

    /** DOCKER_CERT_PATH of the trusted client: same as {@link #dir()}. */
    public Path dockerCertPath() {
        return dir;
    }

    /** DOCKER_CERT_PATH of a client whose cert the unrelated CA signed (it still trusts the real CA). */
    public Path untrustedDockerCertPath() {
        return dir.resolve("untrusted");
    }

    public Path caCert() {
        return dir.resolve("ca.pem");
    }

    public Path caKey() {
        return dir.resolve("ca-key.pem");
    }

    public Path serverCert() {
        return dir.resolve("server-cert.pem");
    }

    /** PKCS#8. */
    public Path serverKey() {
        return dir.resolve("server-key.pem");
    }

    /** Traditional ({@code BEGIN RSA PRIVATE KEY}). */
    public Path serverKeyPkcs1() {
        return dir.resolve("server-key-pkcs1.pem");
    }

    public Path clientCert() {
        return dir.resolve("cert.pem");
    }

    /** PKCS#8. */
    public Path clientKey() {
        return dir.resolve("key.pem");
    }

    /** Traditional ({@code BEGIN RSA PRIVATE KEY}). */
    public Path clientKeyPkcs1() {
        return dir.resolve("key-pkcs1.pem");
    }

    public Path untrustedCaCert() {
        return dir.resolve("untrusted-ca.pem");
    }

    public Path untrustedCaKey() {
        return dir.resolve("untrusted-ca-key.pem");
    }

    public Path untrustedClientCert() {
        return dir.resolve("untrusted/cert.pem");
    }

    /** PKCS#8. */
    public Path untrustedClientKey() {
        return dir.resolve("untrusted/key.pem");
    }

    /** Traditional ({@code BEGIN RSA PRIVATE KEY}). */
    public Path untrustedClientKeyPkcs1() {
        return dir.resolve("untrusted/key-pkcs1.pem");
    }

    // ------------------------------------------------------------------------------------------ JSSE

    /** A PKCS12 store (in memory) holding the CA as a trusted certificate. */
    public KeyStore trustStore() {
        return trustStore(caCert());
    }

    /** A PKCS12 store (in memory) holding the given PEM certificate(s) as trusted. */
    public static KeyStore trustStore(Path caPem) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, PASSWORD);
            int i = 0;
            for (X509Certificate c : readCerts(caPem)) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make a trust store of " + caPem, e);
        }
    }

    /** The server's key and chain (server cert, CA) in an in-memory PKCS12 store, password {@link #PASSWORD}. */
    public KeyStore serverKeyStore() {
        return keyStore(serverKey(), serverCert(), caCert());
    }

    /** The trusted client's key and chain in an in-memory PKCS12 store, password {@link #PASSWORD}. */
    public KeyStore clientKeyStore() {
        return keyStore(clientKey(), clientCert(), caCert());
    }

    /** The untrusted client's key and chain in an in-memory PKCS12 store, password {@link #PASSWORD}. */
    public KeyStore untrustedClientKeyStore() {
        return keyStore(untrustedClientKey(), untrustedClientCert(), untrustedCaCert());
    }

    /** A PKCS12 store with one key entry "key": a PKCS#8 PEM RSA key with its certificate and issuer. */
    public static KeyStore keyStore(Path pkcs8Key, Path certPem, Path issuerPem) {
        try {
            PrivateKey key = readPkcs8RsaKey(pkcs8Key);
            List<Certificate> chain = new ArrayList<>(readCerts(certPem));
            chain.addAll(readCerts(issuerPem));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, PASSWORD);
            ks.setKeyEntry("key", key, PASSWORD, chain.toArray(new Certificate[0]));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make a key store of " + pkcs8Key + " and " + certPem, e);
        }
    }

    /** Reads every certificate in a PEM file. */
    public static List<X509Certificate> readCerts(Path pem) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : cf.generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            return out;
        }
    }

    /** Reads a {@code BEGIN PRIVATE KEY} (PKCS#8) RSA key. */
    public static PrivateKey readPkcs8RsaKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem);
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int b = text.indexOf(begin);
        int e = text.indexOf(end);
        if (b < 0 || e < b) {
            throw new GeneralSecurityException(pem + " holds no PKCS#8 private key");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    @Override
    public String toString() {
        return "TestCerts{" + dir + "}";
    }
}
