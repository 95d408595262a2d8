package org.cetusguard;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** Health check without a shell: GET /_ping on the frontend (arg, else env); exit 0 on a 200. */
public final class Healthcheck {
    public static void main(String[] args) {
        String addr = args.length > 0 ? args[0]
                : System.getenv().getOrDefault("CETUSGUARD_FRONTEND_ADDR", "tcp://127.0.0.1:2375");
        try (SocketChannel channel = SocketChannel.open(socketAddress(addr))) {
            if (System.getenv("CETUSGUARD_FRONTEND_TLS_CERT") != null) exit(0, addr + " accepts connections (TLS: not probed further)");
            channel.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: cetusguard\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(512);
            while (in.hasRemaining() && channel.read(in) >= 0) { /* until full or closed */ }
            String status = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII).split("\r\n", 2)[0];
            exit(status.matches("HTTP/1\\.[01] 200( .*)?") ? 0 : 1, "GET /_ping on " + addr + ": " + status);
        } catch (Exception e) {
            exit(1, addr + ": " + e);
        }
    }

    static SocketAddress socketAddress(String addr) {
        if (addr.startsWith("unix://")) return UnixDomainSocketAddress.of(addr.substring("unix://".length()));
        String hostPort = addr.replaceFirst("^tcp://", "").replaceFirst("/$", "");
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon).replaceAll("^\\[|\\]$", "");
        host = host.isEmpty() || host.equals("0.0.0.0") ? "127.0.0.1" : host.equals("::") ? "::1" : host;
        return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
    }

    static void exit(int code, String message) {
        System.out.println((code == 0 ? "healthy: " : "unhealthy: ") + message);
        System.exit(code);
    }
}
