package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command line's error paths, which exit before any device exists. */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void shouldRejectABadMetricsAddressInOneLineBeforeCreatingAnything() {
        assertEquals(1, run("--metrics", "localhost", "jmnone0"));
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.startsWith("Failed to start: invalid metrics address 'localhost': no port"), message);
    }

    @Test
    void shouldTakeTheOptionAfterTheNameAndWithAnEqualsSign() {
        assertEquals(1, run("-f", "jmnone0", "--metrics=[::1]:99999"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("Failed to start: invalid metrics address '[::1]:99999'"));
    }

    @Test
    void shouldPrintUsageForAMissingValueOrASecondName() {
        assertEquals(1, run("jmnone0", "--metrics"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("Usage: jwg "));
        err.reset();
        assertEquals(1, run("jmnone0", "jmnone1"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("Usage: jwg "));
    }
}
