package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {
    private static final long[] BOUNDS = {10_000, 100_000, 1_000_000, 10_000_000, 60_000_000_000L};

    @Test
    void shouldCountValuesAtOrBelowEachBoundCumulatively() {
        LatencyRecorder recorder = new LatencyRecorder();
        for (int i = 0; i < 10; i++) {
            recorder.record(2_000);
        }
        for (int i = 0; i < 5; i++) {
            recorder.record(50_000);
        }
        recorder.record(2_000_000);
        LatencyRecorder.Snapshot snapshot = recorder.snapshot(BOUNDS);
        assertArrayEquals(new long[] {10, 15, 15, 16, 16}, snapshot.cumulativeCounts());
        assertEquals(16, snapshot.count());
        double sum = 10 * 2_000 + 5 * 50_000 + 2_000_000;
        assertEquals(sum, snapshot.sumNanos(), sum * 0.01, "sum to the histogram's precision");
    }

    @Test
    void shouldAccumulateAcrossSnapshots() {
        LatencyRecorder recorder = new LatencyRecorder();
        recorder.record(5_000);
        assertEquals(1, recorder.snapshot(BOUNDS).count());
        recorder.record(5_000_000);
        LatencyRecorder.Snapshot snapshot = recorder.snapshot(BOUNDS);
        assertEquals(2, snapshot.count());
        assertArrayEquals(new long[] {1, 1, 1, 2, 2}, snapshot.cumulativeCounts());
    }

    @Test
    void shouldClampValuesOutsideTheRangeInsteadOfThrowing() {
        LatencyRecorder recorder = new LatencyRecorder();
        recorder.record(-1);
        recorder.record(Long.MAX_VALUE);
        LatencyRecorder.Snapshot snapshot = recorder.snapshot(BOUNDS);
        assertEquals(2, snapshot.count());
        assertArrayEquals(new long[] {1, 1, 1, 1, 2}, snapshot.cumulativeCounts(), "the huge one counts as 60 s");
    }

    @Test
    void shouldRecordWithoutAllocating() {
        LatencyRecorder recorder = new LatencyRecorder();
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        long allocated = Long.MAX_VALUE;
        for (int pass = 0; pass < 20 && allocated > 0; pass++) { // until the JIT has compiled it
            long before = threads.getThreadAllocatedBytes(id);
            for (int i = 0; i < 100_000; i++) {
                recorder.record(i * 1_000L);
            }
            allocated = threads.getThreadAllocatedBytes(id) - before;
        }
        assertEquals(0, allocated, "bytes allocated by 100,000 records");
        assertTrue(recorder.snapshot(BOUNDS).count() >= 100_000);
    }
}
