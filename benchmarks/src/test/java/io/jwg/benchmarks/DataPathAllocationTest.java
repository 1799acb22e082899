package io.jwg.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue #5's "0 B/op on the data path", held by a test and not only by {@code -prof gc} runs:
 * {@link DataPathBenchmark}'s whole per-packet path (route, reserve, seal with the daemon's
 * OpenSSL cipher, index lookup, open, replay window and source check) allocates nothing once
 * compiled. Warmed up first, since only C2 removes the short-lived objects escape analysis sees
 * through; then 64,000 packets may allocate less than one byte each on average (the thread's
 * counter picks up a few hundred bytes of JVM noise; any per-packet allocation would be
 * megabytes).
 */
class DataPathAllocationTest {
    private static final int WARM_BATCHES = 4000;
    private static final int MEASURED_BATCHES = 1000;

    @ParameterizedTest
    @ValueSource(ints = {1420, 80})
    void shouldAllocateNothingPerPacketOnceWarm(int size) {
        DataPathBenchmark path = new DataPathBenchmark();
        path.size = size;
        path.aead = "openssl";
        path.setup(); // a handshake and one checked trip: every packet arrives unchanged
        for (int i = 0; i < WARM_BATCHES; i++) {
            path.batch();
        }
        long delivered = path.batch();

        long before = allocatedBytes();
        for (int i = 0; i < MEASURED_BATCHES; i++) {
            path.batch();
        }
        long allocated = allocatedBytes() - before;

        long packets = (long) MEASURED_BATCHES * DataPathBenchmark.BATCH;
        assertEquals(delivered + packets * size, path.batch() - (long) DataPathBenchmark.BATCH * size,
                "every packet delivered");
        assertTrue(allocated < packets, allocated + " bytes allocated for " + packets + " packets of " + size + " B");
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
