package io.jwg.daemon;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One peer's ordered queue for one direction (wireguard-go's per-peer {@code queue.outbound} /
 * {@code queue.inbound}): packets enter in order, before their crypto starts, from one producer
 * at a time (outbound: whoever holds the tunnel's lock, which also hands out the counters;
 * inbound: the UDP event loop); crypto completes in any
 * order on the workers; whoever completes one then drains the queue's finished head in order.
 * Only one thread drains at a time (a CAS flag), there is no thread per peer, and the drainer
 * re-checks after letting go so that a completion racing with its exit is never stranded.
 * A producer asks {@link #congested} first: the queue turns packets away when it is full or when
 * its packets wait too long ({@link Codel}), so one bulk flow cannot make every flow wait.
 */
final class PeerQueue {
    /** wireguard-go QueueOutboundSize / QueueInboundSize. */
    static final int CAPACITY = 1024;
    private static final int MASK = CAPACITY - 1;

    /** What a drain hands its batches to; called by one thread at a time, in order. */
    interface Sink {
        /** Delivers {@code batch[0..count)} and returns them to the pool. */
        void deliver(DataPacket[] batch, int count, Worker worker);
    }

    private final DataPacket[] ring = new DataPacket[CAPACITY];
    private final AtomicBoolean draining = new AtomicBoolean();
    private final Sink sink;
    private final Codel codel = new Codel();
    private volatile long head;
    private volatile long tail;

    PeerQueue(Sink sink) {
        this.sink = sink;
    }

    /**
     * Appends a packet queued at {@code now} (System.nanoTime; one producer at a time, see
     * above); false when the queue is full.
     */
    boolean offer(DataPacket packet, long now) {
        long t = tail;
        if (t - head >= CAPACITY) {
            return false;
        }
        packet.queuedNanos = now;
        ring[(int) (t & MASK)] = packet;
        tail = t + 1;
        return true;
    }

    boolean isFull() {
        return tail - head >= CAPACITY;
    }

    /**
     * Whether a packet arriving at {@code now} should be dropped: the queue is full, or
     * {@link Codel} says its oldest packet has waited too long. The producer's call. The head
     * may be delivered and its packet reused meanwhile; then the wait read is too short or
     * zero, which at worst admits one packet that could have been dropped.
     */
    boolean congested(long now) {
        long h = head;
        long t = tail;
        if (t - h >= CAPACITY) {
            return true;
        }
        long wait = 0;
        if (t != h) {
            DataPacket oldest = ring[(int) (h & MASK)];
            if (oldest != null) {
                wait = now - oldest.queuedNanos;
            }
        }
        return codel.shouldDrop(now, wait);
    }

    /** Delivers the finished packets at the head, in order, unless another thread already is. */
    void drain(Worker worker) {
        do {
            if (!draining.compareAndSet(false, true)) {
                return;
            }
            try {
                DataPacket[] batch = worker.batch;
                while (true) {
                    long h = head;
                    long t = tail;
                    int n = 0;
                    while (h + n < t && n < batch.length) {
                        DataPacket p = ring[(int) ((h + n) & MASK)];
                        if (!p.done) {
                            break;
                        }
                        batch[n++] = p;
                    }
                    if (n == 0) {
                        break;
                    }
                    for (int i = 0; i < n; i++) {
                        ring[(int) ((h + i) & MASK)] = null;
                    }
                    head = h + n;
                    sink.deliver(batch, n, worker);
                }
            } finally {
                draining.set(false);
            }
        } while (headDone());
    }

    private boolean headDone() {
        long h = head;
        if (h == tail) {
            return false;
        }
        DataPacket p = ring[(int) (h & MASK)];
        return p != null && p.done;
    }
}
