package io.jwg.core.routing;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An IPv4 or IPv6 CIDR prefix, always canonical: host bits are zero and IPv6 addresses carry no
 * scope. {@link #toString()} prints what {@code wg} and wireguard-go print (Go's {@code netip}
 * formatting): {@code 10.0.0.0/24}, {@code fd00::/64}.
 *
 * <p>IPv4-mapped IPv6 text ({@code ::ffff:a.b.c.d}) is handled as Java handles it, as IPv4: a
 * bare mapped address is a /32 and an explicit length must lie in 96..128 and loses 96 bits.
 * (Go keeps such a prefix as IPv6, so {@code wg} would print it back in the mapped form; an
 * {@code IpPrefix} built directly from a mapped {@link Inet6Address} keeps that form too.)
 *
 * @param address the network address, host bits cleared
 * @param bits    the prefix length, 0..32 for IPv4 and 0..128 for IPv6
 */
public record IpPrefix(InetAddress address, int bits) {

    /** Canonicalises: clears host bits and drops any IPv6 scope. */
    public IpPrefix {
        Objects.requireNonNull(address, "address");
        int max = address instanceof Inet4Address ? 32 : 128;
        if (bits < 0 || bits > max) {
            throw new IllegalArgumentException("prefix length " + bits + " out of range 0.." + max);
        }
        byte[] bytes = address.getAddress();
        for (int i = 0; i < bytes.length; i++) {
            int keep = bits - i * 8;
            if (keep <= 0) {
                bytes[i] = 0;
            } else if (keep < 8) {
                bytes[i] &= (byte) (0xFF << (8 - keep));
            }
        }
        try {
            // Inet6Address.getByAddress (unlike InetAddress.getByAddress) keeps the family as given.
            address = bytes.length == 4 ? InetAddress.getByAddress(bytes) : Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
    }

    /**
     * Parses {@code address[/bits]} as accepted by {@code wg set ... allowed-ips}. A bare address is
     * a host prefix (/32 or /128). Host bits are cleared, so {@code 10.0.0.1/24} is
     * {@code 10.0.0.0/24}. No name resolution happens.
     *
     * @throws IllegalArgumentException on anything else, with the reason in the message
     */
    public static IpPrefix parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        InetAddress address;
        boolean ipv6Text = addressText.indexOf(':') >= 0;
        if (ipv6Text) {
            if (addressText.indexOf('%') >= 0 || addressText.indexOf('[') >= 0) {
                throw invalid(text, "zones and brackets are not allowed");
            }
            try {
                address = Inet6Address.ofLiteral(addressText);
            } catch (IllegalArgumentException e) {
                throw invalid(text, "not an IPv6 address");
            }
        } else {
            address = parseIpv4(text, addressText);
        }
        boolean mapped = ipv6Text && address instanceof Inet4Address;
        int max = address instanceof Inet4Address && !mapped ? 32 : 128;
        int bits = slash < 0 ? max : parseBits(text, text.substring(slash + 1), max);
        if (mapped) {
            if (bits < 96) {
                throw invalid(text, "an IPv4-mapped address is IPv4 here and needs a length of 96..128");
            }
            bits -= 96;
        }
        return new IpPrefix(address, bits);
    }

    /** Whether this is an IPv6 prefix. */
    public boolean isIpv6() {
        return address instanceof Inet6Address;
    }

    /** The prefix as {@code wg} prints it, e.g. {@code 10.0.0.0/24} or {@code fd00::/64}. */
    @Override
    public String toString() {
        return format(address.getAddress()) + "/" + bits;
    }

    /** Upper 64 key bits as the trie stores them: IPv4 sits in the top 32 bits. */
    long high64() {
        byte[] b = address.getAddress();
        return b.length == 4 ? read(b, 0, 4) << 32 : read(b, 0, 8);
    }

    /** Lower 64 key bits; always 0 for IPv4. */
    long low64() {
        byte[] b = address.getAddress();
        return b.length == 4 ? 0L : read(b, 8, 8);
    }

    /** Rebuilds a prefix from trie key bits. */
    static IpPrefix fromBits(long high64, long low64, int bits, boolean ipv6) {
        byte[] b = new byte[ipv6 ? 16 : 4];
        if (ipv6) {
            write(b, 0, high64, 8);
            write(b, 8, low64, 8);
        } else {
            write(b, 0, high64 >>> 32, 4);
        }
        try {
            return new IpPrefix(ipv6 ? Inet6Address.getByAddress(null, b, -1) : InetAddress.getByAddress(b), bits);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
    }

    private static InetAddress parseIpv4(String text, String s) {
        byte[] bytes = new byte[4];
        int field = 0;
        int start = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i < s.length() && s.charAt(i) != '.') {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    throw invalid(text, "unexpected character '" + c + "'");
                }
                continue;
            }
            int len = i - start;
            if (field == 4 || len == 0 || len > 3) {
                throw invalid(text, "not an IPv4 address");
            }
            if (len > 1 && s.charAt(start) == '0') {
                throw invalid(text, "IPv4 field has a leading zero");
            }
            int value = Integer.parseInt(s, start, i, 10);
            if (value > 255) {
                throw invalid(text, "IPv4 field " + value + " above 255");
            }
            bytes[field++] = (byte) value;
            start = i + 1;
        }
        if (field != 4) {
            throw invalid(text, "not an IPv4 address");
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static int parseBits(String text, String s, int max) {
        if (s.isEmpty() || s.length() > 3 || (s.length() > 1 && s.charAt(0) == '0')) {
            throw invalid(text, "bad prefix length \"" + s + "\"");
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                throw invalid(text, "bad prefix length \"" + s + "\"");
            }
        }
        int bits = Integer.parseInt(s);
        if (bits > max) {
            throw invalid(text, "prefix length " + bits + " above " + max);
        }
        return bits;
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("invalid IP prefix \"" + text + "\": " + why);
    }

    /** Go netip formatting: dotted quad, or RFC 5952 compressed lowercase IPv6. */
    static String format(byte[] b) {
        StringBuilder sb = new StringBuilder(40);
        if (b.length == 4) {
            return sb.append(b[0] & 0xFF).append('.').append(b[1] & 0xFF).append('.')
                    .append(b[2] & 0xFF).append('.').append(b[3] & 0xFF).toString();
        }
        if (read(b, 0, 8) == 0 && read(b, 8, 2) == 0 && read(b, 10, 2) == 0xFFFF) {
            return sb.append("::ffff:").append(format(new byte[] {b[12], b[13], b[14], b[15]})).toString();
        }
        // The longest run of two or more zero groups becomes "::"; the leftmost wins a tie.
        int zeroStart = -1;
        int zeroEnd = -1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && read(b, 2 * j, 2) == 0) {
                j++;
            }
            if (j - i >= 2 && j - i > zeroEnd - zeroStart) {
                zeroStart = i;
                zeroEnd = j;
            }
        }
        for (int i = 0; i < 8; i++) {
            if (i == zeroStart) {
                sb.append("::");
                i = zeroEnd - 1;
                continue;
            }
            if (i > 0 && i != zeroEnd) {
                sb.append(':');
            }
            sb.append(Long.toHexString(read(b, 2 * i, 2)));
        }
        return sb.toString();
    }

    private static long read(byte[] b, int offset, int length) {
        long v = 0;
        for (int i = 0; i < length; i++) {
            v = (v << 8) | (b[offset + i] & 0xFF);
        }
        return v;
    }

    private static void write(byte[] b, int offset, long value, int length) {
        for (int i = length - 1; i >= 0; i--) {
            b[offset + i] = (byte) value;
            value >>>= 8;
        }
    }
}
