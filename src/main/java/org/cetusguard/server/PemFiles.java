package org.cetusguard.server;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads the PEM files the Go original takes (certificate chains, CA bundles, private keys) into
 * Java key stores. Keys may be PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1
 * ("EC PRIVATE KEY"), the three forms openssl and Go write; the last two are wrapped into PKCS#8
 * because that is the only encoding the JDK reads.
 */
public final class PemFiles {
    static final char[] NO_PASSWORD = new char[0];
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    // DER of AlgorithmIdentifier { rsaEncryption, NULL } and { id-ecPublicKey } (curve comes from the key).
    private static final byte[] RSA_ALGORITHM = hex("300d06092a864886f70d0101010500");
    private static final byte[] EC_OID = hex("06072a8648ce3d0201");

    private PemFiles() {
    }

    /** A trust store holding every certificate of a CA bundle. */
    public static KeyStore trustStore(Path caFile) throws IOException, GeneralSecurityException {
        List<Certificate> certificates = certificates(caFile);
        KeyStore store = emptyStore();
        for (int i = 0; i < certificates.size(); i++) {
            store.setCertificateEntry("ca-" + i, certificates.get(i));
        }
        return store;
    }

    /** A key store with one entry: the private key and its certificate chain. */
    public static KeyStore keyStore(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
        List<Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        KeyStore store = emptyStore();
        store.setKeyEntry("key", key, NO_PASSWORD, chain.toArray(new Certificate[0]));
        return store;
    }

    static List<Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<Certificate> result = new ArrayList<>();
        for (Block block : blocks(file)) {
            if (block.type.equals("CERTIFICATE")) {
                result.add(factory.generateCertificate(new ByteArrayInputStream(block.der)));
            }
        }
        if (result.isEmpty()) {
            throw new GeneralSecurityException("no PEM certificate found in " + file);
        }
        return result;
    }

    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        for (Block block : blocks(file)) {
            switch (block.type) {
                case "PRIVATE KEY":
                    return pkcs8(block.der);
                case "RSA PRIVATE KEY":
                    return KeyFactory.getInstance("RSA").generatePrivate(
                            new PKCS8EncodedKeySpec(wrapPkcs8(RSA_ALGORITHM, block.der)));
                case "EC PRIVATE KEY":
                    return KeyFactory.getInstance("EC").generatePrivate(
                            new PKCS8EncodedKeySpec(wrapPkcs8(ecAlgorithm(block.der), block.der)));
                default:
                    break;
            }
        }
        throw new GeneralSecurityException("no unencrypted PEM private key found in " + file);
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        GeneralSecurityException last = null;
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "EdDSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("unsupported private key type", last);
    }

    /** PrivateKeyInfo ::= SEQUENCE { version INTEGER 0, algorithm AlgorithmIdentifier, privateKey OCTET STRING } */
    private static byte[] wrapPkcs8(byte[] algorithm, byte[] key) {
        byte[] version = {0x02, 0x01, 0x00};
        byte[] octets = der(0x04, key);
        return der(0x30, concat(version, algorithm, octets));
    }

    /**
     * SEC1 ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] parameters (the curve OID), ... }.
     * The curve OID sits in the [0] element; PKCS#8 needs it in the AlgorithmIdentifier instead.
     */
    private static byte[] ecAlgorithm(byte[] sec1) throws GeneralSecurityException {
        int[] outer = header(sec1, 0);
        int pos = outer[0];
        int end = outer[0] + outer[1];
        while (pos < end) {
            int tag = sec1[pos] & 0xff;
            int[] element = header(sec1, pos);
            if (tag == 0xa0) {
                byte[] curve = java.util.Arrays.copyOfRange(sec1, element[0], element[0] + element[1]);
                return der(0x30, concat(EC_OID, curve));
            }
            pos = element[0] + element[1];
        }
        throw new GeneralSecurityException("EC private key without curve parameters");
    }

    /** Returns {offset of content, length of content} of the DER element starting at pos. */
    private static int[] header(byte[] der, int pos) throws GeneralSecurityException {
        if (pos + 2 > der.length) {
            throw new GeneralSecurityException("truncated DER");
        }
        int length = der[pos + 1] & 0xff;
        int offset = pos + 2;
        if (length > 0x80) {
            int bytes = length & 0x7f;
            if (bytes > 3 || offset + bytes > der.length) {
                throw new GeneralSecurityException("bad DER length");
            }
            length = new BigInteger(1, java.util.Arrays.copyOfRange(der, offset, offset + bytes)).intValue();
            offset += bytes;
        }
        if (offset + length > der.length) {
            throw new GeneralSecurityException("truncated DER");
        }
        return new int[] {offset, length};
    }

    private static byte[] der(int tag, byte[] content) {
        byte[] length;
        int n = content.length;
        if (n < 0x80) {
            length = new byte[] {(byte) n};
        } else if (n < 0x100) {
            length = new byte[] {(byte) 0x81, (byte) n};
        } else if (n < 0x10000) {
            length = new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
        } else {
            length = new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
        }
        return concat(new byte[] {(byte) tag}, length, content);
    }

    private static byte[] concat(byte[]... parts) {
        int total = 0;
        for (byte[] part : parts) {
            total += part.length;
        }
        byte[] out = new byte[total];
        int pos = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, pos, part.length);
            pos += part.length;
        }
        return out;
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    private static KeyStore emptyStore() throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private record Block(String type, byte[] der) {
    }

    private static List<Block> blocks(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = BLOCK.matcher(text);
        List<Block> result = new ArrayList<>();
        while (m.find()) {
            try {
                result.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new GeneralSecurityException("bad base64 in PEM block " + m.group(1) + " of " + file);
            }
        }
        return result;
    }
}
