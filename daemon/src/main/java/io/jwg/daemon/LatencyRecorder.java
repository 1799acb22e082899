package io.jwg.daemon;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A distribution of durations, recorded from any number of threads without locks or allocation
 * (HdrHistogram's {@link Recorder}: wait-free writers on preallocated counts) and read,
 * accumulated since start, by the metrics scrape. Values are nanoseconds with two significant
 * digits from 1 µs to 60 s; shorter ones count as 0, longer ones as 60 s.
 */
public final class LatencyRecorder {
    private static final long LOWEST = 1_000;
    private static final long HIGHEST = 60_000_000_000L;
    private static final int DIGITS = 2;

    /** What the scrape reads: cumulative counts at the bounds asked for, the total and the sum. */
    public record Snapshot(long[] cumulativeCounts, long count, double sumNanos) {
    }

    private final Recorder recorder = new Recorder(LOWEST, HIGHEST, DIGITS);
    private final Histogram total = new Histogram(LOWEST, HIGHEST, DIGITS);
    private Histogram interval;

    /** Records one duration; any thread, wait-free. */
    public void record(long nanos) {
        recorder.recordValue(Math.clamp(nanos, 0, HIGHEST));
    }

    /**
     * Everything recorded so far: for each of the ascending {@code upperBoundsNanos}, how many
     * values were at most that (to the histogram's precision, 1%), plus the count and the sum
     * (from bucket midpoints).
     */
    public synchronized Snapshot snapshot(long[] upperBoundsNanos) {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        long[] counts = new long[upperBoundsNanos.length];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = total.getCountBetweenValues(0, Math.min(upperBoundsNanos[i], HIGHEST));
        }
        long count = total.getTotalCount();
        return new Snapshot(counts, count, count == 0 ? 0 : total.getMean() * count);
    }
}
