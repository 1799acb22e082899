package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The ordered queue under concurrent completion: packets finish on several threads in any
 * order, and whoever finishes drains; every packet is delivered exactly once, in queue order,
 * and never by two threads at once. Also the lock-free pool.
 */
class PeerQueueTest {
    private static final int PACKETS = 200_000;
    private static final int THREADS = 4;

    @Test
    void shouldDeliverInOrderExactlyOnceWhateverThreadCompletes() throws Exception {
        List<DataPacket> delivered = new ArrayList<>(PACKETS);
        AtomicBoolean inSink = new AtomicBoolean();
        AtomicInteger overlaps = new AtomicInteger();
        PeerQueue queue = new PeerQueue((batch, count, worker) -> {
            if (!inSink.compareAndSet(false, true)) {
                overlaps.incrementAndGet();
            }
            for (int i = 0; i < count; i++) {
                delivered.add(batch[i]);
                batch[i] = null;
            }
            inSink.set(false);
        });
        Map<DataPacket, Integer> order = new IdentityHashMap<>();
        ArrayBlockingQueue<DataPacket> work = new ArrayBlockingQueue<>(PeerQueue.CAPACITY);
        List<Thread> completers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            completers.add(Thread.ofPlatform().start(() -> {
                Worker worker = new Worker();
                try {
                    while (true) {
                        DataPacket p = work.poll(2, TimeUnit.SECONDS);
                        if (p == null) {
                            return;
                        }
                        if ((System.nanoTime() & 7) == 0) {
                            Thread.yield(); // shuffle completion order a little more
                        }
                        p.done = true;
                        queue.drain(worker);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        // A small set of packets cycles through the queue, as the pool does.
        DataPacket[] ring = new DataPacket[PeerQueue.CAPACITY];
        for (int i = 0; i < PACKETS; i++) {
            DataPacket p = new DataPacket(0, 16);
            p.reset();
            order.put(p, i);
            while (!queue.offer(p, System.nanoTime())) {
                Thread.onSpinWait();
            }
            work.put(p);
            ring[i % ring.length] = p;
        }
        for (Thread t : completers) {
            t.join();
        }
        assertEquals(0, overlaps.get(), "two drainers at once");
        assertEquals(PACKETS, delivered.size());
        for (int i = 0; i < PACKETS; i++) {
            assertEquals(i, order.get(delivered.get(i)), "delivery order");
        }
    }

    @Test
    void shouldPoolWithoutLosingOrDuplicatingPackets() throws Exception {
        FreeList<DataPacket> pool = new FreeList<>(64);
        List<DataPacket> all = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            DataPacket p = new DataPacket(i, 16);
            all.add(p);
            pool.offer(p.id, p);
        }
        AtomicInteger held = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 200_000; i++) {
                    DataPacket p = pool.poll();
                    if (p == null) {
                        continue;
                    }
                    if (p.live) {
                        errors.incrementAndGet(); // someone else holds it too
                    }
                    p.live = true;
                    held.incrementAndGet();
                    p.live = false;
                    pool.offer(p.id, p);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, errors.get());
        assertTrue(held.get() > 0);
        Map<DataPacket, Boolean> seen = new IdentityHashMap<>();
        DataPacket p;
        while ((p = pool.poll()) != null) {
            assertNull(seen.put(p, true), "duplicate in pool");
        }
        assertEquals(64, seen.size());
        for (DataPacket q : all) {
            assertSame(Boolean.TRUE, seen.get(q));
        }
    }
}
