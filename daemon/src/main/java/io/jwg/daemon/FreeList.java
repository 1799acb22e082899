package io.jwg.daemon;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A bounded lock-free multi-producer multi-consumer queue (Dmitry Vyukov's array queue) for
 * the packet pool: any thread releases, any thread acquires, nothing is allocated and no thread
 * ever waits for another's lock (a monitor here was contended by the TUN reader, the event loop
 * and every crypto worker at once).
 */
final class FreeList<T> {
    private final int mask;
    private final AtomicReferenceArray<T> items;
    private final AtomicLongArray sequences;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();

    /** A queue of {@code capacity} (a power of two) slots. */
    FreeList(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two");
        }
        mask = capacity - 1;
        items = new AtomicReferenceArray<>(capacity);
        sequences = new AtomicLongArray(capacity);
        for (int i = 0; i < capacity; i++) {
            sequences.set(i, i);
        }
    }

    /** Adds an item; false when full. */
    boolean offer(T item) {
        while (true) {
            long t = tail.get();
            int index = (int) (t & mask);
            long seq = sequences.get(index);
            if (seq == t) {
                if (tail.compareAndSet(t, t + 1)) {
                    items.lazySet(index, item);
                    sequences.set(index, t + 1);
                    return true;
                }
            } else if (seq < t) {
                return false;
            }
        }
    }

    /** Takes an item, or null when empty. */
    T poll() {
        while (true) {
            long h = head.get();
            int index = (int) (h & mask);
            long seq = sequences.get(index);
            if (seq == h + 1) {
                if (head.compareAndSet(h, h + 1)) {
                    T item = items.get(index);
                    items.lazySet(index, null);
                    sequences.set(index, h + mask + 1);
                    return item;
                }
            } else if (seq < h + 1) {
                return null;
            }
        }
    }
}
