package io.jwg.uapi;

import io.jwg.core.routing.IpPrefix;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;

/**
 * The value syntaxes wireguard-go 0.0.20220316 (built with Go 1.19) accepts in {@code set=1}, and
 * the way it prints addresses in {@code get=1}. Java's own parsers differ in the corners, so these
 * follow Go's {@code encoding/hex}, {@code strconv} and {@code net/netip} rule by rule:
 * <ul>
 *   <li>keys: exactly 64 hex digits, either case;
 *   <li>unsigned numbers ({@code ParseUint(s, 10, n)}): decimal digits only, leading zeros allowed,
 *       no sign;
 *   <li>prefix lengths ({@code Atoi}): an optional sign, leading zeros allowed ({@code /08},
 *       {@code /+8} and {@code /-0} are all accepted);
 *   <li>IPv4: four decimal fields, no leading zeros; IPv6: RFC 4291 text, hex fields of any
 *       length up to the value 0xffff, an optional trailing dotted quad;
 *   <li>IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}) stays IPv6: a prefix of its own, printed back
 *       in the mapped form, and an endpoint that needs brackets;
 *   <li>endpoints: {@code a.b.c.d:port} or {@code [v6%zone]:port}; the zone is an interface name
 *       or number, kept as the scope but not printed.
 * </ul>
 */
final class GoText {
    private GoText() {
    }

    /** A 32-byte key from 64 hex digits ({@code hex.DecodeString} then a length check). */
    static byte[] parseKey(String text) throws UapiException {
        if (text.length() % 2 != 0) {
            throw new UapiException(UapiException.EINVAL, "encoding/hex: odd length hex string");
        }
        byte[] bytes = new byte[text.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            int hi = Character.digit(hexChar(text.charAt(2 * i)), 16);
            int lo = Character.digit(hexChar(text.charAt(2 * i + 1)), 16);
            if (hi < 0 || lo < 0) {
                throw new UapiException(UapiException.EINVAL, "encoding/hex: invalid byte in \"" + text + "\"");
            }
            bytes[i] = (byte) (hi << 4 | lo);
        }
        if (bytes.length != 32) {
            throw new UapiException(UapiException.EINVAL, "hex string does not fit the slice");
        }
        return bytes;
    }

    /** Only ASCII hex digits count (Character.digit also knows fullwidth digits). */
    private static char hexChar(char c) {
        return c < 128 ? c : 'x';
    }

    /** {@code strconv.ParseUint(text, 10, bits)}. */
    static long parseUint(String text, int bits) throws UapiException {
        if (text.isEmpty()) {
            throw new UapiException(UapiException.EINVAL, "strconv.ParseUint: parsing \"\": invalid syntax");
        }
        long max = bits == 64 ? -1L : (1L << bits) - 1;
        long value = 0;
        boolean overflow = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new UapiException(UapiException.EINVAL, "strconv.ParseUint: parsing \"" + text + "\": invalid syntax");
            }
            if (value > (max - (c - '0')) / 10) {
                overflow = true; // keep scanning: a later bad character is a syntax error first
            } else {
                value = value * 10 + (c - '0');
            }
        }
        if (overflow) {
            throw new UapiException(UapiException.EINVAL, "strconv.ParseUint: parsing \"" + text + "\": value out of range");
        }
        return value;
    }

    /** {@code netip.ParsePrefix}: {@code addr/bits}, no zone; host bits are cleared on insert. */
    static IpPrefix parsePrefix(String text) throws UapiException {
        int slash = text.lastIndexOf('/');
        if (slash < 0) {
            throw new UapiException(UapiException.EINVAL, "netip.ParsePrefix(\"" + text + "\"): no '/'");
        }
        Addr addr = parseAddr(text.substring(0, slash));
        if (addr.zone != null) {
            throw new UapiException(UapiException.EINVAL, "netip.ParsePrefix(\"" + text + "\"): IPv6 zones cannot be present in a prefix");
        }
        String bitsText = text.substring(slash + 1);
        int max = addr.bytes.length == 4 ? 32 : 128;
        int bits = parseAtoi(bitsText, text);
        if (bits < 0 || bits > max) {
            throw new UapiException(UapiException.EINVAL, "netip.ParsePrefix(\"" + text + "\"): prefix length out of range");
        }
        return new IpPrefix(toInetAddress(addr.bytes, -1), bits);
    }

    /** {@code strconv.Atoi} limited to what a prefix length can be: sign, then decimal digits. */
    private static int parseAtoi(String s, String whole) throws UapiException {
        int i = 0;
        boolean negative = false;
        if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
            negative = s.charAt(0) == '-';
            i = 1;
        }
        if (i == s.length()) {
            throw new UapiException(UapiException.EINVAL, "netip.ParsePrefix(\"" + whole + "\"): bad bits after slash");
        }
        long value = 0;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new UapiException(UapiException.EINVAL, "netip.ParsePrefix(\"" + whole + "\"): bad bits after slash");
            }
            value = Math.min(value * 10 + (c - '0'), 1_000_000); // anything this big is out of range
        }
        return (int) (negative ? -value : value);
    }

    /**
     * {@code netip.ParseAddrPort} plus wireguard-go's zone lookup: {@code a.b.c.d:port} or
     * {@code [ipv6]:port}; an IPv6 zone must name an interface or be a number.
     */
    static InetSocketAddress parseEndpoint(String text) throws UapiException {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw invalid("not an ip:port");
        }
        String host = text.substring(0, colon);
        String port = text.substring(colon + 1);
        if (host.isEmpty()) {
            throw invalid("no IP");
        }
        if (port.isEmpty()) {
            throw invalid("no port");
        }
        boolean bracketed = false;
        if (host.charAt(0) == '[') {
            if (host.length() < 2 || host.charAt(host.length() - 1) != ']') {
                throw invalid("missing ]");
            }
            host = host.substring(1, host.length() - 1);
            bracketed = true;
        }
        long portNumber;
        try {
            portNumber = parseUint(port, 16);
        } catch (UapiException e) {
            throw invalid("invalid port \"" + port + "\" parsing \"" + text + "\"");
        }
        Addr addr = parseAddr(host);
        if (bracketed && addr.bytes.length == 4) {
            throw invalid("invalid ip:port \"" + text + "\", square brackets can only be used with IPv6 addresses");
        }
        if (!bracketed && addr.bytes.length == 16) {
            throw invalid("invalid ip:port \"" + text + "\", IPv6 addresses must be surrounded by square brackets");
        }
        int scope = -1;
        if (addr.zone != null) {
            scope = zoneIndex(addr.zone);
        }
        return new InetSocketAddress(toInetAddress(addr.bytes, scope), (int) portNumber);
    }

    /** wireguard-go {@code zoneToUint32}: an interface name, else a decimal number. */
    private static int zoneIndex(String zone) throws UapiException {
        try {
            NetworkInterface nif = NetworkInterface.getByName(zone);
            if (nif != null) {
                return nif.getIndex();
            }
        } catch (SocketException e) {
            // fall through to the numeric form, as Go does when the lookup fails
        }
        return (int) parseUint(zone, 32);
    }

    /** How wireguard-go prints an endpoint: {@code a.b.c.d:port} or {@code [v6]:port}, no zone. */
    static String formatEndpoint(InetSocketAddress endpoint) {
        InetAddress address = endpoint.getAddress();
        if (address == null) {
            return endpoint.getHostString() + ":" + endpoint.getPort(); // unresolved: never set by us
        }
        String text = formatAddress(address);
        return address instanceof Inet6Address
                ? "[" + text + "]:" + endpoint.getPort()
                : text + ":" + endpoint.getPort();
    }

    /** Go netip text of an address (mapped IPv6 as {@code ::ffff:a.b.c.d}, no zone). */
    static String formatAddress(InetAddress address) {
        String prefix = new IpPrefix(address, address instanceof Inet4Address ? 32 : 128).toString();
        return prefix.substring(0, prefix.lastIndexOf('/'));
    }

    private static UapiException invalid(String why) {
        return new UapiException(UapiException.EINVAL, why);
    }

    /** Address bytes (4 or 16) and an IPv6 zone or null. */
    record Addr(byte[] bytes, String zone) {
    }

    /** {@code netip.ParseAddr}: the first '.' or ':' decides the family. */
    static Addr parseAddr(String s) throws UapiException {
        for (int i = 0; i < s.length(); i++) {
            switch (s.charAt(i)) {
                case '.':
                    return new Addr(parseIpv4(s, s), null);
                case ':':
                    return parseIpv6(s);
                case '%':
                    throw addrError(s, "missing IPv6 address");
                default:
                    break;
            }
        }
        throw addrError(s, "unable to parse IP");
    }

    private static byte[] parseIpv4(String s, String whole) throws UapiException {
        byte[] fields = new byte[4];
        int value = 0;
        int pos = 0;
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digits == 1 && value == 0) {
                    throw addrError(whole, "IPv4 field has octet with leading zero");
                }
                value = value * 10 + (c - '0');
                digits++;
                if (value > 255) {
                    throw addrError(whole, "IPv4 field has value >255");
                }
            } else if (c == '.') {
                if (i == 0 || i == s.length() - 1 || s.charAt(i - 1) == '.') {
                    throw addrError(whole, "IPv4 field must have at least one digit");
                }
                if (pos == 3) {
                    throw addrError(whole, "IPv4 address too long");
                }
                fields[pos++] = (byte) value;
                value = 0;
                digits = 0;
            } else {
                throw addrError(whole, "unexpected character");
            }
        }
        if (pos < 3) {
            throw addrError(whole, "IPv4 address too short");
        }
        fields[3] = (byte) value;
        return fields;
    }

    private static Addr parseIpv6(String in) throws UapiException {
        String s = in;
        String zone = null;
        int percent = s.indexOf('%');
        if (percent >= 0) {
            zone = s.substring(percent + 1);
            s = s.substring(0, percent);
            if (zone.isEmpty()) {
                throw addrError(in, "zone must be a non-empty string");
            }
        }
        byte[] ip = new byte[16];
        int ellipsis = -1;
        if (s.length() >= 2 && s.charAt(0) == ':' && s.charAt(1) == ':') {
            ellipsis = 0;
            s = s.substring(2);
            if (s.isEmpty()) {
                return new Addr(ip, zone);
            }
        }
        int i = 0;
        while (i < 16) {
            int off = 0;
            int acc = 0;
            for (; off < s.length(); off++) {
                int d = Character.digit(hexChar(s.charAt(off)), 16);
                if (d < 0) {
                    break;
                }
                acc = (acc << 4) + d;
                if (acc > 0xFFFF) {
                    throw addrError(in, "IPv6 field has value >=2^16");
                }
            }
            if (off == 0) {
                throw addrError(in, "each colon-separated field must have at least one digit");
            }
            if (off < s.length() && s.charAt(off) == '.') {
                if (ellipsis < 0 && i != 12) {
                    throw addrError(in, "embedded IPv4 address must replace the final 2 fields of the address");
                }
                if (i + 4 > 16) {
                    throw addrError(in, "too many hex fields to fit an embedded IPv4 at the end of the address");
                }
                byte[] v4 = parseIpv4(s, in);
                System.arraycopy(v4, 0, ip, i, 4);
                s = "";
                i += 4;
                break;
            }
            ip[i] = (byte) (acc >>> 8);
            ip[i + 1] = (byte) acc;
            i += 2;
            s = s.substring(off);
            if (s.isEmpty()) {
                break;
            }
            if (s.charAt(0) != ':') {
                throw addrError(in, "unexpected character, want colon");
            }
            if (s.length() == 1) {
                throw addrError(in, "colon must be followed by more characters");
            }
            s = s.substring(1);
            if (s.charAt(0) == ':') {
                if (ellipsis >= 0) {
                    throw addrError(in, "multiple :: in address");
                }
                ellipsis = i;
                s = s.substring(1);
                if (s.isEmpty()) {
                    break;
                }
            }
        }
        if (!s.isEmpty()) {
            throw addrError(in, "trailing garbage after address");
        }
        if (i < 16) {
            if (ellipsis < 0) {
                throw addrError(in, "address string too short");
            }
            int n = 16 - i;
            for (int j = i - 1; j >= ellipsis; j--) {
                ip[j + n] = ip[j];
            }
            for (int j = ellipsis + n - 1; j >= ellipsis; j--) {
                ip[j] = 0;
            }
        } else if (ellipsis >= 0) {
            throw addrError(in, "the :: must expand to at least one field of zeros");
        }
        return new Addr(ip, zone);
    }

    private static UapiException addrError(String s, String why) {
        return new UapiException(UapiException.EINVAL, "ParseAddr(\"" + s + "\"): " + why);
    }

    /** 16 bytes stay IPv6 even when IPv4-mapped (InetAddress.getByAddress would unmap them). */
    private static InetAddress toInetAddress(byte[] bytes, int scope) {
        try {
            return bytes.length == 4 ? InetAddress.getByAddress(bytes) : Inet6Address.getByAddress(null, bytes, scope);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }
}
