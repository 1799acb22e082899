package io.jwg.tests.support;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * ICMP echo (ping) packets as a kernel sends and checks them: a full IPv4 header with its header
 * checksum and ICMP with its checksum, or an IPv6 header with ICMPv6 and its pseudo-header
 * checksum. Interop tests build packets here for the jwg side of a tunnel, so a Linux kernel at
 * the far end accepts them, and {@link #parse} checks what comes back just as strictly.
 */
public final class Icmp {
    private static final int IPV4_HEADER = 20;
    private static final int IPV6_HEADER = 40;
    private static final int ECHO_HEADER = 8;
    private static final int PROTOCOL_ICMP = 1;
    private static final int NEXT_HEADER_ICMPV6 = 58;
    private static final int V4_ECHO_REPLY = 0;
    private static final int V4_ECHO_REQUEST = 8;
    private static final int V6_ECHO_REQUEST = 128;
    private static final int V6_ECHO_REPLY = 129;
    private static final int TTL = 64;

    private Icmp() {
    }

    /**
     * One parsed, checksum-verified echo message.
     *
     * @param request     true for an echo request, false for a reply
     * @param source      the IP source address
     * @param destination the IP destination address
     * @param id          the echo identifier
     * @param sequence    the echo sequence number
     * @param payload     the echo data
     */
    public record Echo(boolean request, InetAddress source, InetAddress destination, int id, int sequence,
            byte[] payload) {

        /** Whether this travelled over IPv6 (ICMPv6). */
        public boolean ipv6() {
            return source instanceof Inet6Address;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Echo that && request == that.request && source.equals(that.source)
                    && destination.equals(that.destination) && id == that.id && sequence == that.sequence
                    && Arrays.equals(payload, that.payload);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(payload) * 31 + id * 17 + sequence;
        }

        @Override
        public String toString() {
            return (request ? "echo request " : "echo reply ") + source.getHostAddress() + " -> "
                    + destination.getHostAddress() + " id=" + id + " seq=" + sequence + " payload="
                    + HexFormat.of().formatHex(payload);
        }
    }

    /** An echo request from {@code source} to {@code destination} (both IPv4 or both IPv6). */
    public static byte[] echoRequest(InetAddress source, InetAddress destination, int id, int sequence,
            byte[] payload) {
        return build(new Echo(true, source, destination, id, sequence, payload.clone()));
    }

    /** The reply a host owes {@code request}: addresses swapped, same id, sequence and data. */
    public static byte[] echoReply(Echo request) {
        if (!request.request()) {
            throw new IllegalArgumentException("not an echo request: " + request);
        }
        return build(new Echo(false, request.destination(), request.source(), request.id(), request.sequence(),
                request.payload()));
    }

    /** Builds the IP packet carrying {@code echo}. */
    public static byte[] build(Echo echo) {
        if (echo.source() instanceof Inet4Address && echo.destination() instanceof Inet4Address) {
            return buildV4(echo);
        }
        if (echo.source() instanceof Inet6Address && echo.destination() instanceof Inet6Address) {
            return buildV6(echo);
        }
        throw new IllegalArgumentException("mixed or unknown address families: " + echo);
    }

    /**
     * Parses an IP packet as an echo request or reply, verifying the IP version and lengths, the
     * IPv4 header checksum and the ICMP/ICMPv6 checksum; returns null for any other packet. Extra
     * bytes after the IP length (padding) are ignored.
     *
     * @throws IllegalArgumentException when the packet claims to be ICMP echo but is malformed,
     *                                  with the reason
     */
    public static Echo parse(byte[] packet) {
        if (packet.length < 1) {
            return null;
        }
        int version = (packet[0] & 0xff) >>> 4;
        if (version == 4) {
            return parseV4(packet);
        }
        if (version == 6) {
            return parseV6(packet);
        }
        return null;
    }

    private static byte[] buildV4(Echo echo) {
        int icmpLength = ECHO_HEADER + echo.payload().length;
        int total = IPV4_HEADER + icmpLength;
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte) 0x45).put((byte) 0).putShort((short) total);
        b.putShort((short) (echo.sequence() ^ echo.id())).putShort((short) 0x4000); // identification, DF
        b.put((byte) TTL).put((byte) PROTOCOL_ICMP).putShort((short) 0);
        b.put(echo.source().getAddress()).put(echo.destination().getAddress());
        b.put((byte) (echo.request() ? V4_ECHO_REQUEST : V4_ECHO_REPLY)).put((byte) 0).putShort((short) 0);
        b.putShort((short) echo.id()).putShort((short) echo.sequence()).put(echo.payload());
        byte[] packet = b.array();
        putShort(packet, 10, checksum(0, packet, 0, IPV4_HEADER));
        putShort(packet, IPV4_HEADER + 2, checksum(0, packet, IPV4_HEADER, icmpLength));
        return packet;
    }

    private static byte[] buildV6(Echo echo) {
        int icmpLength = ECHO_HEADER + echo.payload().length;
        ByteBuffer b = ByteBuffer.allocate(IPV6_HEADER + icmpLength);
        b.putInt(0x60000000).putShort((short) icmpLength).put((byte) NEXT_HEADER_ICMPV6).put((byte) TTL);
        b.put(echo.source().getAddress()).put(echo.destination().getAddress());
        b.put((byte) (echo.request() ? V6_ECHO_REQUEST : V6_ECHO_REPLY)).put((byte) 0).putShort((short) 0);
        b.putShort((short) echo.id()).putShort((short) echo.sequence()).put(echo.payload());
        byte[] packet = b.array();
        putShort(packet, IPV6_HEADER + 2, checksum(pseudoHeaderSum(packet, icmpLength), packet, IPV6_HEADER, icmpLength));
        return packet;
    }

    private static Echo parseV4(byte[] packet) {
        if (packet.length < IPV4_HEADER) {
            throw new IllegalArgumentException("IPv4 packet shorter than its header: " + packet.length);
        }
        int headerLength = (packet[0] & 0x0f) * 4;
        int total = getShort(packet, 2);
        if (headerLength < IPV4_HEADER || total < headerLength || total > packet.length) {
            throw new IllegalArgumentException("bad IPv4 lengths: ihl=" + headerLength + " total=" + total
                    + " captured=" + packet.length);
        }
        if ((packet[9] & 0xff) != PROTOCOL_ICMP) {
            return null;
        }
        if (checksum(0, packet, 0, headerLength) != 0) {
            throw new IllegalArgumentException("bad IPv4 header checksum");
        }
        int icmpLength = total - headerLength;
        if (icmpLength < ECHO_HEADER) {
            throw new IllegalArgumentException("ICMP message too short: " + icmpLength);
        }
        if (checksum(0, packet, headerLength, icmpLength) != 0) {
            throw new IllegalArgumentException("bad ICMP checksum");
        }
        int type = packet[headerLength] & 0xff;
        if ((type != V4_ECHO_REQUEST && type != V4_ECHO_REPLY) || packet[headerLength + 1] != 0) {
            return null;
        }
        return echo(type == V4_ECHO_REQUEST, Arrays.copyOfRange(packet, 12, 16), Arrays.copyOfRange(packet, 16, 20),
                packet, headerLength, icmpLength);
    }

    private static Echo parseV6(byte[] packet) {
        if (packet.length < IPV6_HEADER) {
            throw new IllegalArgumentException("IPv6 packet shorter than its header: " + packet.length);
        }
        int icmpLength = getShort(packet, 4);
        if (IPV6_HEADER + icmpLength > packet.length) {
            throw new IllegalArgumentException("bad IPv6 payload length " + icmpLength + ", captured " + packet.length);
        }
        if ((packet[6] & 0xff) != NEXT_HEADER_ICMPV6) {
            return null; // extension headers are not expected on these tests' pings
        }
        if (icmpLength < ECHO_HEADER) {
            throw new IllegalArgumentException("ICMPv6 message too short: " + icmpLength);
        }
        if (checksum(pseudoHeaderSum(packet, icmpLength), packet, IPV6_HEADER, icmpLength) != 0) {
            throw new IllegalArgumentException("bad ICMPv6 checksum");
        }
        int type = packet[IPV6_HEADER] & 0xff;
        if ((type != V6_ECHO_REQUEST && type != V6_ECHO_REPLY) || packet[IPV6_HEADER + 1] != 0) {
            return null;
        }
        return echo(type == V6_ECHO_REQUEST, Arrays.copyOfRange(packet, 8, 24), Arrays.copyOfRange(packet, 24, 40),
                packet, IPV6_HEADER, icmpLength);
    }

    private static Echo echo(boolean request, byte[] source, byte[] destination, byte[] packet, int offset, int length) {
        try {
            return new Echo(request, InetAddress.getByAddress(source), InetAddress.getByAddress(destination),
                    getShort(packet, offset + 4), getShort(packet, offset + 6),
                    Arrays.copyOfRange(packet, offset + ECHO_HEADER, offset + length));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4- and 16-byte addresses are always valid", e);
        }
    }

    /** Sum of the IPv6 pseudo-header for ICMPv6: addresses, upper-layer length, next header. */
    private static long pseudoHeaderSum(byte[] packet, int icmpLength) {
        long sum = 0;
        for (int i = 8; i < IPV6_HEADER; i += 2) {
            sum += getShort(packet, i);
        }
        return sum + icmpLength + NEXT_HEADER_ICMPV6;
    }

    /**
     * The Internet checksum (RFC 1071) of {@code length} bytes at {@code offset}, starting from
     * {@code initial}. Over data that includes a correct checksum field the result is 0.
     */
    static int checksum(long initial, byte[] data, int offset, int length) {
        long sum = initial;
        int end = offset + length;
        int i = offset;
        for (; i + 1 < end; i += 2) {
            sum += getShort(data, i);
        }
        if (i < end) {
            sum += (data[i] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static int getShort(byte[] data, int offset) {
        return ((data[offset] & 0xff) << 8) | (data[offset + 1] & 0xff);
    }

    private static void putShort(byte[] data, int offset, int value) {
        data[offset] = (byte) (value >>> 8);
        data[offset + 1] = (byte) value;
    }
}
