package io.jwg.daemon;

import io.jwg.tun.TcpCoalescer;
import io.jwg.tun.TunDevice;
import io.jwg.tun.VirtioNetHdr;
import java.io.IOException;

/**
 * The packets one inbound delivery writes to the TUN, written at its end. On a TUN with offloads
 * ({@link TunDevice#offloads()}) consecutive TCP segments of a flow go down as one GSO
 * super-packet ({@link TcpCoalescer}, the receive side of wireguard-go's offloads), gathered
 * straight from the pooled buffers: the head whole, then each member's payload, so the
 * receiving TCP stack runs once per group and nothing is copied. Everything else is written
 * alone, in order. Owned by one {@link Worker}; nothing is allocated per packet.
 */
final class TunWrites {
    private final DataPacket[] packets = new DataPacket[Worker.BATCH];
    private final TcpCoalescer coalescer = new TcpCoalescer(Worker.BATCH);
    private final VirtioNetHdr hdr = new VirtioNetHdr();
    private final long[] addresses = new long[TcpCoalescer.MAX_SEGMENTS];
    private final int[] lengths = new int[TcpCoalescer.MAX_SEGMENTS];
    private int count;

    /**
     * Adds a packet whose plaintext ({@link DataPacket#out}) goes to the TUN; at most one
     * delivery batch ({@link Worker#BATCH}, the drain's batch size) between flushes.
     */
    void add(DataPacket p) {
        packets[count++] = p;
    }

    /** Writes the packets added, coalesced where the TUN allows, and returns each to the pool. */
    void flush(TunDevice tun, DataPath path, Log log) {
        if (count == 0) {
            return;
        }
        try {
            if (tun.offloads() && count > 1) {
                writeCoalesced(tun, path, log);
            } else {
                for (int i = 0; i < count; i++) {
                    writeAlone(tun, packets[i], log);
                }
            }
        } finally {
            for (int i = 0; i < count; i++) {
                path.release(packets[i]);
                packets[i] = null;
            }
            count = 0;
            coalescer.clear();
        }
    }

    private void writeCoalesced(TunDevice tun, DataPath path, Log log) {
        for (int i = 0; i < count; i++) {
            coalescer.add(packets[i].out);
        }
        coalescer.plan();
        for (int i = 0; i < count; i++) {
            if (!coalescer.isHead(i)) {
                continue;
            }
            int segments = coalescer.segments(i);
            if (segments == 1) {
                writeAlone(tun, packets[i], log);
                continue;
            }
            coalescer.finish(i, hdr);
            int skip = coalescer.headerLength(i);
            int n = 0;
            for (int m = i; m >= 0; m = coalescer.next(m)) {
                DataPacket p = packets[m];
                int from = n == 0 ? 0 : skip;
                addresses[n] = p.outAddress + p.out.position() + from;
                lengths[n] = p.out.remaining() - from;
                n++;
            }
            try {
                tun.writeGathered(hdr, addresses, lengths, n);
                path.countCoalesced(n);
            } catch (IOException e) {
                failed(log, e);
            }
        }
    }

    private static void writeAlone(TunDevice tun, DataPacket p, Log log) {
        try {
            tun.write(p.out);
        } catch (IOException e) {
            failed(log, e);
        }
    }

    private static void failed(Log log, IOException e) {
        if (log.verbose()) {
            log.debug("Failed to write packet to TUN device: " + e.getMessage());
        }
    }
}
