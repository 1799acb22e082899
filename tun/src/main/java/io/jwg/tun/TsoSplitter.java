package io.jwg.tun;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Undoes the TUN's transmit offloads in software, as the kernel's {@code tcp_gso_segment} would
 * have: completes a partial transport checksum ({@link VirtioNetHdr#F_NEEDS_CSUM}), and cuts a
 * TCPv4/TCPv6 super-packet ({@link VirtioNetHdr#GSO_TCPV4}, {@link VirtioNetHdr#GSO_TCPV6},
 * optionally with {@link VirtioNetHdr#GSO_ECN}) into segments of {@code gso_size} payload bytes.
 * Each segment gets a copy of the IP and TCP headers with its own IPv4 total length, IPv4 id
 * (+1 per segment) and header checksum or IPv6 payload length, its own sequence number, FIN and
 * PSH only on the last segment, CWR only on the first, and a full TCP checksum.
 *
 * <p>No I/O and no allocation: {@link #begin} checks a super-packet and remembers its geometry,
 * then {@link #segment} writes segment {@code i} into a buffer the caller supplies. Malformed
 * input (packet data is never trusted) gives {@link #MALFORMED} or false, never an exception.
 * Not supported, hence malformed: IPv6 extension headers, IPv4 fragments, UDP GSO types.
 * One instance per thread; all buffers in big-endian order (the {@link ByteBuffer} default).
 */
public final class TsoSplitter {
    /** Result of {@link #begin} for a packet that cannot be split. */
    public static final int MALFORMED = -1;

    static final int IPPROTO_TCP = 6;
    static final int IPV4_MIN_HEADER = 20;
    static final int IPV6_HEADER = 40;
    static final int TCP_MIN_HEADER = 20;
    static final int TCP_MAX_HEADER = 60;
    static final int TCP_SEQ_OFFSET = 4;
    static final int TCP_DATA_OFFSET_OFFSET = 12;
    static final int TCP_FLAGS_OFFSET = 13;
    static final int TCP_CHECKSUM_OFFSET = 16;
    static final int TCP_FIN = 0x01;
    static final int TCP_PSH = 0x08;
    static final int TCP_CWR = 0x80;

    private ByteBuffer packet;
    private int start;
    private int length;
    private int ipHeader;
    private int headers;
    private int gsoSize;
    private int segments;
    private boolean v6;
    private int firstSeq;
    private int firstId;
    /** Unfolded pseudo-header sum without the length: addresses and protocol. */
    private long pseudoSum;

    /**
     * Completes the partial checksum of the non-GSO packet between {@code packet}'s position and
     * limit in place, when {@code hdr} says it needs one: sums the bytes from {@code csum_start}
     * onto the pseudo-header sum the kernel left at {@code csum_start + csum_offset}. True when
     * done or nothing was to do; false when the offsets lie outside the packet.
     */
    public static boolean completeChecksum(ByteBuffer packet, VirtioNetHdr hdr) {
        if (!hdr.needsChecksum()) {
            return true;
        }
        requireBigEndian(packet);
        int start = packet.position();
        int length = packet.remaining();
        int field = hdr.csumStart + hdr.csumOffset;
        if (hdr.csumStart >= length || field > length - 2) {
            return false;
        }
        int at = start + field;
        long initial = packet.getShort(at) & 0xffff;
        packet.putShort(at, (short) 0);
        long sum = InetChecksum.add(initial, packet, start + hdr.csumStart, length - hdr.csumStart);
        packet.putShort(at, (short) InetChecksum.finish(sum));
        return true;
    }

    /**
     * Checks the super-packet between {@code packet}'s position and limit against {@code hdr}
     * and prepares to split it; returns the number of segments (at least 1) or
     * {@link #MALFORMED}. The packet must stay unchanged until the last {@link #segment}.
     * The TCP header length comes from the packet, not from {@code hdr_len}, which the kernel
     * may set to a whole segment's length on forwarded packets; {@code hdr_len} only has to lie
     * within the packet.
     */
    public int begin(ByteBuffer packet, VirtioNetHdr hdr) {
        requireBigEndian(packet);
        this.packet = null;
        segments = 0;
        int start = packet.position();
        int length = packet.remaining();
        int type = hdr.gsoType & ~VirtioNetHdr.GSO_ECN;
        if ((type != VirtioNetHdr.GSO_TCPV4 && type != VirtioNetHdr.GSO_TCPV6) || hdr.gsoSize == 0
                || hdr.hdrLen > length || length < IPV4_MIN_HEADER) {
            return MALFORMED;
        }
        int version = (packet.get(start) & 0xff) >>> 4;
        int ipHeader;
        if (type == VirtioNetHdr.GSO_TCPV4) {
            ipHeader = (packet.get(start) & 0x0f) * 4;
            int fragment = packet.getShort(start + 6) & 0x3fff; // MF and the offset; DF may be set
            if (version != 4 || ipHeader < IPV4_MIN_HEADER || packet.get(start + 9) != IPPROTO_TCP || fragment != 0) {
                return MALFORMED;
            }
        } else {
            ipHeader = IPV6_HEADER;
            // Next header must be TCP itself: extension headers are not supported.
            if (version != 6 || length < IPV6_HEADER || packet.get(start + 6) != IPPROTO_TCP) {
                return MALFORMED;
            }
        }
        if (hdr.csumStart != ipHeader || hdr.csumOffset != TCP_CHECKSUM_OFFSET
                || length < ipHeader + TCP_MIN_HEADER) {
            return MALFORMED;
        }
        int tcpHeader = ((packet.get(start + ipHeader + TCP_DATA_OFFSET_OFFSET) & 0xff) >>> 4) * 4;
        int headers = ipHeader + tcpHeader;
        if (tcpHeader < TCP_MIN_HEADER || headers >= length) {
            return MALFORMED; // tcpHeader <= 60 by construction; no payload is no super-packet
        }
        this.packet = packet;
        this.start = start;
        this.length = length;
        this.ipHeader = ipHeader;
        this.headers = headers;
        this.gsoSize = hdr.gsoSize;
        this.v6 = type == VirtioNetHdr.GSO_TCPV6;
        this.segments = (length - headers + gsoSize - 1) / gsoSize;
        this.firstSeq = packet.getInt(start + ipHeader + TCP_SEQ_OFFSET);
        this.firstId = v6 ? 0 : packet.getShort(start + 4) & 0xffff;
        this.pseudoSum = InetChecksum.tcpPseudoHeader(packet, start, v6);
        return segments;
    }

    /** Segments of the packet given to the last successful {@link #begin}; 0 if none. */
    public int segments() {
        return segments;
    }

    /** The length in bytes of segment {@code i} (headers and payload). */
    public int segmentLength(int i) {
        checkIndex(i);
        return headers + Math.min(gsoSize, length - headers - i * gsoSize);
    }

    /**
     * Writes segment {@code i} at {@code out}'s position and advances it; returns the segment's
     * length, or {@link #MALFORMED} (nothing written) when {@code out} has no room for it.
     */
    public int segment(int i, ByteBuffer out) {
        checkIndex(i);
        requireBigEndian(out);
        int payloadAt = headers + i * gsoSize;
        int payload = Math.min(gsoSize, length - payloadAt);
        int size = headers + payload;
        if (out.remaining() < size) {
            return MALFORMED;
        }
        int o = out.position();
        out.put(o, packet, start, headers);
        out.put(o + headers, packet, start + payloadAt, payload);
        if (v6) {
            out.putShort(o + 4, (short) (size - IPV6_HEADER));
        } else {
            out.putShort(o + 2, (short) size);
            out.putShort(o + 4, (short) (firstId + i)); // the kernel's id per segment
            out.putShort(o + 10, (short) 0);
            out.putShort(o + 10, (short) InetChecksum.finish(InetChecksum.add(0, out, o, ipHeader)));
        }
        int tcp = o + ipHeader;
        out.putInt(tcp + TCP_SEQ_OFFSET, firstSeq + i * gsoSize);
        int flags = out.get(tcp + TCP_FLAGS_OFFSET) & 0xff;
        if (i != segments - 1) {
            flags &= ~(TCP_FIN | TCP_PSH);
        }
        if (i != 0) {
            flags &= ~TCP_CWR;
        }
        out.put(tcp + TCP_FLAGS_OFFSET, (byte) flags);
        int tcpLength = size - ipHeader;
        out.putShort(tcp + TCP_CHECKSUM_OFFSET, (short) 0);
        long sum = InetChecksum.add(pseudoSum + tcpLength, out, tcp, tcpLength);
        out.putShort(tcp + TCP_CHECKSUM_OFFSET, (short) InetChecksum.finish(sum));
        out.position(o + size);
        return size;
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= segments) {
            throw new IndexOutOfBoundsException("segment " + i + " of " + segments);
        }
    }

    private static void requireBigEndian(ByteBuffer b) {
        if (b.order() != ByteOrder.BIG_ENDIAN) {
            throw new IllegalArgumentException("packet buffers must be big-endian");
        }
    }
}
