package io.jwg.benchmarks;

import io.jwg.core.Constants;
import io.jwg.core.replay.ReplayWindow;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link ReplayWindow#validate} per received counter, the last check before a decrypted packet
 * is accepted: in order (the common case on one path), and with out-of-order jitter as parallel
 * decryption or multipath delivery produces it.
 *
 * <p>Jitter is a permutation of consecutive counters shuffled within chunks of {@code jitter}
 * (≤ the 8128-counter window), so every counter is new and accepted and the benchmark times the
 * accept path, including backward lookups and forward slides that clear blocks. The
 * permutation is replayed with a growing base so counters never repeat.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReplayBenchmark {
    private static final int SEQUENCE = 1 << 16;

    /** Reordering distance: counters are shuffled within chunks of this many. */
    @Param({"64", "2048"})
    public int jitter;

    private final ReplayWindow inOrder = new ReplayWindow();
    private final ReplayWindow jittered = new ReplayWindow();
    private final int[] permutation = new int[SEQUENCE];
    private long next;
    private long base;
    private int index;

    /** Builds the chunk-shuffled permutation of 0..SEQUENCE-1. */
    @Setup
    public void setup() {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < SEQUENCE; i++) {
            permutation[i] = i;
        }
        for (int chunk = 0; chunk < SEQUENCE; chunk += jitter) {
            for (int i = chunk + jitter - 1; i > chunk; i--) {
                int j = chunk + random.nextInt(i - chunk + 1);
                int t = permutation[i];
                permutation[i] = permutation[j];
                permutation[j] = t;
            }
        }
    }

    /** Counters 0, 1, 2, …: each slides the window forward by one. */
    @Benchmark
    public boolean inOrder() {
        return inOrder.validate(next++, Constants.REJECT_AFTER_MESSAGES);
    }

    /** Counters reordered within {@code jitter}; all accepted. */
    @Benchmark
    public boolean outOfOrder() {
        long counter = base + permutation[index];
        if (++index == SEQUENCE) {
            index = 0;
            base += SEQUENCE;
        }
        boolean ok = jittered.validate(counter, Constants.REJECT_AFTER_MESSAGES);
        if (!ok) {
            throw new IllegalStateException("counter " + counter + " refused");
        }
        return ok;
    }
}
