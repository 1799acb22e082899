package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The engine's threading contract: packet methods may run on many threads at once. Several
 * threads encapsulate for one peer (every message must get its own counter), then several
 * threads decapsulate the interleaved stream (the replay window must accept each exactly once).
 */
class ConcurrentEngineTest {
    private static final int THREADS = 4;
    // 8,000 messages in all: any interleaving stays inside the 8,128-counter replay window.
    private static final int PER_THREAD = 2_000;

    @Test
    void shouldGiveEveryPacketItsOwnCounterAndDeliverEachOnce() throws InterruptedException {
        TestNetwork net = new TestNetwork();
        net.a.send("hello".getBytes());
        net.pump();
        int deliveredBefore = net.b.delivered.size();

        ConcurrentLinkedQueue<byte[]> wire = new ConcurrentLinkedQueue<>();
        runConcurrently(t -> {
            ByteBuffer out = ByteBuffer.allocate(2048);
            Received received = new Received();
            for (int i = 0; i < PER_THREAD; i++) {
                byte[] payload = (t + ":" + i).getBytes();
                ByteBuffer packet = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "10.0.0.2", payload));
                assertEquals(Verdict.WRITE_TO_NETWORK, net.a.engine.encapsulate(packet, out, received));
                byte[] datagram = new byte[out.remaining()];
                out.get(out.position(), datagram);
                wire.add(datagram);
            }
        });
        List<byte[]> datagrams = new ArrayList<>(wire);
        assertEquals(THREADS * PER_THREAD, datagrams.size());
        Set<Long> counters = new HashSet<>();
        for (byte[] d : datagrams) {
            counters.add(ByteBuffer.wrap(d, 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
        }
        assertEquals(datagrams.size(), counters.size(), "no counter used twice");

        AtomicInteger delivered = new AtomicInteger();
        ConcurrentLinkedQueue<String> payloads = new ConcurrentLinkedQueue<>();
        InetSocketAddress source = net.a.address;
        runConcurrently(t -> {
            ByteBuffer out = ByteBuffer.allocate(2048);
            Received received = new Received();
            for (int i = t; i < datagrams.size(); i += THREADS) {
                Verdict verdict = net.b.engine.decapsulate(ByteBuffer.wrap(datagrams.get(i)), source, false, out, received);
                if (verdict == Verdict.WRITE_TO_TUNNEL) {
                    delivered.incrementAndGet();
                    byte[] packet = new byte[out.remaining() - 20];
                    out.get(out.position() + 20, packet);
                    payloads.add(new String(packet));
                }
            }
        });
        assertEquals(THREADS * PER_THREAD, delivered.get(),
                "replayed: " + net.b.engine.drops(DropReason.REPLAYED_COUNTER));
        assertEquals(THREADS * PER_THREAD, new HashSet<>(payloads).size(), "each payload exactly once");
        assertEquals(deliveredBefore, net.b.delivered.size());
        assertTrue(net.b.tunnel.rxBytes() >= net.a.tunnel.txBytes() - 200, "byte counters kept up");
    }

    private interface Work {
        void run(int thread) throws Exception;
    }

    private static void runConcurrently(Work work) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int t = 0; t < THREADS; t++) {
            int index = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    work.run(index);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("worker failed");
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }
}
