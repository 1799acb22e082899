package io.jwg.tests.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polls a condition about another process (a daemon, the kernel) until it holds or a deadline
 * passes. Tests use it instead of fixed sleeps: fast when things work, bounded when they hang.
 */
public final class Await {
    private static final Duration POLL = Duration.ofMillis(50);

    private Await() {
    }

    /** Whether {@code condition} held within {@code timeout}. */
    public static boolean until(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Daemon.sleep(POLL);
        }
    }

    /** Asserts that {@code condition} holds within {@code timeout}, failing with {@code message}. */
    public static void assertWithin(Duration timeout, BooleanSupplier condition, Supplier<String> message) {
        if (!until(timeout, condition)) {
            throw new AssertionError("not within " + timeout + ": " + message.get());
        }
    }
}
