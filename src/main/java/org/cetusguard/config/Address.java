package org.cetusguard.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

import org.cetusguard.text.Escape;

/**
 * A frontend or backend address: {@code unix:///absolute/path} or {@code tcp://host:port}
 * ({@code tcp://:2375} binds all interfaces, IPv6 goes in brackets). Anything else is refused
 * up front, with the address in the message, rather than half-understood: the Go original
 * accepts e.g. {@code tcp://user@host:1/x} and silently drops the parts it does not use.
 */
public final class Address {
    private static final String UNIX = "unix://";
    private static final String TCP = "tcp://";

    private final String original;
    private final Path path;
    private final String host;
    private final int port;

    private Address(String original, Path path, String host, int port) {
        this.original = original;
        this.path = path;
        this.host = host;
        this.port = port;
    }

    public static Address parse(String addr) throws ConfigException {
        if (addr.startsWith(UNIX)) {
            return parseUnix(addr, addr.substring(UNIX.length()));
        }
        if (addr.startsWith(TCP)) {
            return parseTcp(addr, addr.substring(TCP.length()));
        }
        throw invalid(addr, "expected unix:///path or tcp://host:port");
    }

    private static Address parseUnix(String addr, String rest) throws ConfigException {
        if (rest.isEmpty()) {
            throw invalid(addr, "missing socket path");
        }
        // A relative path would depend on the working directory, which differs between a shell,
        // a service manager and a container: refuse it rather than bind somewhere unexpected.
        if (!rest.startsWith("/")) {
            throw invalid(addr, "socket path must be absolute (unix:///path)");
        }
        try {
            return new Address(addr, Path.of(rest), null, -1);
        } catch (InvalidPathException e) {
            throw invalid(addr, "invalid socket path");
        }
    }

    private static Address parseTcp(String addr, String rest) throws ConfigException {
        // DOCKER_HOST values are sometimes written with a trailing slash; any other path is refused.
        String hostPort = rest.endsWith("/") ? rest.substring(0, rest.length() - 1) : rest;
        String host;
        String portText;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0 || close + 1 >= hostPort.length() || hostPort.charAt(close + 1) != ':') {
                throw invalid(addr, "expected tcp://[ipv6]:port");
            }
            host = hostPort.substring(1, close);
            portText = hostPort.substring(close + 2);
            if (!isIpv6(host)) {
                throw invalid(addr, "invalid IPv6 address");
            }
        } else {
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) {
                throw invalid(addr, "missing port (tcp://host:port)");
            }
            host = hostPort.substring(0, colon);
            portText = hostPort.substring(colon + 1);
            if (!isHostName(host)) {
                throw invalid(addr, "invalid host (IPv6 addresses go in brackets)");
            }
        }
        return new Address(addr, null, host, parsePort(addr, portText));
    }

    private static int parsePort(String addr, String text) throws ConfigException {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(addr, "port must be a number from 0 to 65535");
        }
        int port = Integer.parseInt(text);
        if (port > 65535) {
            throw invalid(addr, "port must be a number from 0 to 65535");
        }
        return port;
    }

    /** Empty (all interfaces), a DNS name or an IPv4 address; no userinfo, path or escapes. */
    private static boolean isHostName(String host) {
        return host.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '.' || c == '-' || c == '_');
    }

    /** Hex groups, colons, an optional embedded IPv4 and an optional %zone; the resolver checks the rest. */
    private static boolean isIpv6(String host) {
        int percent = host.indexOf('%');
        String address = percent < 0 ? host : host.substring(0, percent);
        String zone = percent < 0 ? null : host.substring(percent + 1);
        boolean addressOk = address.contains(":") && address.chars().allMatch(c -> c >= '0' && c <= '9'
                || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.');
        boolean zoneOk = zone == null || !zone.isEmpty() && zone.chars().allMatch(c -> c >= 'a' && c <= 'z'
                || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_');
        return addressOk && zoneOk;
    }

    private static ConfigException invalid(String addr, String reason) {
        return new ConfigException("invalid address " + Escape.forMessage(addr) + ": " + reason);
    }

    public boolean isUnix() {
        return path != null;
    }

    /** The socket path; only for unix addresses. */
    public Path path() {
        if (path == null) {
            throw new IllegalStateException("not a unix address: " + original);
        }
        return path;
    }

    /** Host name or IP literal (IPv6 without brackets); "" means all interfaces. Only for tcp. */
    public String host() {
        if (host == null) {
            throw new IllegalStateException("not a tcp address: " + original);
        }
        return host;
    }

    /** 0..65535; only for tcp. */
    public int port() {
        if (host == null) {
            throw new IllegalStateException("not a tcp address: " + original);
        }
        return port;
    }

    /** The address as written. */
    @Override
    public String toString() {
        return original;
    }
}
