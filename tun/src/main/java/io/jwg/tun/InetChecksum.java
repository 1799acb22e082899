package io.jwg.tun;

import java.nio.ByteBuffer;

/**
 * The Internet checksum (RFC 1071): the one's-complement sum of 16-bit big-endian words. Sums
 * are kept unfolded in a {@code long} so that several ranges (pseudo-header, header, payload)
 * add up before one {@link #fold}; eight bytes are read at a time. Buffers must be in
 * big-endian order, the {@link ByteBuffer} default.
 */
final class InetChecksum {
    private InetChecksum() {
    }

    /** Adds the {@code length} bytes at absolute index {@code from} of {@code b} to {@code sum}. */
    static long add(long sum, ByteBuffer b, int from, int length) {
        int i = from;
        int end = from + length;
        // Each step adds less than 2^33; 64 KB of them stay far below 2^63.
        for (; i <= end - 8; i += 8) {
            long v = b.getLong(i);
            sum += (v >>> 32) + (v & 0xffff_ffffL);
        }
        if (i <= end - 4) {
            sum += b.getInt(i) & 0xffff_ffffL;
            i += 4;
        }
        if (i <= end - 2) {
            sum += b.getShort(i) & 0xffff;
            i += 2;
        }
        if (i < end) {
            sum += (b.get(i) & 0xff) << 8; // an odd byte is the high half of a zero-padded word
        }
        return sum;
    }

    /**
     * The unfolded TCP pseudo-header sum without the length: both addresses and the protocol of
     * the IPv4 or IPv6 packet starting at absolute index {@code start}. Add the TCP length.
     */
    static long tcpPseudoHeader(ByteBuffer packet, int start, boolean v6) {
        return v6 ? add(TsoSplitter.IPPROTO_TCP, packet, start + 8, 32)
                : add(TsoSplitter.IPPROTO_TCP, packet, start + 12, 8);
    }

    /** The 16-bit one's-complement sum of an unfolded {@code sum}. */
    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The checksum field value for {@code sum}: its folded complement. */
    static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }
}
