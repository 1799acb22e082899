package io.jwg.daemon;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * A bounded queue of packets awaiting crypto, shared by the worker threads of one direction,
 * that wakes workers only when work piles up. The producer (TUN reader or UDP event loop) does
 * the crypto of what is left itself at the end of each burst ({@link #help}), so a small burst
 * costs no thread hand-off at all (on a 2-core machine a wake-up costs more than sealing a
 * 1400-byte packet), while a deep queue fans out over all workers, which is what makes
 * throughput grow with cores. Nothing is ever stranded: the producer always helps until empty.
 */
final class CryptoQueue {
    /** Queued packets at which an idle worker is woken. */
    static final int WAKE_DEPTH = 8;

    /** Runs one packet's crypto on the calling thread with its own {@link Worker}. */
    interface Job {
        void run(DataPacket packet, Worker worker);
    }

    private final ArrayBlockingQueue<DataPacket> queue;
    private final Job job;
    private final Object idleLock = new Object();
    private volatile int idle;

    CryptoQueue(int capacity, Job job) {
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.job = job;
    }

    /** Queues a packet; false when full. Wakes an idle worker once the queue is deep enough. */
    boolean offer(DataPacket p) {
        if (!queue.offer(p)) {
            return false;
        }
        if (idle > 0 && queue.size() >= WAKE_DEPTH) {
            synchronized (idleLock) {
                idleLock.notify();
            }
        }
        return true;
    }

    /** Does queued crypto on the calling thread until the queue is empty. */
    void help(Worker worker) {
        DataPacket p;
        while ((p = queue.poll()) != null) {
            job.run(p, worker);
        }
    }

    /** A worker thread's loop: help, then sleep until woken; returns when interrupted. */
    void serve(Worker worker) {
        while (!Thread.currentThread().isInterrupted()) {
            help(worker);
            synchronized (idleLock) {
                if (!queue.isEmpty()) {
                    continue;
                }
                idle++;
                try {
                    idleLock.wait(100);
                } catch (InterruptedException e) {
                    return;
                } finally {
                    idle--;
                }
            }
        }
    }
}
