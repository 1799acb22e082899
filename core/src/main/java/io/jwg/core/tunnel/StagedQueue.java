package io.jwg.core.tunnel;

import io.jwg.core.Tuning;
import java.nio.ByteBuffer;

/**
 * Packets (and keepalives, length 0) waiting for a usable keypair, oldest first. A ring of
 * reusable heap buffers: a slot grows only when a bigger packet arrives, so a warmed-up queue
 * allocates nothing. When full, the oldest packet gives way, as in wireguard-go.
 */
final class StagedQueue {
    private static final int MIN_SLOT = 2048;
    private final ByteBuffer[] slots = new ByteBuffer[Tuning.MAX_STAGED_PACKETS];
    private int head;
    private int size;

    /** Copies {@code packet} (position to limit, left unchanged) in; returns true when the oldest was dropped. */
    boolean add(ByteBuffer packet) {
        boolean dropped = false;
        if (size == slots.length) {
            head = (head + 1) % slots.length;
            size--;
            dropped = true;
        }
        int index = (head + size) % slots.length;
        int length = packet.remaining();
        ByteBuffer slot = slots[index];
        if (slot == null || slot.capacity() < length) {
            slot = ByteBuffer.allocate(Math.max(MIN_SLOT, length));
            slots[index] = slot;
        }
        slot.clear();
        slot.put(0, packet, packet.position(), length);
        slot.limit(length);
        size++;
        return dropped;
    }

    /** The oldest packet (position 0, limit its length), still queued. */
    ByteBuffer peek() {
        return size == 0 ? null : slots[head];
    }

    /** Removes the oldest packet. */
    void remove() {
        if (size > 0) {
            head = (head + 1) % slots.length;
            size--;
        }
    }

    /** Drops every packet; returns how many were dropped. */
    int clear() {
        int dropped = size;
        head = 0;
        size = 0;
        return dropped;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }
}
