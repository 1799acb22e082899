package io.jwg.tun;

import static io.jwg.tun.TcpTestPackets.ACK;
import static io.jwg.tun.TcpTestPackets.FIN;
import static io.jwg.tun.TcpTestPackets.PSH;
import static io.jwg.tun.TcpTestPackets.fold;
import static io.jwg.tun.TcpTestPackets.hdr;
import static io.jwg.tun.TcpTestPackets.pseudoSum;
import static io.jwg.tun.TcpTestPackets.putU16;
import static io.jwg.tun.TcpTestPackets.putU32;
import static io.jwg.tun.TcpTestPackets.sum;
import static io.jwg.tun.TcpTestPackets.superPacket;
import static io.jwg.tun.TcpTestPackets.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The coalescer against {@link TsoSplitter}: segments cut from a super-packet by the splitter
 * (each with its own valid checksums, as a sender's TCP stack makes them) must come back as that
 * super-packet, which the splitter must cut into the same segments again; and every rule that
 * keeps a packet out of a group.
 */
class TcpCoalescerTest {
    private final TcpCoalescer coalescer = new TcpCoalescer(64);

    @Test
    void shouldRebuildAnIpv4SuperPacketFromItsSegments() {
        roundTrip(false, 8 * 1380, 12, PSH | ACK, 1380);
    }

    @Test
    void shouldRebuildAnIpv6SuperPacketWithAShortLastSegment() {
        roundTrip(true, 5 * 1208 + 99, 0, ACK, 1208);
    }

    @Test
    void shouldCoalesceSegmentsInDirectBuffersAtTheirPositions() {
        List<byte[]> segments = split(false, 3 * 1000, 0, ACK, 1000, 77, 1);
        for (byte[] s : segments) {
            ByteBuffer b = ByteBuffer.allocateDirect(s.length + 40).position(16);
            b.put(s).flip().position(16);
            coalescer.add(b);
        }
        coalescer.plan();
        assertEquals(3, coalescer.segments(0));
        assertFalse(coalescer.isHead(1));
        assertFalse(coalescer.isHead(2));
    }

    @Test
    void shouldKeepTwoInterleavedFlowsApartAndInOrder() {
        List<byte[]> a = split(false, 4 * 1000, 0, ACK, 1000, 1000, 1);
        List<byte[]> b = split(false, 4 * 1000, 0, ACK, 1000, 5000, 1);
        for (byte[] s : b) {
            putU16(s, 20, 6000); // another source port: another flow
            fixTcpChecksum(s, false);
        }
        for (int i = 0; i < 4; i++) {
            coalescer.add(ByteBuffer.wrap(a.get(i)));
            coalescer.add(ByteBuffer.wrap(b.get(i)));
        }
        coalescer.plan();
        assertTrue(coalescer.isHead(0));
        assertTrue(coalescer.isHead(1));
        assertEquals(4, coalescer.segments(0));
        assertEquals(4, coalescer.segments(1));
        assertEquals(List.of(0, 2, 4, 6), members(0));
        assertEquals(List.of(1, 3, 5, 7), members(1));
    }

    @Test
    void shouldWriteEverythingButPlainTcpSegmentsAlone() {
        List<byte[]> s = split(false, 6 * 1000, 0, ACK, 1000, 1, 1);
        byte[] udp = s.get(0).clone();
        udp[9] = 17;
        byte[] fin = s.get(1).clone();
        fin[20 + 13] = (byte) (ACK | FIN);
        fixTcpChecksum(fin, false);
        byte[] fragment = s.get(1).clone();
        fragment[6] = 0x20; // more fragments
        byte[] options = ipv4WithOptions(s.get(1));
        byte[] bare = Arrays.copyOf(s.get(1), 40); // no payload: a pure ACK
        putU16(bare, 2, 40);
        fixTcpChecksum(bare, false);
        for (byte[] p : new byte[][] {udp, fin, fragment, options, bare, new byte[] {0x45}, new byte[0]}) {
            coalescer.clear();
            coalescer.add(ByteBuffer.wrap(s.get(0)));
            coalescer.add(ByteBuffer.wrap(p));
            coalescer.plan();
            assertEquals(1, coalescer.segments(0));
            assertTrue(coalescer.isHead(1));
            assertEquals(1, coalescer.segments(1));
        }
    }

    @Test
    void shouldCloseAFlowsGroupAtAPacketThatCannotJoinIt() {
        List<byte[]> s = split(false, 4 * 1000, 0, ACK, 1000, 1, 1);
        byte[] fin = s.get(1).clone();
        fin[20 + 13] = (byte) (ACK | FIN);
        fixTcpChecksum(fin, false);
        // 0, then the flow's FIN-flagged copy of 1: 2 and 3 must not jump ahead of it into 0's group.
        coalescer.add(ByteBuffer.wrap(s.get(0)));
        coalescer.add(ByteBuffer.wrap(fin));
        coalescer.add(ByteBuffer.wrap(s.get(2)));
        coalescer.add(ByteBuffer.wrap(s.get(3)));
        coalescer.plan();
        assertEquals(1, coalescer.segments(0));
        assertEquals(1, coalescer.segments(1));
        assertEquals(List.of(2, 3), members(2));
    }

    @Test
    void shouldNotMergeAcrossAnyDifference() {
        List<byte[]> s = split(false, 2 * 1000, 12, ACK, 1000, 1, 1);
        // Each change to the second segment alone must keep it out of the first's group.
        List<byte[]> changed = new ArrayList<>();
        changed.add(withByte(s.get(1), 20 + 11, 0x02)); // another acknowledgement number
        changed.add(withByte(s.get(1), 20 + 7, 0x01)); // a gap in the sequence
        changed.add(withByte(s.get(1), 20 + 20, 0x08)); // other TCP options
        changed.add(withByte(s.get(1), 1, 0x03)); // TOS (ECN CE)
        changed.add(withByte(s.get(1), 8, 63)); // TTL
        changed.add(withByte(s.get(1), 6, 0x00)); // DF cleared
        byte[] badSum = s.get(1).clone();
        badSum[badSum.length - 1] ^= 1; // corrupted payload: the TCP checksum fails
        for (byte[] second : changed) {
            fixTcpChecksum(second, false);
        }
        changed.add(badSum);
        for (byte[] second : changed) {
            coalescer.clear();
            coalescer.add(ByteBuffer.wrap(s.get(0)));
            coalescer.add(ByteBuffer.wrap(second));
            coalescer.plan();
            assertTrue(coalescer.isHead(1));
            assertEquals(1, coalescer.segments(0));
        }
        // A head whose own checksum fails takes nobody in either.
        byte[] badHead = s.get(0).clone();
        badHead[badHead.length - 1] ^= 1;
        coalescer.clear();
        coalescer.add(ByteBuffer.wrap(badHead));
        coalescer.add(ByteBuffer.wrap(s.get(1)));
        coalescer.plan();
        assertEquals(1, coalescer.segments(0));
        assertTrue(coalescer.isHead(1));
    }

    @Test
    void shouldEndAGroupAfterPshAfterAShortSegmentAndAtTheLimits() {
        List<byte[]> pushed = split(false, 3 * 1000, 0, PSH | ACK, 1000, 1, 1);
        byte[] early = pushed.get(0).clone();
        early[20 + 13] = (byte) (PSH | ACK);
        fixTcpChecksum(early, false);
        assertGroups(List.of(early, pushed.get(1), pushed.get(2)), 1, 2);

        List<byte[]> ragged = new ArrayList<>(split(false, 1500, 0, ACK, 1000, 1, 1)); // 1000 then 500 bytes
        byte[] after = ragged.get(0).clone(); // 1000 more bytes, right after the short one
        putU32(after, 24, 1 + 1500);
        fixTcpChecksum(after, false);
        ragged.add(after);
        assertGroups(ragged, 2, 1);

        // 65,535 bytes at most: 64 KB of 1,400-byte segments is 46 plus a new group.
        List<byte[]> many = split(false, 60 * 1400, 0, ACK, 1400, 1, 1);
        TcpCoalescer big = new TcpCoalescer(64);
        many.forEach(p -> big.add(ByteBuffer.wrap(p)));
        big.plan();
        int first = big.segments(0);
        assertEquals((65_535 - 40) / 1400, first);
        assertTrue(big.isHead(first));
        assertEquals(60 - first, big.segments(first));

        // 64 segments at most.
        List<byte[]> small = split(false, 70 * 100, 0, ACK, 100, 1, 1);
        TcpCoalescer many64 = new TcpCoalescer(70);
        small.forEach(p -> many64.add(ByteBuffer.wrap(p)));
        many64.plan();
        assertEquals(TcpCoalescer.MAX_SEGMENTS, many64.segments(0));
        assertEquals(6, many64.segments(64));
    }

    @Test
    void shouldNeverThrowOnTruncatedOrRandomPackets() {
        List<byte[]> s = split(true, 3 * 1000, 12, ACK, 1000, 1, 1);
        Random random = new Random(11);
        TcpCoalescer c = new TcpCoalescer(8);
        for (int round = 0; round < 20_000; round++) {
            c.clear();
            for (int k = 0; k < 8; k++) {
                byte[] base = s.get(random.nextInt(s.size())).clone();
                int cut = random.nextInt(base.length + 1);
                byte[] p = Arrays.copyOf(base, cut);
                if (p.length > 0 && random.nextBoolean()) {
                    p[random.nextInt(p.length)] = (byte) random.nextInt(256);
                }
                if (p.length > 0 && random.nextInt(4) == 0) {
                    p[0] = 0x45;
                }
                c.add(ByteBuffer.wrap(p));
            }
            c.plan();
            VirtioNetHdr hdr = new VirtioNetHdr();
            for (int i = 0; i < c.size(); i++) {
                if (c.isHead(i) && c.segments(i) > 1) {
                    c.finish(i, hdr);
                }
            }
        }
    }

    // ---- helpers ----

    /** Splits a super-packet, coalesces the segments, and checks the result byte by byte both ways. */
    private void roundTrip(boolean v6, int payload, int options, int flags, int gsoSize) {
        byte[] original = superPacket(v6, payload, options, flags, gsoSize, 0xffff_fa00L, 0x1200);
        List<byte[]> segments = split(original, gsoSize);
        ByteBuffer[] buffers = new ByteBuffer[segments.size()];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = ByteBuffer.wrap(segments.get(i).clone());
            coalescer.add(buffers[i]);
        }
        coalescer.plan();
        assertEquals(segments.size(), coalescer.segments(0));
        VirtioNetHdr hdr = new VirtioNetHdr();
        coalescer.finish(0, hdr);
        int ip = v6 ? 40 : 20;
        int headers = ip + 20 + options;
        assertEquals(VirtioNetHdr.F_NEEDS_CSUM, hdr.flags);
        assertEquals(v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4, hdr.gsoType);
        assertEquals(headers, hdr.hdrLen);
        assertEquals(gsoSize, hdr.gsoSize);
        assertEquals(ip, hdr.csumStart);
        assertEquals(16, hdr.csumOffset);
        assertEquals(headers, coalescer.headerLength(0));
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        written.write(buffers[0].array(), 0, buffers[0].limit());
        for (int i = coalescer.next(0); i >= 0; i = coalescer.next(i)) {
            written.write(buffers[i].array(), headers, buffers[i].limit() - headers);
        }
        byte[] rebuilt = written.toByteArray();
        assertEquals(original.length, rebuilt.length);
        // The TCP checksum field holds the pseudo-header sum for the whole segment, not inverted.
        assertEquals(fold(pseudoSum(rebuilt, v6, rebuilt.length - ip)), u16(rebuilt, ip + 16));
        if (!v6) {
            assertEquals(0xffff, fold(sum(rebuilt, 0, 20)), "IPv4 header checksum");
        }
        byte[] expected = original.clone();
        putU16(expected, ip + 16, u16(rebuilt, ip + 16));
        if (!v6) {
            putU16(expected, 10, u16(rebuilt, 10));
        }
        assertArrayEquals(expected, rebuilt);
        // And the kernel's view: cut again, the same segments.
        assertEquals(segments.size(), split(rebuilt, gsoSize).size());
        List<byte[]> again = split(rebuilt, gsoSize);
        for (int i = 0; i < segments.size(); i++) {
            assertArrayEquals(segments.get(i), again.get(i), "segment " + i);
        }
    }

    private static List<byte[]> split(boolean v6, int payload, int options, int flags, int gsoSize, long seq, int id) {
        return split(superPacket(v6, payload, options, flags, gsoSize, seq, id), gsoSize);
    }

    /** Cuts with the splitter: segments with valid checksums, as a TCP sender makes them. */
    private static List<byte[]> split(byte[] superPacket, int gsoSize) {
        boolean v6 = (superPacket[0] & 0xf0) == 0x60;
        int ip = v6 ? 40 : 20;
        int headers = ip + ((superPacket[ip + 12] & 0xff) >>> 4) * 4;
        TsoSplitter splitter = new TsoSplitter();
        int n = splitter.begin(ByteBuffer.wrap(superPacket),
                hdr(v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4, headers, gsoSize, ip));
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ByteBuffer b = ByteBuffer.allocate(splitter.segmentLength(i));
            splitter.segment(i, b);
            out.add(b.array());
        }
        return out;
    }

    private List<Integer> members(int head) {
        List<Integer> out = new ArrayList<>();
        for (int i = head; i >= 0; i = coalescer.next(i)) {
            out.add(i);
        }
        return out;
    }

    /** Plans {@code packets} and checks the size of each write in order. */
    private static void assertGroups(List<byte[]> packets, int... sizes) {
        TcpCoalescer c = new TcpCoalescer(packets.size());
        packets.forEach(p -> c.add(ByteBuffer.wrap(p)));
        c.plan();
        List<Integer> got = new ArrayList<>();
        for (int i = 0; i < c.size(); i++) {
            if (c.isHead(i)) {
                got.add(c.segments(i));
            }
        }
        assertEquals(Arrays.stream(sizes).boxed().toList(), got);
    }

    private static byte[] withByte(byte[] p, int at, int value) {
        byte[] copy = p.clone();
        copy[at] = (byte) value;
        return copy;
    }

    /** An IPv4 segment with 4 bytes of IP options (NOPs) inserted, lengths and checksums fixed. */
    private static byte[] ipv4WithOptions(byte[] p) {
        byte[] q = new byte[p.length + 4];
        System.arraycopy(p, 0, q, 0, 20);
        q[0] = 0x46;
        Arrays.fill(q, 20, 24, (byte) 1);
        System.arraycopy(p, 20, q, 24, p.length - 20);
        putU16(q, 2, q.length);
        putU16(q, 10, 0);
        putU16(q, 10, ~fold(sum(q, 0, 24)) & 0xffff);
        return q;
    }

    /** Recomputes the TCP checksum of a plain IPv4 or IPv6 segment after a test changed it. */
    private static void fixTcpChecksum(byte[] p, boolean v6) {
        int ip = v6 ? 40 : 20;
        putU16(p, ip + 16, 0);
        putU16(p, ip + 16, ~fold(pseudoSum(p, v6, p.length - ip) + sum(p, ip, p.length - ip)) & 0xffff);
    }
}
