package io.jwg.core.replay;

import java.util.Arrays;

/**
 * Sliding anti-replay window for transport message counters (RFC 6479), bit-for-bit the
 * behaviour of wireguard-go's {@code replay.ReplayFilter} and the kernel's counter_validate.
 *
 * <p>The window is a ring of {@value #RING_BLOCKS} 64-bit blocks. The block holding the highest
 * counter seen so far is always "current"; the other 127 blocks cover the
 * {@value #WINDOW_SIZE} counters below it. Moving forward clears whole blocks instead of shifting
 * bits, which is what makes the check O(1) and allocation-free.
 *
 * <p>Counters and limits are unsigned 64-bit values carried in {@code long}s.
 *
 * <p>Not thread-safe: the caller serialises {@link #validate} per keypair (the receive path
 * validates the counter only after decryption, on the peer's ordered path).
 */
public final class ReplayWindow {

    /** Number of counters below the highest one that can still be accepted: (128 - 1) * 64. */
    public static final int WINDOW_SIZE = 8128;

    private static final int BLOCK_BITS_LOG = 6;
    private static final int RING_BLOCKS = 128;
    private static final int RING_MASK = RING_BLOCKS - 1;

    static {
        // WINDOW_SIZE is spelled as a literal so it shows in Javadoc; keep it honest.
        assert WINDOW_SIZE == (RING_BLOCKS - 1) << BLOCK_BITS_LOG;
    }

    private final long[] ring = new long[RING_BLOCKS];
    /** Highest counter accepted so far (unsigned); 0 after reset, as in wireguard-go. */
    private long highest;

    /** Creates an empty window, as if {@link #reset()} had been called. */
    public ReplayWindow() {
    }

    /** Forgets every counter seen; used when a keypair's receiving side is (re)initialised. */
    public void reset() {
        highest = 0;
        Arrays.fill(ring, 0L);
    }

    /**
     * Checks a received counter and records it.
     *
     * @param counter the message counter (unsigned 64-bit)
     * @param limit   counters at or above this (unsigned) are rejected, e.g. RejectAfterMessages
     * @return {@code true} if the counter is below {@code limit}, not older than the window and
     *         not seen before (it is now marked seen); {@code false} otherwise, state unchanged
     */
    public boolean validate(long counter, long limit) {
        if (Long.compareUnsigned(counter, limit) >= 0) {
            return false;
        }
        long block = counter >>> BLOCK_BITS_LOG;
        if (Long.compareUnsigned(counter, highest) > 0) {
            // Slide forward: every block between the old current one and the new one starts empty.
            // A jump of a full ring or more clears everything, hence the cap.
            long current = highest >>> BLOCK_BITS_LOG;
            long advance = block - current;
            int toClear = Long.compareUnsigned(advance, RING_BLOCKS) < 0 ? (int) advance : RING_BLOCKS;
            for (int i = 1; i <= toClear; i++) {
                ring[(int) ((current + i) & RING_MASK)] = 0L;
            }
            highest = counter;
        } else if (Long.compareUnsigned(highest - counter, WINDOW_SIZE) > 0) {
            return false;
        }
        int index = (int) (block & RING_MASK);
        long bit = 1L << counter; // Java masks the shift to the low 6 bits: the bit within the block
        long old = ring[index];
        ring[index] = old | bit;
        return (old & bit) == 0;
    }
}
