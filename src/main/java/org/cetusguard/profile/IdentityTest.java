package org.cetusguard.profile;

import java.util.function.Predicate;
import javax.security.auth.x500.X500Principal;

import org.cetusguard.config.Address;
import org.cetusguard.config.ConfigException;
import org.cetusguard.json.JsonWriter;

/**
 * One identity criterion of a profile ({@code match KIND VALUE} or {@code require KIND VALUE}) as a
 * test on a {@link ClientIdentity}. Kinds: {@code listener ADDR} (exactly as written in
 * -frontend-addr), {@code source CIDR} (IPv4 or IPv6, a bare address is a /32 or /128),
 * {@code cert-subject DN} (RFC 2253, compared in canonical form, i.e. ignoring case and spacing),
 * {@code cert-dns NAME} (ignoring ASCII case), {@code cert-email ADDR} and {@code cert-uri URI}
 * (exact), {@code unix-uid N}, {@code unix-gid N}; and {@code any}, which {@link ProfilesFile} handles.
 */
record IdentityTest(String kind, String value, Predicate<ClientIdentity> test) {
    /** Whether the client with {@code identity} passes. */
    boolean matches(ClientIdentity identity) {
        return test.test(identity);
    }

    /** A listener criterion's address, which must be a frontend; null for other kinds. */
    String listener() {
        return kind.equals("listener") ? value : null;
    }

    static IdentityTest any() {
        return new IdentityTest("any", "", identity -> true);
    }

    /** @throws IllegalArgumentException naming what is wrong with the criterion */
    static IdentityTest of(String kind, String value) {
        return new IdentityTest(kind, value, predicate(kind, value));
    }

    private static Predicate<ClientIdentity> predicate(String kind, String value) {
        switch (kind) {
            case "listener": {
                try {
                    Address.parse(value);
                } catch (ConfigException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
                return identity -> value.equals(identity.listener());
            }
            case "source": {
                Cidr network = Cidr.parse(value);
                return identity -> network.contains(identity.remote());
            }
            case "cert-subject": {
                String wanted = canonicalDn(value);
                if (wanted == null) {
                    throw new IllegalArgumentException("not an RFC 2253 distinguished name: " + JsonWriter.quote(value));
                }
                return identity -> identity.certSubjectAndSans().stream()
                        .filter(s -> s.startsWith("subject:"))
                        .anyMatch(s -> wanted.equals(canonicalDn(s.substring("subject:".length()))));
            }
            case "cert-dns": {
                // DNS names are ASCII (IDNs travel as punycode); compare ignoring ASCII case.
                String wanted = "dns:" + asciiLower(value);
                return identity -> identity.certSubjectAndSans().stream()
                        .anyMatch(s -> s.startsWith("dns:") && asciiLower(s).equals(wanted));
            }
            case "cert-email":
                return identity -> identity.certSubjectAndSans().contains("email:" + value);
            case "cert-uri":
                return identity -> identity.certSubjectAndSans().contains("uri:" + value);
            case "unix-uid": {
                int uid = id(value);
                return identity -> identity.uid() != null && identity.uid() == uid;
            }
            case "unix-gid": {
                int gid = id(value);
                return identity -> identity.gid() != null && identity.gid() == gid;
            }
            default:
                throw new IllegalArgumentException("unknown identity " + JsonWriter.quote(kind) + " (expected any, listener, source,"
                        + " cert-subject, cert-dns, cert-email, cert-uri, unix-uid or unix-gid)");
        }
    }

    /** Canonical form of an RFC 2253 DN, or null when it does not parse. */
    static String canonicalDn(String dn) {
        try {
            return new X500Principal(dn).getName(X500Principal.CANONICAL);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String asciiLower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return out.toString();
    }

    /** A numeric uid or gid, 0..2^31-1. */
    static int id(String value) {
        if (!value.matches("0|[1-9][0-9]{0,9}") || Long.parseLong(value) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("not a numeric id: " + JsonWriter.quote(value));
        }
        return Integer.parseInt(value);
    }
}
