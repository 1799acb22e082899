package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The ahead-of-time cache's training run ({@code jwg --train}) works without a TUN interface or
 * privileges: two devices over {@link io.jwg.tun.TunStandIn}s complete a handshake and carry
 * the round trips whose profiles the cache keeps. A failure here would leave every launch without
 * a cache, silently slower to start and to answer sparse traffic.
 */
class TrainingTest {
    @Test
    void shouldCompleteTheTrainingRun() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int status = Training.run(new PrintStream(err, true, StandardCharsets.UTF_8));

        assertEquals(0, status, () -> "training failed: " + err.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }
}
