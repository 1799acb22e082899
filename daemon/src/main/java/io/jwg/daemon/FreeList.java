package io.jwg.daemon;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The packet pool's free list: a lock-free LIFO stack (Treiber) of item ids with a version tag in
 * the head word against ABA, so any thread may release and any thread acquire, nothing is
 * allocated, and no thread waits on another (a monitor here was contended by the TUN reader,
 * the event loop and every crypto worker). LIFO hands out the most recently used, cache-warm
 * buffers first. Each item has a fixed id below the capacity and is pushed at most once at a
 * time, so the stack is never full.
 *
 * <p>(A bounded array queue was tried first: a consumer preempted between claiming a slot and
 * freeing it makes producers one lap later see "full", which lost pooled packets.)
 */
final class FreeList<T> {
    private static final int EMPTY = -1;
    private final AtomicReferenceArray<T> items;
    private final AtomicIntegerArray next;
    /** Version tag in the high 32 bits, top item id (or EMPTY) in the low 32 bits. */
    private final AtomicLong head = new AtomicLong(pack(0, EMPTY));

    /** A free list for items with ids {@code 0 .. capacity-1}. */
    FreeList(int capacity) {
        items = new AtomicReferenceArray<>(capacity);
        next = new AtomicIntegerArray(capacity);
    }

    /** Pushes {@code item} with its {@code id}; it must not be in the list already. */
    void offer(int id, T item) {
        items.set(id, item);
        while (true) {
            long h = head.get();
            next.set(id, (int) h);
            if (head.compareAndSet(h, pack((int) (h >>> 32) + 1, id))) {
                return;
            }
        }
    }

    /** Pops the most recently pushed item, or null when empty. */
    T poll() {
        while (true) {
            long h = head.get();
            int top = (int) h;
            if (top == EMPTY) {
                return null;
            }
            int below = next.get(top);
            if (head.compareAndSet(h, pack((int) (h >>> 32) + 1, below))) {
                return items.get(top);
            }
        }
    }

    private static long pack(int tag, int id) {
        return ((long) tag << 32) | (id & 0xffffffffL);
    }
}
