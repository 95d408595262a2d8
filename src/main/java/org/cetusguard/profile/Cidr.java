package org.cetusguard.profile;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.cetusguard.json.JsonWriter;

/**
 * An IPv4 or IPv6 network written as {@code address/prefix} (or a single address). Parsing never
 * touches DNS: the text must be an address literal. IPv4 clients that reach a dual-stack socket
 * show up as IPv4-mapped IPv6 addresses (::ffff:10.1.2.3); they are matched as IPv4.
 */
final class Cidr {
    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /** @throws IllegalArgumentException naming the problem */
    static Cidr parse(String text) {
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        byte[] address = addressText.indexOf(':') >= 0 ? parseIpv6(addressText) : parseIpv4(addressText);
        if (address == null) {
            throw new IllegalArgumentException("not an IP address: " + JsonWriter.quote(addressText));
        }
        int bits = address.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String prefixText = text.substring(slash + 1);
            if (!prefixText.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(prefixText) > bits) {
                throw new IllegalArgumentException("invalid prefix length " + JsonWriter.quote(prefixText) + " (0.." + bits + ")");
            }
            prefix = Integer.parseInt(prefixText);
        }
        // Host bits set ("10.1.2.3/24") is almost always a typo for a network or an address:
        // refuse it rather than silently widen or narrow what matches.
        for (int bit = prefix; bit < bits; bit++) {
            if ((address[bit / 8] & (0x80 >> (bit % 8))) != 0) {
                throw new IllegalArgumentException(JsonWriter.quote(text) + " has host bits set; write the network address");
            }
        }
        return new Cidr(address, prefix, text);
    }

    boolean contains(InetAddress remote) {
        if (remote == null) {
            return false;
        }
        byte[] address = unmapped(remote.getAddress());
        if (address.length != network.length) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >> (bit % 8);
            if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return text;
    }

    /** ::ffff:a.b.c.d becomes a.b.c.d. */
    private static byte[] unmapped(byte[] address) {
        if (address.length != 16) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return address;
            }
        }
        if (address[10] != (byte) 0xff || address[11] != (byte) 0xff) {
            return address;
        }
        return new byte[] {address[12], address[13], address[14], address[15]};
    }

    /** Four decimal parts 0..255, no leading zeros (which some parsers read as octal). */
    private static byte[] parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!parts[i].matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(parts[i]) > 255) {
                return null;
            }
            out[i] = (byte) Integer.parseInt(parts[i]);
        }
        return out;
    }

    /**
     * IPv6 literal, without a zone. Only hex digits, ':' and '.' are let through to
     * InetAddress, and such text starting with a hex digit or ':' is always parsed as a literal
     * by the JDK, never looked up.
     */
    private static byte[] parseIpv6(String text) {
        if (text.isEmpty() || !text.matches("[0-9a-fA-F:.]+")) {
            return null;
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
        // The JDK turns ::ffff:a.b.c.d into an IPv4 address. Clients are matched as IPv4 after
        // unmapping, so a mapped network would never match: ask for the IPv4 spelling instead.
        if (!(address instanceof Inet6Address)) {
            throw new IllegalArgumentException("write IPv4-mapped addresses as IPv4 (a.b.c.d/n): " + JsonWriter.quote(text));
        }
        return address.getAddress();
    }
}
