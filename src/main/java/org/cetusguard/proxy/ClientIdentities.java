package org.cetusguard.proxy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.cetusguard.profile.ClientIdentity;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Request;

/**
 * Who a request comes from, as the connection shows it: the frontend it arrived on (its connector
 * is named after the -frontend-addr value), the peer's IP address, the client certificate (present
 * only when the frontend required one and TLS verified it against the CA) and, on a Unix socket, the
 * peer's uid and gid from the kernel (SO_PEERCRED), which the client cannot forge.
 */
final class ClientIdentities {
    /** user and group names as the JDK reports them, to their numeric ids (/etc/passwd and /etc/group). */
    private static final Map<String, Integer> USERS = new ConcurrentHashMap<>();
    private static final Map<String, Integer> GROUPS = new ConcurrentHashMap<>();

    private ClientIdentities() {
    }

    static ClientIdentity of(Request request) {
        String listener = request.getConnectionMetaData().getConnector().getName();
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        InetAddress address = remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
        List<String> certificate = List.of();
        if (request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData ssl
                && ssl.peerCertificates() != null && ssl.peerCertificates().length > 0) {
            X509Certificate leaf = ssl.peerCertificates()[0];
            certificate = ClientIdentity.certificateIdentities(leaf);
        }
        Integer uid = null;
        Integer gid = null;
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (endPoint instanceof SocketChannelEndPoint channelEndPoint && remote instanceof UnixDomainSocketAddress) {
            SocketChannel channel = channelEndPoint.getChannel();
            try {
                UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
                uid = id(peer.user().getName(), USERS, Path.of("/etc/passwd"));
                gid = id(peer.group().getName(), GROUPS, Path.of("/etc/group"));
            } catch (IOException | UnsupportedOperationException e) {
                // Unknown: profiles that match on uid/gid simply do not match.
            }
        }
        return new ClientIdentity(listener, address, certificate, uid, gid);
    }

    /** The JDK names the peer's user; a name without a passwd entry comes back as the number itself. */
    private static Integer id(String name, Map<String, Integer> cache, Path database) {
        if (name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
            return Integer.valueOf(name);
        }
        Integer cached = cache.get(name);
        if (cached != null) {
            return cached;
        }
        try {
            for (String line : Files.readAllLines(database)) {
                String[] fields = line.split(":", -1);
                if (fields.length > 2 && fields[0].equals(name) && fields[2].chars().allMatch(Character::isDigit)) {
                    Integer id = Integer.valueOf(fields[2]);
                    cache.put(name, id);
                    return id;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return null;
        }
        return null;
    }
}
