package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The training's wait for the JIT: quiet is half a second without compiling, and the wait is bounded. */
class JitQuietTest {
    @Test
    void shouldSeeTheJitQuietOnceNothingIsLeftToCompile() throws InterruptedException {
        long start = System.nanoTime();

        boolean quiet = JitQuiet.await(Duration.ofSeconds(30));

        assertTrue(quiet, "a test JVM doing nothing should stop compiling within 30 s");
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(500).toNanos(), "quiet means 500 ms without compiling");
    }

    @Test
    void shouldGiveUpAtTheDeadline() throws InterruptedException {
        long start = System.nanoTime();

        boolean quiet = JitQuiet.await(Duration.ofMillis(200)); // shorter than the quiet it waits for

        assertFalse(quiet);
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "the wait must end at its deadline");
    }
}
