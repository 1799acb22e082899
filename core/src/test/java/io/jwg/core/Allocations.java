package io.jwg.core;

import java.lang.management.ManagementFactory;

/** Per-thread allocation counter for no-allocation checks in tests. */
public final class Allocations {
    private Allocations() {
    }

    /**
     * Bytes allocated by this thread so far. The counter picks up a few hundred bytes of JVM noise
     * per measurement (compilation, the counter itself), so checks allow a few KiB for 10^5+
     * operations: any per-operation allocation would show as megabytes.
     */
    public static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }
}
