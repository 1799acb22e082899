package io.jwg.daemon;

import java.util.concurrent.TimeUnit;

/**
 * Keeps per-packet log lines (drops and cookie replies, which a flood produces by the hundred
 * thousand) from flooding the log: at most {@value #LINES_PER_SECOND} such lines a second are
 * printed; the rest are counted, and a summary line says how many were suppressed once the second
 * is over ({@link #flush}, or the next line). Callers ask {@link #allow} before building a message.
 * Thread-safe.
 */
final class LogLimiter {
    /** Lines let through per one-second window. */
    static final int LINES_PER_SECOND = 5;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Log log;
    private long windowStart = System.nanoTime();
    private int lines;
    private long suppressed;

    LogLimiter(Log log) {
        this.log = log;
    }

    /** Whether the caller may log one more per-packet line now; counts it as suppressed if not. */
    synchronized boolean allow() {
        roll(System.nanoTime());
        if (lines < LINES_PER_SECOND) {
            lines++;
            return true;
        }
        suppressed++;
        return false;
    }

    /** Whether a summary line is waiting for its window to end (so {@link #flush} is due). */
    synchronized boolean pending() {
        return suppressed > 0;
    }

    /** Prints the summary of a window that is over; called periodically so the last one is not lost. */
    synchronized void flush() {
        roll(System.nanoTime());
    }

    private void roll(long now) {
        if (now - windowStart < WINDOW_NANOS) {
            return;
        }
        if (suppressed > 0) {
            log.debug("Suppressed " + suppressed + " per-packet log lines (at most " + LINES_PER_SECOND + " a second)");
        }
        windowStart = now;
        lines = 0;
        suppressed = 0;
    }
}
