package io.jwg.core.replay;

import io.jwg.core.Allocations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The kernel's counter selftest (drivers/net/wireguard/selftest/counter.c) case by case, plus a
 * randomized comparison with a naive model.
 */
class ReplayWindowTest {

    private static final long W = ReplayWindow.WINDOW_SIZE;
    /** The kernel test's T_LIM. */
    private static final long LIM = W + 1;
    /** wireguard-go's RejectAfterMessages: 2^64 - 2^13 - 1, as an unsigned long. */
    private static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;
    private static final long NO_LIMIT = -1L; // unsigned max

    private final ReplayWindow window = new ReplayWindow();

    private void check(int step, long counter, boolean expected) {
        assertEquals(expected, window.validate(counter, REJECT_AFTER_MESSAGES),
                "step " + step + ": counter " + Long.toUnsignedString(counter));
    }

    @Test
    void shouldMatchKernelSelftestSequence() {
        check(1, 0, true);
        check(2, 1, true);
        check(3, 1, false);            // duplicate
        check(4, 9, true);
        check(5, 8, true);             // out of order within window
        check(6, 7, true);
        check(7, 7, false);
        check(8, LIM, true);           // jump forward
        check(9, LIM - 1, true);
        check(10, LIM - 1, false);
        check(11, LIM - 2, true);
        check(12, 2, true);            // highest - 2 == W - 1: near the far edge, still inside
        check(13, 2, false);
        check(14, LIM + 16, true);
        check(15, 3, false);           // now too old
        check(16, LIM + 16, false);
        check(17, LIM * 4, true);      // big jump: clears the whole ring
        check(18, LIM * 4 - (LIM - 1), true); // highest - W: the oldest acceptable counter
        check(19, 10, false);
        check(20, LIM * 4 - LIM, false);      // highest - W - 1: just outside
        check(21, LIM * 4 - (LIM + 1), false);
        check(22, LIM * 4 - (LIM - 2), true);
        check(23, LIM * 4 + 1 - LIM, false);  // same counter as step 18
        check(24, 0, false);
        check(25, REJECT_AFTER_MESSAGES, false); // limit handling
        check(26, REJECT_AFTER_MESSAGES - 1, true);
        check(27, REJECT_AFTER_MESSAGES, false);
        check(28, REJECT_AFTER_MESSAGES - 1, false);
        check(29, REJECT_AFTER_MESSAGES - 2, true);
        check(30, REJECT_AFTER_MESSAGES + 1, false);
        check(31, REJECT_AFTER_MESSAGES + 2, false);
        check(32, REJECT_AFTER_MESSAGES - 2, false);
        check(33, REJECT_AFTER_MESSAGES - 3, true);
        check(34, 0, false);
    }

    @Test
    void shouldAcceptAscendingFillThenZero() {
        for (long i = 1; i <= W; i++) {
            check((int) i, i, true);
        }
        check(0, 0, true);   // highest - 0 == W: still inside
        check(0, 0, false);
    }

    @Test
    void shouldRejectZeroOneBeyondWindow() {
        for (long i = 2; i <= W + 1; i++) {
            check((int) i, i, true);
        }
        check(1, 1, true);
        check(0, 0, false);  // highest - 0 == W + 1
    }

    @Test
    void shouldAcceptDescendingFromWindowSize() {
        for (long i = W + 1; i-- > 0; ) {
            check((int) i, i, true);
        }
    }

    @Test
    void shouldRejectZeroAfterDescendingFromWindowSizePlusOne() {
        for (long i = W + 2; i-- > 1; ) {
            check((int) i, i, true);
        }
        check(0, 0, false);
    }

    @Test
    void shouldClearRecycledBlockWhenMovingForward() {
        for (long i = W + 1; i-- > 1; ) {
            check((int) i, i, true);
        }
        check(0, W + 1, true);  // wraps the ring onto block 0's slot, clearing it
        check(0, 0, false);     // and 0 is now too old
    }

    @Test
    void shouldAcceptZeroBeforeMovingForward() {
        for (long i = W + 1; i-- > 1; ) {
            check((int) i, i, true);
        }
        check(0, 0, true);
        check(0, W + 1, true);
    }

    @Test
    void shouldWrapTheRingManyTimes() {
        // Counters in steps of 63 walk every slot of the ring several times over.
        for (long c = 0; c < 20 * W; c += 63) {
            assertTrue(window.validate(c, NO_LIMIT), "fresh " + c);
            assertFalse(window.validate(c, NO_LIMIT), "duplicate " + c);
            if (c >= W) {
                assertFalse(window.validate(c - W - 1, NO_LIMIT), "too old " + (c - W - 1));
            }
        }
    }

    @Test
    void shouldHandleLimitBoundaries() {
        assertFalse(window.validate(100, 100));
        assertTrue(window.validate(99, 100));
        assertFalse(window.validate(101, 100));
        assertFalse(window.validate(0, 0));
        // Unsigned: a counter above 2^63 is large, not negative.
        assertFalse(window.validate(Long.MIN_VALUE, Long.MAX_VALUE));
        assertTrue(window.validate(Long.MIN_VALUE, Long.MIN_VALUE + 1));
        assertFalse(window.validate(99, NO_LIMIT)); // far behind the new highest
        assertTrue(window.validate(Long.MIN_VALUE - 1, NO_LIMIT));
        assertFalse(window.validate(-1L, -1L));
        assertTrue(window.validate(-2L, -1L));
    }

    @Test
    void shouldForgetEverythingOnReset() {
        assertTrue(window.validate(5000, NO_LIMIT));
        assertFalse(window.validate(5000, NO_LIMIT));
        window.reset();
        assertTrue(window.validate(5000, NO_LIMIT));
        window.reset();
        assertTrue(window.validate(0, NO_LIMIT));
        assertTrue(window.validate(1, NO_LIMIT));
    }

    /**
     * The ring keeps whole 64-bit blocks, but because it holds 128 blocks while the window spans
     * only 127 of them below the current block, the acceptance rule collapses to an exact model
     * that ignores alignment: accept iff {@code counter < limit} and either {@code counter > highest}
     * or ({@code highest - counter <= WINDOW_SIZE} and the counter was never accepted). This test
     * checks that model exactly, also across the signed-overflow boundary at 2^63 and up against
     * the unsigned limit.
     */
    @Test
    void shouldMatchNaiveModelOnRandomCounters() {
        long[] bases = {0L, Long.MAX_VALUE - 20_000, -60_000L};
        SplittableRandom random = new SplittableRandom(0x5eed_6479L);
        for (long base : bases) {
            ReplayWindow w = new ReplayWindow();
            Set<Long> seen = new HashSet<>();
            long highest = 0;
            long limit = base + 50_000;
            // Start the model where the window is after accepting base (unless base is 0).
            if (base != 0) {
                assertTrue(w.validate(base, limit));
                seen.add(base);
                highest = base;
            }
            long cursor = base;
            for (int i = 0; i < 200_000; i++) {
                long counter;
                int kind = random.nextInt(10);
                if (kind < 5) {
                    counter = cursor - random.nextInt(2 * ReplayWindow.WINDOW_SIZE); // near the edge
                } else if (kind < 8) {
                    counter = cursor + random.nextInt(200);
                    cursor = counter;
                } else if (kind < 9) {
                    counter = cursor + random.nextInt(3 * ReplayWindow.WINDOW_SIZE); // ring-clearing jumps
                    cursor = counter;
                } else {
                    counter = highest - ReplayWindow.WINDOW_SIZE + random.nextInt(3) - 1; // exact edge
                }
                if (Long.compareUnsigned(cursor, limit) >= 0) {
                    cursor = base;
                }
                boolean expected = Long.compareUnsigned(counter, limit) < 0
                        && (Long.compareUnsigned(counter, highest) > 0
                            || (Long.compareUnsigned(highest - counter, ReplayWindow.WINDOW_SIZE) <= 0
                                && !seen.contains(counter)));
                assertEquals(expected, w.validate(counter, limit),
                        "base " + base + " op " + i + " counter " + Long.toUnsignedString(counter)
                                + " highest " + Long.toUnsignedString(highest));
                if (expected) {
                    seen.add(counter);
                    if (Long.compareUnsigned(counter, highest) > 0) {
                        highest = counter;
                    }
                }
            }
        }
    }

    @Test
    void shouldNotAllocateWhenValidating() {
        ReplayWindow w = new ReplayWindow();
        long sink = 0;
        for (int round = 0; round < 3; round++) {
            long before = Allocations.allocatedBytes();
            for (long c = 0; c < 200_000; c++) {
                sink += w.validate(c * 3 % 100_000 + round * 1_000_000L, NO_LIMIT) ? 1 : 0;
            }
            long allocated = Allocations.allocatedBytes() - before;
            if (round > 0) {
                assertTrue(allocated < 4096, allocated + " bytes allocated in round " + round);
            }
        }
        assertTrue(sink > 0);
    }

}
