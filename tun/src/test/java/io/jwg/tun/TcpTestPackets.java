package io.jwg.tun;

/**
 * TCP/IP packets built byte by byte and the RFC 1071 checksum computed word by word, independent
 * of {@link InetChecksum}, for the offload tests.
 */
final class TcpTestPackets {
    static final int FIN = 0x01;
    static final int PSH = 0x08;
    static final int ACK = 0x10;
    static final int CWR = 0x80;

    private TcpTestPackets() {
    }

    /**
     * An IPv4 (20-byte header) or IPv6 TCP super-packet with {@code options} bytes of TCP
     * options, {@code payload} bytes of patterned payload and the given flags, sequence number
     * and IPv4 id; checksums left as garbage, as a super-packet's are not final.
     */
    static byte[] superPacket(boolean v6, int payload, int options, int flags, int gsoSize, long seq, int id) {
        int ip = v6 ? 40 : 20;
        int tcp = 20 + options;
        byte[] p = new byte[ip + tcp + payload];
        if (v6) {
            p[0] = 0x60;
            p[1] = 0x0a;
            putU16(p, 4, tcp + payload);
            p[6] = 6;
            p[7] = 64;
            for (int i = 0; i < 16; i++) {
                p[8 + i] = (byte) (0xfd - i);
                p[24 + i] = (byte) (0x20 + i * 7);
            }
        } else {
            p[0] = 0x45;
            p[1] = 0x02;
            putU16(p, 2, p.length);
            putU16(p, 4, id);
            p[6] = 0x40; // DF
            p[8] = 64;
            p[9] = 6;
            putU16(p, 10, 0xbeef);
            p[12] = 10;
            p[13] = (byte) 200;
            p[14] = 0;
            p[15] = 1;
            p[16] = (byte) 192;
            p[17] = (byte) 168;
            p[18] = (byte) 255;
            p[19] = 9;
        }
        putU16(p, ip, 5201);
        putU16(p, ip + 2, 40_000);
        putU32(p, ip + 4, seq);
        putU32(p, ip + 8, 0xa5a5_0001L);
        p[ip + 12] = (byte) ((tcp / 4) << 4);
        p[ip + 13] = (byte) flags;
        putU16(p, ip + 14, 512);
        putU16(p, ip + 16, 0x1357);
        for (int i = 0; i < options; i++) {
            p[ip + 20 + i] = (byte) (i == options - 1 ? 0 : 1); // NOPs then EOL
        }
        for (int i = 0; i < payload; i++) {
            p[ip + tcp + i] = (byte) (i * 7 + i / 251);
        }
        return p;
    }

    static VirtioNetHdr hdr(int gsoType, int hdrLen, int gsoSize, int csumStart) {
        VirtioNetHdr hdr = new VirtioNetHdr();
        hdr.flags = VirtioNetHdr.F_NEEDS_CSUM;
        hdr.gsoType = gsoType;
        hdr.hdrLen = hdrLen;
        hdr.gsoSize = gsoSize;
        hdr.csumStart = csumStart;
        hdr.csumOffset = 16;
        return hdr;
    }

    static long pseudoSum(byte[] p, boolean v6, int tcpLength) {
        return pseudoSumWithProtocol(p, v6, 6, tcpLength);
    }

    static long pseudoSumWithProtocol(byte[] p, boolean v6, int protocol, int length) {
        return (v6 ? sum(p, 8, 32) : sum(p, 12, 8)) + protocol + length;
    }

    /** One 16-bit big-endian word at a time, the RFC 1071 way. */
    static long sum(byte[] p, int from, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            int high = p[from + i] & 0xff;
            int low = i + 1 < length ? p[from + i + 1] & 0xff : 0;
            sum += (high << 8) | low;
        }
        return sum;
    }

    static int fold(long sum) {
        while (sum > 0xffff) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) sum;
    }

    static int u16(byte[] p, int at) {
        return (p[at] & 0xff) << 8 | p[at + 1] & 0xff;
    }

    static long u32(byte[] p, int at) {
        return (long) u16(p, at) << 16 | u16(p, at + 2);
    }

    static void putU16(byte[] p, int at, int value) {
        p[at] = (byte) (value >>> 8);
        p[at + 1] = (byte) value;
    }

    static void putU32(byte[] p, int at, long value) {
        putU16(p, at, (int) (value >>> 16) & 0xffff);
        putU16(p, at + 2, (int) value & 0xffff);
    }
}
