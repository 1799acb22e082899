package io.jwg.daemon;

import io.jwg.tun.TsoSplitter;
import io.jwg.tun.TunDevice;
import io.jwg.tun.VirtioNetHdr;
import java.nio.ByteBuffer;

/**
 * The packets one TUN read carries, for the {@link TunReader}. Without offloads a read is one
 * packet. With them ({@link TunDevice#offloads()}) it starts with a {@link VirtioNetHdr}: a
 * packet with a partial checksum has it completed and is one packet; a TCP super-packet (up to
 * 64 KB) is cut by {@link TsoSplitter} into MSS-sized segments, each of which the reader then
 * handles exactly like a packet read on its own. A read that cannot be parsed or split is
 * dropped and counted. Owned by the reader thread; the counters are read at shutdown.
 */
final class TunSegments {
    /** The off switch: {@code JWG_TUN_OFFLOAD=off} opens the TUN without offloads. */
    static final String ENV = "JWG_TUN_OFFLOAD";

    private final boolean offloads;
    private final VirtioNetHdr hdr = new VirtioNetHdr();
    private final TsoSplitter splitter = new TsoSplitter();
    private ByteBuffer read;
    private boolean split;
    // Single writer (the reader thread); volatile so the shutdown summary sees them.
    private volatile long superPackets;
    private volatile long segments;
    private volatile long malformed;

    TunSegments(boolean offloads) {
        this.offloads = offloads;
    }

    /** Whether the environment leaves TUN offloads on ({@value #ENV}, same values as {@link UdpOffload}). */
    static boolean enabled(String value) {
        return UdpOffload.enabled(value);
    }

    /**
     * Takes the read between {@code read}'s position and limit, which must stay unchanged until
     * its last packet is copied out; returns how many packets it carries, 0 when it is malformed
     * (counted as a drop).
     */
    int begin(ByteBuffer read) {
        this.read = read;
        split = false;
        if (!offloads) {
            return 1;
        }
        if (!hdr.decode(read, read.position())) {
            return malformed();
        }
        read.position(read.position() + VirtioNetHdr.SIZE);
        if (!hdr.isGso()) {
            return read.hasRemaining() && TsoSplitter.completeChecksum(read, hdr) ? 1 : malformed();
        }
        int n = splitter.begin(read, hdr);
        if (n <= 0) {
            return malformed();
        }
        split = true;
        superPackets++;
        segments += n;
        return n;
    }

    /** The length of packet {@code i} of the current read. */
    int length(int i) {
        return split ? splitter.segmentLength(i) : read.remaining();
    }

    /** Puts packet {@code i} of the current read into {@code dst}, cleared first, then flipped. */
    void copy(int i, ByteBuffer dst) {
        dst.clear();
        if (split) {
            splitter.segment(i, dst); // dst was acquired for length(i): there is room
        } else {
            dst.put(0, read, read.position(), read.remaining()).position(read.remaining());
        }
        dst.flip();
    }

    /** The counters, for the log at shutdown. */
    String summary() {
        return "TUN offloads: " + superPackets + " super-packets split into " + segments + " segments, "
                + malformed + " malformed reads dropped";
    }

    private int malformed() {
        malformed++;
        return 0;
    }
}
