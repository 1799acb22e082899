package io.jwg.daemon;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A bounded queue of packets awaiting crypto, shared by the worker threads of one direction,
 * that wakes workers only when work piles up. The producer (TUN reader or UDP event loop) does
 * the crypto of what is left itself at the end of each burst ({@link #help}), so a small burst
 * costs no thread hand-off at all (on a 2-core machine a wake-up costs more than sealing a
 * 1400-byte packet), while a deep queue fans out over all workers, which is what makes
 * throughput grow with cores. Nothing is ever stranded: the producer always helps until empty.
 *
 * <p>Waking takes no lock: each worker has a parked flag; a waker claims one flag by CAS and
 * unparks that thread only (an earlier version notified on a shared monitor for every offer,
 * and the producer spent most of its time contending for that monitor with waking workers).
 */
final class CryptoQueue {
    /**
     * Queued packets at which an idle worker is woken (system property {@code jwg.cryptoWakeDepth}).
     * Measured on 2 vCPUs, warm, single TCP stream: 2 -> 296-370 Mbit/s, 8 -> 365-375,
     * 32 -> 460-569, 64 -> 509-558, never -> 449-501: below ~32 the wake-ups cost more than the
     * parallelism gains there; bursts deeper than that still fan out over every core.
     */
    static final int WAKE_DEPTH = Math.max(1, Integer.getInteger("jwg.cryptoWakeDepth", 32));
    private static final int MAX_WORKERS = 256;

    /** Runs one packet's crypto on the calling thread with its own {@link Worker}. */
    interface Job {
        void run(DataPacket packet, Worker worker);
    }

    private final ArrayBlockingQueue<DataPacket> queue;
    private final Job job;
    private final Thread[] workers = new Thread[MAX_WORKERS];
    private final AtomicBoolean[] parked = new AtomicBoolean[MAX_WORKERS];
    private volatile int workerCount;

    CryptoQueue(int capacity, Job job) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.job = job;
    }

    /** Queues a packet; false when full. Wakes an idle worker once the queue is deep enough. */
    boolean offer(DataPacket p) {
        if (!queue.offer(p)) {
            return false;
        }
        if (queue.size() >= WAKE_DEPTH) {
            wakeOne();
        }
        return true;
    }

    private void wakeOne() {
        int n = workerCount;
        for (int i = 0; i < n; i++) {
            AtomicBoolean flag = parked[i];
            if (flag.get() && flag.compareAndSet(true, false)) {
                LockSupport.unpark(workers[i]);
                return;
            }
        }
    }

    /** Does queued crypto on the calling thread until the queue is empty. */
    void help(Worker worker) {
        DataPacket p;
        while ((p = queue.poll()) != null) {
            job.run(p, worker);
        }
    }

    /**
     * A worker thread's loop: help, then sleep until woken; returns when interrupted. The sleep
     * has no timeout: a waker always unparks the worker whose flag it claimed, and the producer
     * helps until the queue is empty, so an idle daemon's workers never wake for nothing.
     */
    void serve(Worker worker) {
        int slot;
        synchronized (this) {
            slot = workerCount;
            workers[slot] = Thread.currentThread();
            parked[slot] = new AtomicBoolean();
            workerCount = slot + 1;
        }
        AtomicBoolean flag = parked[slot];
        while (!Thread.currentThread().isInterrupted()) {
            help(worker);
            flag.set(true);
            if (!queue.isEmpty()) {
                flag.set(false);
                continue;
            }
            LockSupport.park(this);
            flag.set(false);
        }
    }
}
