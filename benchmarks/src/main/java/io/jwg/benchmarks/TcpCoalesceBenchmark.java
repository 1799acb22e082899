package io.jwg.benchmarks;

import io.jwg.tun.TcpCoalescer;
import io.jwg.tun.TsoSplitter;
import io.jwg.tun.VirtioNetHdr;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The receive side's TUN write coalescing ({@link TcpCoalescer}) on one delivery batch of 64
 * decrypted packets: {@code flows} interleaved TCP flows of MSS-sized segments with valid
 * checksums (cut from super-packets by {@link TsoSplitter}, as a sender's stack makes them),
 * grouped, every member's TCP checksum checked, and each group's head rewritten into a
 * super-packet. Score per packet; run with {@code -prof gc} for B/op (0 expected). What it buys
 * is in the kernel (one TCP receive per group instead of per segment), which only the end-to-end
 * harness shows.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class TcpCoalesceBenchmark {
    static final int BATCH = 64;
    private static final int MSS = 1368;

    /** Interleaved flows in the batch: one bulk stream, or four. */
    @Param({"1", "4"})
    public int flows;

    private final ByteBuffer[] packets = new ByteBuffer[BATCH];
    private final byte[][] headers = new byte[BATCH][];
    private final TcpCoalescer coalescer = new TcpCoalescer(BATCH);
    private final VirtioNetHdr hdr = new VirtioNetHdr();

    @Setup
    public void setup() {
        int perFlow = BATCH / flows;
        TsoSplitter splitter = new TsoSplitter();
        VirtioNetHdr gso = new VirtioNetHdr();
        gso.flags = VirtioNetHdr.F_NEEDS_CSUM;
        gso.gsoType = VirtioNetHdr.GSO_TCPV4;
        gso.hdrLen = 52;
        gso.gsoSize = MSS;
        gso.csumStart = 20;
        gso.csumOffset = 16;
        for (int f = 0; f < flows; f++) {
            ByteBuffer big = superPacket(f, perFlow * MSS);
            if (splitter.begin(big, gso) != perFlow) {
                throw new IllegalStateException("split into " + splitter.segments());
            }
            for (int s = 0; s < perFlow; s++) {
                int i = s * flows + f; // interleaved, as concurrent streams arrive
                packets[i] = ByteBuffer.allocateDirect(splitter.segmentLength(s));
                splitter.segment(s, packets[i]);
                packets[i].flip();
                headers[i] = new byte[52];
                packets[i].get(0, headers[i]);
            }
        }
        int perGroup = (65_535 - 52) / MSS; // segments that fit one super-packet
        int expected = flows * ((perFlow + perGroup - 1) / perGroup);
        int writes = run();
        if (writes != expected) {
            throw new IllegalStateException(writes + " writes for " + flows + " flows, expected " + expected);
        }
    }

    /** One batch: plan, then finish every group; the score is per packet. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int run() {
        coalescer.clear();
        for (int i = 0; i < BATCH; i++) {
            packets[i].put(0, headers[i]); // undo the last run's rewrite of the heads
            coalescer.add(packets[i]);
        }
        coalescer.plan();
        int writes = 0;
        for (int i = 0; i < BATCH; i++) {
            if (coalescer.isHead(i)) {
                if (coalescer.segments(i) > 1) {
                    coalescer.finish(i, hdr);
                }
                writes++;
            }
        }
        return writes;
    }

    /** An IPv4 TCP super-packet of flow {@code f} with timestamps-sized options. */
    private static ByteBuffer superPacket(int f, int payload) {
        ByteBuffer p = ByteBuffer.allocate(52 + payload);
        p.put(0, (byte) 0x45).putShort(2, (short) 0).put(6, (byte) 0x40).put(8, (byte) 64).put(9, (byte) 6);
        p.putInt(12, 0x0a00_0001).putInt(16, 0x0a00_0002);
        p.putShort(20, (short) (40_000 + f)).putShort(22, (short) 5201);
        p.putInt(24, 1_000_000 * (f + 1)).putInt(28, 77);
        p.put(32, (byte) 0x80).put(33, (byte) 0x10).putShort(34, (short) 512);
        p.put(40, (byte) 1).put(41, (byte) 1).put(42, (byte) 8).put(43, (byte) 10); // NOP NOP TS
        byte[] data = new byte[payload];
        ThreadLocalRandom.current().nextBytes(data);
        p.put(52, data);
        return p;
    }
}
