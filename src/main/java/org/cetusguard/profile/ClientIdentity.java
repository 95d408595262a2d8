package org.cetusguard.profile;

import java.net.InetAddress;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * Who is asking, as far as the proxy can tell from the connection: what {@link ClientProfiles}
 * matches on. Every part may be unknown (null, or an empty list).
 *
 * @param listener the frontend address the connection came in on, spelled exactly as given to
 *     -frontend-addr (e.g. {@code tcp://:2376})
 * @param remote the peer's IP address (TCP listeners), or null
 * @param certSubjectAndSans identities of a client certificate that the TLS layer has verified
 *     against the frontend CA, as built by {@link #certificateIdentities}: {@code subject:<DN>},
 *     {@code dns:<name>}, {@code email:<address>}, {@code uri:<uri>}, {@code ip:<address>}.
 *     Never pass an unverified certificate: anyone can put any name in one.
 * @param uid the peer's user id (Unix socket listeners, from SO_PEERCRED), or null
 * @param gid the peer's primary group id, or null
 */
public record ClientIdentity(String listener, InetAddress remote, List<String> certSubjectAndSans, Integer uid, Integer gid) {
    public ClientIdentity {
        certSubjectAndSans = certSubjectAndSans == null ? List.of() : List.copyOf(certSubjectAndSans);
    }

    /** The identities of a verified client certificate, in the form {@code certSubjectAndSans} expects. */
    public static List<String> certificateIdentities(X509Certificate certificate) {
        List<String> out = new ArrayList<>();
        out.add("subject:" + certificate.getSubjectX500Principal().getName(X500Principal.RFC2253));
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            // An unparsable SAN extension gives no SAN identities; the subject still counts.
            return out;
        }
        if (names == null) {
            return out;
        }
        for (List<?> name : names) {
            if (name.size() < 2 || !(name.get(0) instanceof Integer) || !(name.get(1) instanceof String)) {
                continue;
            }
            String value = (String) name.get(1);
            switch ((Integer) name.get(0)) {
                case 1: out.add("email:" + value); break;
                case 2: out.add("dns:" + value); break;
                case 6: out.add("uri:" + value); break;
                case 7: out.add("ip:" + value); break;
                default: break; // otherName, x400, directoryName, ediParty, registeredID: not matched
            }
        }
        return out;
    }
}
