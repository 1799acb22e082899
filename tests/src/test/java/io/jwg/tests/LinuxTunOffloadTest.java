package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Icmp;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.WireGuardGo;
import io.jwg.tun.LinuxTun;
import io.jwg.tun.TsoSplitter;
import io.jwg.tun.TunDevice;
import io.jwg.tun.VirtioNetHdr;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LinuxTun} with {@code IFF_VNET_HDR} and TSO against the real kernel (root): reads carry
 * a virtio header, plain writes from several threads at once reach the stack, and a real TCP
 * connection from inside a namespace (the test plays the far end by hand) makes the kernel hand
 * over TCP super-packets, which {@link TsoSplitter} cuts into segments whose checksums, sequence
 * numbers and payload bytes are checked here independently.
 */
class LinuxTunOffloadTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final int PEER_PORT = 5001;
    private static final int PEER_ISN = 1000;

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "ping", "python3");
    }

    @Test
    void shouldReadWithVirtioHeadersAndWritePlainPacketsFromManyThreads() throws Exception {
        int subnet = ThreadLocalRandom.current().nextInt(1, 255);
        InetAddress local = InetAddress.getByName("10.244." + subnet + ".1");
        InetAddress peer = InetAddress.getByName("10.244." + subnet + ".2");
        try (Netns ns = Netns.create(); LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname(), true);
                ExecutorService pool = Executors.newFixedThreadPool(4)) {
            assertTrue(tun.offloads());
            up(tun, ns, local);
            Pump pump = Pump.start(tun);
            CompletableFuture<ExecResult> ping = CompletableFuture.supplyAsync(
                    () -> ns.exec(Duration.ofSeconds(10), "ping", "-n", "-c", "1", "-W", "5", peer.getHostAddress()));
            Icmp.Echo request = null;
            while (request == null) {
                Read read = pump.next();
                assertNotNull(read, "no echo request to " + peer + " came out of the TUN");
                assertFalse(read.hdr().isGso(), read.hdr()::toString);
                Icmp.Echo echo = Icmp.parse(read.packet());
                if (echo != null && echo.request() && echo.destination().equals(peer)) {
                    request = echo;
                }
            }
            // Writers on several threads at once: each needs its own header and iovecs.
            byte[] junk = new byte[28];
            junk[0] = 0x45;
            junk[3] = 28;
            // Each counts what it allocated over its second 5000 writes (HotSpot's per-thread counter):
            // less than a byte per write, as in LinuxTunTest (a deoptimization may allocate once).
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            List<CompletableFuture<Long>> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                writers.add(CompletableFuture.supplyAsync(() -> {
                    ByteBuffer packet = ByteBuffer.allocateDirect(28);
                    long before = 0;
                    for (int i = 0; i < 10_000; i++) {
                        if (i == 5000) {
                            before = threads.getCurrentThreadAllocatedBytes();
                        }
                        try {
                            assertEquals(28, tun.write(packet.clear().put(junk).flip()));
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    return threads.getCurrentThreadAllocatedBytes() - before;
                }, pool));
            }
            ByteBuffer reply = ByteBuffer.wrap(Icmp.echoReply(request));
            int length = reply.remaining();
            assertEquals(length, tun.write(reply));
            for (CompletableFuture<Long> writer : writers) {
                long allocated = writer.get(30, TimeUnit.SECONDS);
                assertTrue(allocated < 5000, "5000 writes allocated " + allocated + " bytes");
            }
            ExecResult result = ping.get(15, TimeUnit.SECONDS);
            assertTrue(result.ok() && result.stdout().contains("1 received"), result::describe);
        }
    }

    @Test
    void shouldHandOverTcpSuperPacketsThatSplitIntoValidSegments() throws Exception {
        int subnet = ThreadLocalRandom.current().nextInt(1, 255);
        InetAddress local = InetAddress.getByName("10.245." + subnet + ".1");
        InetAddress peer = InetAddress.getByName("10.245." + subnet + ".2");
        try (Netns ns = Netns.create(); LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname(), true)) {
            up(tun, ns, local);
            Pump pump = Pump.start(tun);
            // A client that sends a patterned 256 KiB stream; nobody acknowledges beyond the handshake.
            String client = "import socket\n"
                    + "s = socket.create_connection(('" + peer.getHostAddress() + "', " + PEER_PORT + "), timeout=4)\n"
                    + "data = bytes(i % 251 for i in range(262144))\n"
                    + "try:\n    s.sendall(data)\nexcept OSError:\n    pass\n";
            CompletableFuture<ExecResult> sender = CompletableFuture.supplyAsync(
                    () -> ns.exec(Duration.ofSeconds(12), "python3", "-c", client));

            Read syn = pump.nextTcp(0x02);
            assertNotNull(syn, "no SYN came out of the TUN");
            // The SYN itself may carry only a partial checksum (TUN_F_CSUM): complete and verify it.
            ByteBuffer synBuffer = ByteBuffer.wrap(syn.packet());
            assertTrue(TsoSplitter.completeChecksum(synBuffer, syn.hdr()), syn.hdr()::toString);
            assertTrue(tcpChecksumValid(syn.packet()), "SYN checksum after completion");
            long clientIsn = u32(syn.packet(), 24);
            tun.write(ByteBuffer.wrap(synAck(syn.packet(), clientIsn)));

            Read gso = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (gso == null && System.nanoTime() < deadline) {
                Read read = pump.nextTcp(0);
                assertNotNull(read, "the connection sent nothing after the handshake");
                if (read.hdr().isGso()) {
                    gso = read;
                }
            }
            assertNotNull(gso, "the kernel sent no TCP super-packet within " + WAIT);
            VirtioNetHdr hdr = gso.hdr();
            assertEquals(VirtioNetHdr.GSO_TCPV4, hdr.gsoType & ~VirtioNetHdr.GSO_ECN, hdr::toString);
            assertTrue(hdr.needsChecksum(), hdr::toString);

            TsoSplitter splitter = new TsoSplitter();
            byte[] superPacket = gso.packet();
            int segments = splitter.begin(ByteBuffer.wrap(superPacket), hdr);
            assertTrue(segments >= 2, "segments: " + segments + " of " + hdr);
            long seq = u32(superPacket, 24);
            for (int i = 0; i < segments; i++) {
                ByteBuffer out = ByteBuffer.allocate(2000);
                int length = splitter.segment(i, out);
                byte[] segment = java.util.Arrays.copyOf(out.array(), length);
                assertTrue(length <= 20 + 20 + 40 + hdr.gsoSize && length <= 1500, "segment " + i + ": " + length);
                assertEquals(0xffff, fold(sum(segment, 0, 20)), "IPv4 header checksum of segment " + i);
                assertTrue(tcpChecksumValid(segment), "TCP checksum of segment " + i);
                assertEquals(seq, u32(segment, 24), "sequence number of segment " + i);
                int headers = 20 + ((segment[32] & 0xff) >>> 4) * 4;
                for (int b = headers; b < length; b++) {
                    long streamOffset = (seq - clientIsn - 1 + b - headers) & 0xffff_ffffL;
                    assertEquals((byte) (streamOffset % 251), segment[b], "byte " + b + " of segment " + i);
                }
                seq = (seq + length - headers) & 0xffff_ffffL;
            }
            System.err.printf("LinuxTunOffloadTest: super-packet of %d bytes, gso_size %d, %d segments%n",
                    superPacket.length, hdr.gsoSize, segments);
            // Nobody acknowledges the data, so the client's send times out and it exits.
            sender.get(20, TimeUnit.SECONDS);
        }
    }

    private static void up(LinuxTun tun, Netns ns, InetAddress local) {
        io.jwg.tests.support.Exec.runOk("ip", "link", "set", "dev", tun.name(), "netns", ns.name());
        ns.execOk("ip", "addr", "add", local.getHostAddress() + "/24", "dev", tun.name());
        ns.execOk("ip", "link", "set", tun.name(), "up");
    }

    /** The far end's SYN-ACK to an IPv4 SYN: MSS 1400, a 64 KB window, checksums computed here. */
    private static byte[] synAck(byte[] syn, long clientIsn) {
        byte[] p = new byte[20 + 24];
        p[0] = 0x45;
        putU16(p, 2, p.length);
        p[6] = 0x40;
        p[8] = 64;
        p[9] = 6;
        System.arraycopy(syn, 16, p, 12, 4); // source: the SYN's destination
        System.arraycopy(syn, 12, p, 16, 4);
        putU16(p, 10, ~fold(sum(p, 0, 20)) & 0xffff);
        putU16(p, 20, PEER_PORT);
        System.arraycopy(syn, 20, p, 22, 2); // destination port: the client's
        putU32(p, 24, PEER_ISN);
        putU32(p, 28, (clientIsn + 1) & 0xffff_ffffL);
        p[32] = (byte) (6 << 4);
        p[33] = 0x12; // SYN | ACK
        putU16(p, 34, 65535);
        p[40] = 2;
        p[41] = 4;
        putU16(p, 42, 1400);
        putU16(p, 36, ~fold(pseudo(p) + sum(p, 20, 24)) & 0xffff);
        return p;
    }

    private static boolean tcpChecksumValid(byte[] p) {
        return fold(pseudo(p) + sum(p, 20, p.length - 20)) == 0xffff;
    }

    private static long pseudo(byte[] p) {
        return sum(p, 12, 8) + 6 + (p.length - 20);
    }

    private static long sum(byte[] p, int from, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            sum += (p[from + i] & 0xff) << 8 | (i + 1 < length ? p[from + i + 1] & 0xff : 0);
        }
        return sum;
    }

    private static int fold(long sum) {
        while (sum > 0xffff) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) sum;
    }

    private static long u32(byte[] p, int at) {
        return ((p[at] & 0xffL) << 24) | (p[at + 1] & 0xff) << 16 | (p[at + 2] & 0xff) << 8 | p[at + 3] & 0xff;
    }

    private static void putU16(byte[] p, int at, int value) {
        p[at] = (byte) (value >>> 8);
        p[at + 1] = (byte) value;
    }

    private static void putU32(byte[] p, int at, long value) {
        putU16(p, at, (int) (value >>> 16) & 0xffff);
        putU16(p, at + 2, (int) value & 0xffff);
    }

    /** One read: its virtio header and the packet behind it. */
    private record Read(VirtioNetHdr hdr, byte[] packet) {
    }

    /** Reads on a thread of its own into a queue, until {@link TunDevice#CLOSED}. */
    private static final class Pump {
        private final BlockingQueue<Read> reads = new LinkedBlockingQueue<>();

        static Pump start(TunDevice tun) {
            Pump pump = new Pump();
            Thread.ofPlatform().name("tun-offload-pump").daemon().start(() -> {
                ByteBuffer buffer = ByteBuffer.allocateDirect(70_000);
                try {
                    while (true) {
                        buffer.clear();
                        if (tun.read(buffer) == TunDevice.CLOSED) {
                            return;
                        }
                        buffer.flip();
                        VirtioNetHdr hdr = new VirtioNetHdr();
                        if (!hdr.decode(buffer, 0)) {
                            throw new IllegalStateException("a read of " + buffer.limit() + " bytes has no virtio header");
                        }
                        byte[] packet = new byte[buffer.limit() - VirtioNetHdr.SIZE];
                        buffer.get(VirtioNetHdr.SIZE, packet);
                        pump.reads.add(new Read(hdr, packet));
                    }
                } catch (IOException | RuntimeException e) {
                    e.printStackTrace();
                }
            });
            return pump;
        }

        Read next() throws InterruptedException {
            return reads.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The next IPv4 TCP packet to {@link #PEER_PORT} with all of {@code flags} set, skipping the rest. */
        Read nextTcp(int flags) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                Read read = reads.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (read == null) {
                    return null;
                }
                byte[] p = read.packet();
                if (p.length >= 40 && p[0] == 0x45 && p[9] == 6 && ((p[22] & 0xff) << 8 | p[23] & 0xff) == PEER_PORT
                        && (p[33] & flags) == flags) {
                    return read;
                }
            }
        }
    }
}
