package io.jwg.tun;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Receive offload in software for TUN writes, the inverse of {@link TsoSplitter}: in a batch of
 * packets about to be written to a TUN that takes offloads, consecutive TCP segments of one flow
 * are grouped so that each group reaches the kernel as one GSO super-packet, which its TCP stack
 * then handles once instead of once per segment. The rules are the kernel's GRO rules, as
 * wireguard-go's {@code tcpGRO} also applies them: only segments with payload whose flags are
 * ACK or ACK|PSH; same addresses, ports and acknowledgement number; the next sequence number;
 * equal TCP header length and options, TOS/traffic class, TTL/hop limit and IPv4 DF bit; no
 * segment after a PSH or after one shorter than the first; at most {@value #MAX_SEGMENTS}
 * segments and 65,535 bytes. A segment is only merged after its TCP checksum is checked, since
 * the kernel trusts a super-packet's checksum. Anything else (non-TCP, IPv4 options or
 * fragments, IPv6 extension headers, SYN/FIN/RST) is written on its own, and a packet of a flow
 * that cannot join the flow's open group closes it, so that a flow's packets stay in order.
 *
 * <p>Use: {@link #clear}, {@link #add} each packet (its position to limit), {@link #plan}, then
 * for every index with {@link #isHead} write it: alone when {@link #segments} is 1, else call
 * {@link #finish} (which rewrites the head's IP length, IPv4 header checksum, PSH flag and TCP
 * pseudo-header checksum in place and fills the virtio header) and write the head whole followed
 * by the payload of each {@link #next} member, which starts {@link #headerLength} bytes in.
 * The packets must not change in between. No I/O and no allocation; one instance per thread.
 */
public final class TcpCoalescer {
    /** Segments per super-packet at most (the kernel's GRO limit is 64 as well). */
    public static final int MAX_SEGMENTS = 64;
    /** Open groups compared against each packet: enough for several flows in one batch. */
    private static final int OPEN = 8;
    private static final int MAX_LENGTH = 0xffff;
    private static final int TCP_ACK = 0x10;
    private static final int TCP_PSH = TsoSplitter.TCP_PSH;

    private final ByteBuffer[] packets;
    private final int[] next;
    private final int[] last;
    private final int[] segments;
    private final int[] total;
    private final int[] gsoSize;
    private final int[] nextSeq;
    private final boolean[] head;
    private final boolean[] pushed;
    private final boolean[] checked;
    /** Per packet: IP header length, or 0 when the packet is not a candidate at all. */
    private final int[] ipHeader;
    /** Per packet: IP plus TCP header length; 0 when it is not TCP over plain IPv4/IPv6. */
    private final int[] headers;
    private final int[] open = new int[OPEN];
    private int openCount;
    private int count;

    /** A coalescer for batches of up to {@code capacity} packets. */
    public TcpCoalescer(int capacity) {
        packets = new ByteBuffer[capacity];
        next = new int[capacity];
        last = new int[capacity];
        segments = new int[capacity];
        total = new int[capacity];
        gsoSize = new int[capacity];
        nextSeq = new int[capacity];
        head = new boolean[capacity];
        pushed = new boolean[capacity];
        checked = new boolean[capacity];
        ipHeader = new int[capacity];
        headers = new int[capacity];
    }

    /** Forgets the last batch. */
    public void clear() {
        for (int i = 0; i < count; i++) {
            packets[i] = null;
        }
        count = 0;
        openCount = 0;
    }

    /** The number of packets added since {@link #clear}. */
    public int size() {
        return count;
    }

    /** Adds the packet between {@code packet}'s position and limit; returns its index. */
    public int add(ByteBuffer packet) {
        if (packet.order() != ByteOrder.BIG_ENDIAN) {
            throw new IllegalArgumentException("packet buffers must be big-endian");
        }
        int i = count++;
        packets[i] = packet;
        return i;
    }

    /** Groups the packets added; afterwards {@link #isHead}, {@link #segments} and {@link #next} describe the writes. */
    public void plan() {
        openCount = 0;
        for (int i = 0; i < count; i++) {
            head[i] = true;
            next[i] = -1;
            last[i] = i;
            segments[i] = 1;
            checked[i] = false;
            int payload = parse(i);
            if (headers[i] == 0) {
                continue; // not TCP over plain IP: written alone, never grouped
            }
            int h = openGroupOf(i);
            if (h >= 0) {
                if (payload > 0 && canAppend(h, i, payload) && checksumsHold(h, i)) {
                    append(h, i, payload);
                    continue;
                }
                close(h); // keep the flow in order: nothing may join a group behind this packet
            }
            if (payload > 0) {
                startGroup(i, payload);
            }
        }
    }

    /** Whether packet {@code i} is written (alone or as the head of a group), not merged into one. */
    public boolean isHead(int i) {
        return head[i];
    }

    /** How many packets the write headed by {@code i} carries. */
    public int segments(int i) {
        return segments[i];
    }

    /** The member after {@code i} in its group, or -1. */
    public int next(int i) {
        return next[i];
    }

    /** IP plus TCP header length of packet {@code i} (where a member's payload starts). */
    public int headerLength(int i) {
        return headers[i];
    }

    /**
     * Turns the head of a group of two or more into the super-packet's head: total length,
     * IPv4 header checksum, PSH when the last member had it, and the TCP checksum field set to
     * the pseudo-header sum for the whole segment (the kernel's {@code CHECKSUM_PARTIAL} form);
     * fills {@code hdr} for it.
     */
    public void finish(int i, VirtioNetHdr hdr) {
        if (!head[i] || segments[i] < 2) {
            throw new IllegalStateException("packet " + i + " heads no group");
        }
        ByteBuffer p = packets[i];
        int at = p.position();
        int ip = ipHeader[i];
        int length = total[i];
        boolean v6 = ip == TsoSplitter.IPV6_HEADER;
        if (v6) {
            p.putShort(at + 4, (short) (length - ip));
        } else {
            p.putShort(at + 2, (short) length);
            p.putShort(at + 10, (short) 0);
            p.putShort(at + 10, (short) InetChecksum.finish(InetChecksum.add(0, p, at, ip)));
        }
        int tcp = at + ip;
        if (pushed[i]) {
            p.put(tcp + TsoSplitter.TCP_FLAGS_OFFSET, (byte) (p.get(tcp + TsoSplitter.TCP_FLAGS_OFFSET) | TCP_PSH));
        }
        long pseudo = InetChecksum.tcpPseudoHeader(p, at, v6);
        p.putShort(tcp + TsoSplitter.TCP_CHECKSUM_OFFSET, (short) InetChecksum.fold(pseudo + length - ip));
        hdr.flags = VirtioNetHdr.F_NEEDS_CSUM;
        hdr.gsoType = v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4;
        hdr.hdrLen = headers[i];
        hdr.gsoSize = gsoSize[i];
        hdr.csumStart = ip;
        hdr.csumOffset = TsoSplitter.TCP_CHECKSUM_OFFSET;
    }

    /** Records the headers of packet {@code i}; returns its TCP payload length (0 if none or not a candidate). */
    private int parse(int i) {
        ipHeader[i] = 0;
        headers[i] = 0;
        ByteBuffer p = packets[i];
        int at = p.position();
        int length = p.remaining();
        if (length < TsoSplitter.IPV4_MIN_HEADER + TsoSplitter.TCP_MIN_HEADER || length > MAX_LENGTH) {
            return 0;
        }
        int version = (p.get(at) & 0xff) >>> 4;
        int ip;
        if (version == 4) {
            // No options, TCP, the length matches, not a fragment (MF or an offset); DF may be set.
            if ((p.get(at) & 0x0f) != 5 || p.get(at + 9) != TsoSplitter.IPPROTO_TCP
                    || (p.getShort(at + 2) & 0xffff) != length || (p.getShort(at + 6) & 0x3fff) != 0) {
                return 0;
            }
            ip = TsoSplitter.IPV4_MIN_HEADER;
        } else if (version == 6) {
            if (length < TsoSplitter.IPV6_HEADER + TsoSplitter.TCP_MIN_HEADER
                    || p.get(at + 6) != TsoSplitter.IPPROTO_TCP
                    || (p.getShort(at + 4) & 0xffff) != length - TsoSplitter.IPV6_HEADER) {
                return 0;
            }
            ip = TsoSplitter.IPV6_HEADER;
        } else {
            return 0;
        }
        int tcp = ((p.get(at + ip + TsoSplitter.TCP_DATA_OFFSET_OFFSET) & 0xff) >>> 4) * 4;
        if (tcp < TsoSplitter.TCP_MIN_HEADER || ip + tcp > length) {
            return 0;
        }
        ipHeader[i] = ip;
        headers[i] = ip + tcp;
        int flags = p.get(at + ip + TsoSplitter.TCP_FLAGS_OFFSET) & 0xff;
        if (flags != TCP_ACK && flags != (TCP_ACK | TCP_PSH)) {
            return 0; // a TCP packet of the flow all the same: it closes the flow's group
        }
        return length - ip - tcp;
    }

    /** The open group of packet {@code i}'s connection (addresses and ports), or -1. */
    private int openGroupOf(int i) {
        ByteBuffer p = packets[i];
        int at = p.position();
        int ip = ipHeader[i];
        for (int k = openCount - 1; k >= 0; k--) {
            int h = open[k];
            if (ipHeader[h] != ip) {
                continue;
            }
            ByteBuffer q = packets[h];
            int qt = q.position();
            boolean same = ip == TsoSplitter.IPV6_HEADER
                    ? equal(p, at + 8, q, qt + 8, 32)
                    : p.getLong(at + 12) == q.getLong(qt + 12);
            if (same && p.getInt(at + ip) == q.getInt(qt + ip)) { // ports
                return h;
            }
        }
        return -1;
    }

    private boolean canAppend(int h, int i, int payload) {
        ByteBuffer p = packets[i];
        ByteBuffer q = packets[h];
        int at = p.position();
        int qt = q.position();
        int ip = ipHeader[i];
        int tcpAt = at + ip;
        int tcpQt = qt + ip;
        if (headers[i] != headers[h] || pushed[h] || payload > gsoSize[h]
                || total[h] + payload > MAX_LENGTH || segments[h] == MAX_SEGMENTS
                || p.getInt(tcpAt + TsoSplitter.TCP_SEQ_OFFSET) != nextSeq[h]
                || p.getInt(tcpAt + 8) != q.getInt(tcpQt + 8)) { // acknowledgement number
            return false;
        }
        int options = headers[i] - ip - TsoSplitter.TCP_MIN_HEADER;
        if (options > 0 && !equal(p, tcpAt + 20, q, tcpQt + 20, options)) {
            return false;
        }
        if (ip == TsoSplitter.IPV6_HEADER) {
            // Traffic class (version nibble included, equal anyway) and hop limit.
            return p.get(at) == q.get(qt) && (p.get(at + 1) & 0xf0) == (q.get(qt + 1) & 0xf0)
                    && p.get(at + 7) == q.get(qt + 7);
        }
        // TOS, the DF and reserved bits, TTL.
        return p.get(at + 1) == q.get(qt + 1) && (p.get(at + 6) & 0xe0) == (q.get(qt + 6) & 0xe0)
                && p.get(at + 8) == q.get(qt + 8);
    }

    /** Checks the head's TCP checksum once and the new member's always. */
    private boolean checksumsHold(int h, int i) {
        if (!checked[h]) {
            if (!tcpChecksumValid(h)) {
                return false;
            }
            checked[h] = true;
        }
        return tcpChecksumValid(i);
    }

    private boolean tcpChecksumValid(int i) {
        ByteBuffer p = packets[i];
        int at = p.position();
        int ip = ipHeader[i];
        int tcpLength = p.remaining() - ip;
        long sum = InetChecksum.tcpPseudoHeader(p, at, ip == TsoSplitter.IPV6_HEADER);
        sum = InetChecksum.add(sum + tcpLength, p, at + ip, tcpLength);
        return InetChecksum.fold(sum) == 0xffff;
    }

    private void startGroup(int i, int payload) {
        ByteBuffer p = packets[i];
        total[i] = p.remaining();
        gsoSize[i] = payload;
        nextSeq[i] = p.getInt(p.position() + ipHeader[i] + TsoSplitter.TCP_SEQ_OFFSET) + payload;
        pushed[i] = (p.get(p.position() + ipHeader[i] + TsoSplitter.TCP_FLAGS_OFFSET) & TCP_PSH) != 0;
        if (openCount == OPEN) {
            System.arraycopy(open, 1, open, 0, OPEN - 1);
            openCount--;
        }
        open[openCount++] = i;
    }

    private void append(int h, int i, int payload) {
        ByteBuffer p = packets[i];
        head[i] = false;
        next[last[h]] = i;
        last[h] = i;
        segments[h]++;
        total[h] += payload;
        nextSeq[h] += payload;
        pushed[h] = (p.get(p.position() + ipHeader[i] + TsoSplitter.TCP_FLAGS_OFFSET) & TCP_PSH) != 0;
        if (payload < gsoSize[h]) {
            close(h); // nothing may follow a short segment
        }
    }

    /** Whether {@code length} bytes (a multiple of 4: addresses, TCP options) are equal. */
    private static boolean equal(ByteBuffer p, int at, ByteBuffer q, int qt, int length) {
        for (int k = 0; k < length; k += 4) {
            if (p.getInt(at + k) != q.getInt(qt + k)) {
                return false;
            }
        }
        return true;
    }

    private void close(int h) {
        for (int k = 0; k < openCount; k++) {
            if (open[k] == h) {
                System.arraycopy(open, k + 1, open, k, openCount - k - 1);
                openCount--;
                return;
            }
        }
    }
}
