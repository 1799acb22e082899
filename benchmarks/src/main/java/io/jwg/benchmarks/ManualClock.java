package io.jwg.benchmarks;

import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.NanoClock;

/**
 * A clock the benchmark advances by hand, serving as both the monotonic and the wall clock of one
 * engine. Lets handshake benchmarks step over the protocol's rate limits (one initiation per
 * REKEY_TIMEOUT, 20 ms flood guard, strictly newer TAI64N) without sleeping.
 */
final class ManualClock implements NanoClock, EpochNanoClock {
    private long nanos;

    ManualClock(long startNanos) {
        this.nanos = startNanos;
    }

    @Override
    public long nanoTime() {
        return nanos;
    }

    void advance(long deltaNanos) {
        nanos += deltaNanos;
    }
}
