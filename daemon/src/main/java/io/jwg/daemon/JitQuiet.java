package io.jwg.daemon;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Waits for the JIT to finish what the training queued. The ahead-of-time cache records the
 * compilations done when the JVM exits; one still queued or running then is lost, and a daemon
 * starts with the profile of the tier before it. Quiet means the compilers' total time stayed
 * the same over {@link #STILL}.
 */
final class JitQuiet {
    private static final Duration STILL = Duration.ofMillis(500);
    private static final long POLL_MILLIS = 50;

    private JitQuiet() {
    }

    /** True once the JIT is quiet, false when {@code atMost} passed first or there is no JIT to watch. */
    static boolean await(Duration atMost) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return false;
        }
        long deadline = System.nanoTime() + atMost.toNanos();
        long total = jit.getTotalCompilationTime();
        long stillSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS);
            long now = jit.getTotalCompilationTime();
            if (now != total) {
                total = now;
                stillSince = System.nanoTime();
            } else if (System.nanoTime() - stillSince >= STILL.toNanos()) {
                return true;
            }
        }
        return false;
    }
}
