package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CoDel's control law at enqueue, driven by explicit times; and the peer queue asking it. */
class CodelTest {
    private static final long T0 = 1_000_000_000L;
    private static final long TARGET = Codel.TARGET_NANOS;
    private static final long INTERVAL = Codel.INTERVAL_NANOS;

    @Test
    void shouldNeverDropWhilePacketsWaitNoLongerThanTheTarget() {
        Codel codel = new Codel();
        for (long t = 0; t < 100 * INTERVAL; t += 1000) {
            assertFalse(codel.shouldDrop(T0 + t, TARGET));
        }
    }

    @Test
    void shouldDropOnceThenMoreOftenWhileTheWaitStaysAboveTheTarget() {
        Codel codel = new Codel();
        long late = TARGET + 1;
        assertTrue(codel.shouldDrop(T0, late));
        assertFalse(codel.shouldDrop(T0 + 1, late));
        assertFalse(codel.shouldDrop(T0 + INTERVAL - 1, late));
        assertTrue(codel.shouldDrop(T0 + INTERVAL, late));
        long second = T0 + INTERVAL;
        long spacing = (long) (INTERVAL / Math.sqrt(2));
        assertFalse(codel.shouldDrop(second + spacing - 1, late));
        assertTrue(codel.shouldDrop(second + spacing, late));
        long third = second + spacing;
        assertTrue(codel.shouldDrop(third + (long) (INTERVAL / Math.sqrt(3)), late));
    }

    @Test
    void shouldStartOverOnceTheWaitIsBackUnderTheTarget() {
        Codel codel = new Codel();
        assertTrue(codel.shouldDrop(T0, 2 * TARGET));
        assertTrue(codel.shouldDrop(T0 + INTERVAL, 2 * TARGET));
        assertFalse(codel.shouldDrop(T0 + INTERVAL + 1, 0));
        // A new episode drops at once, then waits a whole interval again.
        assertTrue(codel.shouldDrop(T0 + INTERVAL + 2, 2 * TARGET));
        assertFalse(codel.shouldDrop(T0 + 2 * INTERVAL, 2 * TARGET));
        assertTrue(codel.shouldDrop(T0 + 2 * INTERVAL + 2, 2 * TARGET));
    }

    @Test
    void shouldTurnPacketsAwayWhenTheOldestHasWaitedTooLongOrTheQueueIsFull() {
        PeerQueue queue = new PeerQueue((batch, count, worker) -> {
            for (int i = 0; i < count; i++) {
                batch[i] = null;
            }
        });
        assertFalse(queue.congested(T0), "empty");
        assertTrue(queue.offer(new DataPacket(0, 64), T0));
        assertFalse(queue.congested(T0 + TARGET), "oldest waited exactly the target");
        assertTrue(queue.congested(T0 + TARGET + 1), "oldest waited longer: first drop");
        assertFalse(queue.congested(T0 + TARGET + 2), "then not before the interval");
        int queued = 1;
        while (queue.offer(new DataPacket(queued, 64), T0 + TARGET + 2)) {
            queued++;
        }
        assertEquals(PeerQueue.CAPACITY, queued);
        assertTrue(queue.congested(T0 + TARGET + 3), "full");
    }
}
