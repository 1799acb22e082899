package io.jwg.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.jwg.tun.TcpTestPackets.*;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TsoSplitterTest {

    @Test
    void shouldSplitAnIpv4SuperPacketThatDividesEvenly() {
        checkSplit(superPacket(false, 3000, 0, FIN | PSH | CWR | ACK, 1000, 0x1234_5678, 0x0042), 1000, false);
    }

    @Test
    void shouldSplitAnIpv4SuperPacketWithAShortLastSegmentAndTcpOptions() {
        checkSplit(superPacket(false, 2500, 12, PSH | ACK, 1000, 7, 0xfffe), 1000, false);
    }

    @Test
    void shouldSplitAnIpv6SuperPacketThatDividesEvenly() {
        checkSplit(superPacket(true, 4 * 1208, 12, FIN | PSH | CWR | ACK, 1208, 0xffff_f000, 0), 1208, false);
    }

    @Test
    void shouldSplitAnIpv6SuperPacketWithAShortLastSegment() {
        checkSplit(superPacket(true, 64_000, 0, PSH | ACK, 1428, 99, 0), 1428, false);
    }

    @Test
    void shouldAcceptTheEcnGsoBitAndKeepCwrOnTheFirstSegmentOnly() {
        byte[] packet = superPacket(false, 5000, 0, CWR | ACK | PSH, 1400, 1, 1);
        checkSplit(packet, 1400, true);
    }

    @Test
    void shouldSplitIntoDirectBuffersAtTheirPositions() {
        byte[] packet = superPacket(false, 2100, 0, ACK, 1000, 5, 5);
        ByteBuffer in = ByteBuffer.allocateDirect(packet.length + 30).position(17);
        in.put(packet).flip().position(17);
        TsoSplitter splitter = new TsoSplitter();
        assertEquals(3, splitter.begin(in, hdr(VirtioNetHdr.GSO_TCPV4, 20 + 20, 1000, 20)));
        for (int i = 0; i < 3; i++) {
            ByteBuffer out = ByteBuffer.allocateDirect(2000).position(3);
            assertEquals(splitter.segmentLength(i), splitter.segment(i, out));
            byte[] bytes = new byte[out.position() - 3];
            out.get(3, bytes);
            verifySegment(packet, bytes, i, 3, 1000, false);
        }
    }

    @Test
    void shouldRejectMalformedSuperPackets() {
        byte[] v4 = superPacket(false, 3000, 0, ACK, 1000, 1, 1);
        byte[] v6 = superPacket(true, 3000, 0, ACK, 1000, 1, 1);
        TsoSplitter splitter = new TsoSplitter();
        assertEquals(3, splitter.begin(ByteBuffer.wrap(v4), hdr(VirtioNetHdr.GSO_TCPV4, 40, 1000, 20)));
        // gso_size 0
        assertEquals(TsoSplitter.MALFORMED, splitter.begin(ByteBuffer.wrap(v4), hdr(VirtioNetHdr.GSO_TCPV4, 40, 0, 20)));
        assertEquals(0, splitter.segments());
        // hdr_len beyond the packet
        assertEquals(TsoSplitter.MALFORMED,
                splitter.begin(ByteBuffer.wrap(v4), hdr(VirtioNetHdr.GSO_TCPV4, v4.length + 1, 1000, 20)));
        // not TCP
        byte[] udp = v4.clone();
        udp[9] = 17;
        assertEquals(TsoSplitter.MALFORMED, splitter.begin(ByteBuffer.wrap(udp), hdr(VirtioNetHdr.GSO_TCPV4, 40, 1000, 20)));
        // IPv6 with an extension header (hop-by-hop) before TCP
        byte[] ext = v6.clone();
        ext[6] = 0;
        assertEquals(TsoSplitter.MALFORMED, splitter.begin(ByteBuffer.wrap(ext), hdr(VirtioNetHdr.GSO_TCPV6, 60, 1000, 40)));
        // GSO type and IP version disagree
        assertEquals(TsoSplitter.MALFORMED, splitter.begin(ByteBuffer.wrap(v6), hdr(VirtioNetHdr.GSO_TCPV4, 60, 1000, 40)));
        assertEquals(TsoSplitter.MALFORMED, splitter.begin(ByteBuffer.wrap(v4), hdr(VirtioNetHdr.GSO_TCPV6, 40, 1000, 20)));
        // UDP GSO types, never asked for
        assertEquals(TsoSplitter.MALFORMED, splitter.begin(ByteBuffer.wrap(v4), hdr(VirtioNetHdr.GSO_UDP_L4, 28, 1000, 20)));
        // checksum start is not the end of the IP header
        assertEquals(TsoSplitter.MALFORMED, splitter.begin(ByteBuffer.wrap(v4), hdr(VirtioNetHdr.GSO_TCPV4, 40, 1000, 24)));
        // IPv4 fragment
        byte[] fragment = v4.clone();
        fragment[6] = 0x20;
        assertEquals(TsoSplitter.MALFORMED,
                splitter.begin(ByteBuffer.wrap(fragment), hdr(VirtioNetHdr.GSO_TCPV4, 40, 1000, 20)));
        // TCP data offset below 5 words
        byte[] shortTcp = v4.clone();
        shortTcp[20 + 12] = 0x40;
        assertEquals(TsoSplitter.MALFORMED,
                splitter.begin(ByteBuffer.wrap(shortTcp), hdr(VirtioNetHdr.GSO_TCPV4, 40, 1000, 20)));
        // headers only, no payload
        assertEquals(TsoSplitter.MALFORMED,
                splitter.begin(ByteBuffer.wrap(v4, 0, 40), hdr(VirtioNetHdr.GSO_TCPV4, 40, 1000, 20)));
    }

    @Test
    void shouldRefuseAnOutputBufferWithoutRoom() {
        byte[] v4 = superPacket(false, 3000, 0, ACK, 1000, 1, 1);
        TsoSplitter splitter = new TsoSplitter();
        assertEquals(3, splitter.begin(ByteBuffer.wrap(v4), hdr(VirtioNetHdr.GSO_TCPV4, 40, 1000, 20)));
        ByteBuffer small = ByteBuffer.allocate(1039);
        assertEquals(TsoSplitter.MALFORMED, splitter.segment(0, small));
        assertEquals(0, small.position());
    }

    @Test
    void shouldNeverThrowOnTruncatedOrRandomPackets() {
        byte[] v4 = superPacket(false, 3000, 12, ACK, 1000, 1, 1);
        byte[] v6 = superPacket(true, 3000, 12, ACK, 1000, 1, 1);
        TsoSplitter splitter = new TsoSplitter();
        ByteBuffer out = ByteBuffer.allocate(70_000);
        for (int cut = 0; cut <= v6.length; cut++) {
            for (byte[] packet : new byte[][] {v4, v6}) {
                int type = packet == v4 ? VirtioNetHdr.GSO_TCPV4 : VirtioNetHdr.GSO_TCPV6;
                int ip = packet == v4 ? 20 : 40;
                int n = splitter.begin(ByteBuffer.wrap(packet, 0, Math.min(cut, packet.length)), hdr(type, 0, 1000, ip));
                for (int i = 0; i < n; i++) {
                    out.clear();
                    assertEquals(splitter.segmentLength(i), splitter.segment(i, out));
                }
            }
        }
        Random random = new Random(7);
        VirtioNetHdr hdr = new VirtioNetHdr();
        for (int round = 0; round < 20_000; round++) {
            byte[] packet = new byte[random.nextInt(200)];
            random.nextBytes(packet);
            if (packet.length > 0) {
                packet[0] = (byte) ((random.nextBoolean() ? 0x40 : 0x60) | (packet[0] & 0x0f));
            }
            hdr.flags = random.nextInt(2);
            hdr.gsoType = random.nextInt(256);
            hdr.hdrLen = random.nextInt(256);
            hdr.gsoSize = random.nextInt(100);
            hdr.csumStart = random.nextBoolean() ? 20 + random.nextInt(2) * 20 : random.nextInt(65536);
            hdr.csumOffset = random.nextBoolean() ? 16 : random.nextInt(65536);
            int n = splitter.begin(ByteBuffer.wrap(packet), hdr);
            for (int i = 0; i < n; i++) {
                out.clear();
                splitter.segment(i, out);
            }
            TsoSplitter.completeChecksum(ByteBuffer.wrap(packet), hdr);
        }
    }

    @Test
    void shouldCompleteAPartialTcpChecksum() {
        for (boolean v6 : new boolean[] {false, true}) {
            byte[] packet = superPacket(v6, 777, 8, PSH | ACK, 1, 42, 3);
            int ip = v6 ? 40 : 20;
            long pseudo = pseudoSum(packet, v6, packet.length - ip);
            putU16(packet, ip + 16, fold(pseudo)); // what the kernel leaves: the pseudo-header sum, not inverted
            ByteBuffer buffer = ByteBuffer.allocateDirect(packet.length + 5).position(5);
            buffer.put(packet).flip().position(5);
            VirtioNetHdr hdr = new VirtioNetHdr();
            hdr.flags = VirtioNetHdr.F_NEEDS_CSUM;
            hdr.csumStart = ip;
            hdr.csumOffset = 16;
            assertTrue(TsoSplitter.completeChecksum(buffer, hdr));
            byte[] done = new byte[packet.length];
            buffer.get(5, done);
            assertEquals(0xffff, fold(pseudo + sum(done, ip, done.length - ip)), "TCP checksum verifies");
            assertEquals(5, buffer.position());
        }
    }

    @Test
    void shouldCompleteAPartialUdpChecksumAndLeaveCompleteOnesAlone() {
        byte[] packet = new byte[20 + 8 + 33];
        packet[0] = 0x45;
        packet[9] = 17;
        for (int i = 12; i < packet.length; i++) {
            packet[i] = (byte) (i * 31);
        }
        putU16(packet, 2, packet.length);
        putU16(packet, 24, 8 + 33);
        long pseudo = pseudoSumWithProtocol(packet, false, 17, 8 + 33);
        putU16(packet, 26, fold(pseudo));
        VirtioNetHdr hdr = new VirtioNetHdr();
        byte[] untouched = packet.clone();
        assertTrue(TsoSplitter.completeChecksum(ByteBuffer.wrap(untouched), hdr), "no flag: nothing to do");
        assertArrayEquals(packet, untouched);
        hdr.flags = VirtioNetHdr.F_NEEDS_CSUM;
        hdr.csumStart = 20;
        hdr.csumOffset = 6;
        assertTrue(TsoSplitter.completeChecksum(ByteBuffer.wrap(packet), hdr));
        assertEquals(0xffff, fold(pseudo + sum(packet, 20, packet.length - 20)));
    }

    @Test
    void shouldRejectChecksumOffsetsOutsideThePacket() {
        byte[] packet = new byte[60];
        VirtioNetHdr hdr = new VirtioNetHdr();
        hdr.flags = VirtioNetHdr.F_NEEDS_CSUM;
        hdr.csumStart = 20;
        hdr.csumOffset = 39;
        assertFalse(TsoSplitter.completeChecksum(ByteBuffer.wrap(packet), hdr));
        hdr.csumStart = 60;
        hdr.csumOffset = 0;
        assertFalse(TsoSplitter.completeChecksum(ByteBuffer.wrap(packet), hdr));
        hdr.csumStart = 65535;
        hdr.csumOffset = 65535;
        assertFalse(TsoSplitter.completeChecksum(ByteBuffer.wrap(packet), hdr));
        assertArrayEquals(new byte[60], packet);
        hdr.csumStart = 20;
        hdr.csumOffset = 38;
        assertTrue(TsoSplitter.completeChecksum(ByteBuffer.wrap(packet), hdr));
    }

    // ---- helpers: see TcpTestPackets for the independent construction and checksum ----

    /** Splits {@code packet} and checks every segment against {@link #verifySegment}. */
    private static void checkSplit(byte[] packet, int gsoSize, boolean ecn) {
        boolean v6 = (packet[0] & 0xf0) == 0x60;
        int ip = v6 ? 40 : 20;
        int tcpHeader = ((packet[ip + 12] & 0xff) >>> 4) * 4;
        int payload = packet.length - ip - tcpHeader;
        int expected = (payload + gsoSize - 1) / gsoSize;
        VirtioNetHdr hdr = hdr((v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4) | (ecn ? VirtioNetHdr.GSO_ECN : 0),
                ip + tcpHeader, gsoSize, ip);
        TsoSplitter splitter = new TsoSplitter();
        assertEquals(expected, splitter.begin(ByteBuffer.wrap(packet), hdr));
        byte[] original = packet.clone();
        int total = 0;
        for (int i = 0; i < expected; i++) {
            ByteBuffer out = ByteBuffer.allocate(gsoSize + 200);
            int length = splitter.segment(i, out);
            assertEquals(out.position(), length);
            assertEquals(splitter.segmentLength(i), length);
            byte[] segment = Arrays.copyOf(out.array(), length);
            verifySegment(packet, segment, i, expected, gsoSize, v6);
            total += length - ip - tcpHeader;
        }
        assertEquals(payload, total);
        assertArrayEquals(original, packet, "the super-packet is left as it was");
    }

    /** Every byte of segment {@code i}, its lengths, sequence number, flags and both checksums. */
    private static void verifySegment(byte[] packet, byte[] segment, int i, int count, int gsoSize, boolean v6) {
        int ip = v6 ? 40 : 20;
        int tcpHeader = ((packet[ip + 12] & 0xff) >>> 4) * 4;
        int headers = ip + tcpHeader;
        int payload = Math.min(gsoSize, packet.length - headers - i * gsoSize);
        assertEquals(headers + payload, segment.length, "segment " + i + " length");
        byte[] expected = new byte[segment.length];
        System.arraycopy(packet, 0, expected, 0, headers);
        System.arraycopy(packet, headers + i * gsoSize, expected, headers, payload);
        if (v6) {
            putU16(expected, 4, segment.length - 40);
        } else {
            putU16(expected, 2, segment.length);
            putU16(expected, 4, (u16(packet, 4) + i) & 0xffff);
            putU16(expected, 10, u16(segment, 10)); // checked below
            assertEquals(0xffff, fold(sum(segment, 0, 20)), "IPv4 header checksum of segment " + i);
        }
        long seq = (u32(packet, ip + 4) + (long) i * gsoSize) & 0xffff_ffffL;
        assertEquals(seq, u32(segment, ip + 4), "sequence number of segment " + i);
        putU32(expected, ip + 4, seq);
        int flags = packet[ip + 13] & 0xff;
        if (i != count - 1) {
            flags &= ~(FIN | PSH);
        }
        if (i != 0) {
            flags &= ~CWR;
        }
        assertEquals(flags, segment[ip + 13] & 0xff, "flags of segment " + i);
        expected[ip + 13] = (byte) flags;
        putU16(expected, ip + 16, u16(segment, ip + 16));
        assertArrayEquals(expected, segment, "bytes of segment " + i);
        long pseudo = pseudoSum(segment, v6, segment.length - ip);
        assertEquals(0xffff, fold(pseudo + sum(segment, ip, segment.length - ip)), "TCP checksum of segment " + i);
    }
}
