package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The committed seed corpora are the genuine messages the fixture makes today (see
 * {@link FuzzSeeds}). To rewrite them:
 * {@code ./mvnw -B test -pl core -Dtest=FuzzSeedsTest -Djwg.fuzz.writeSeeds=true}.
 */
class FuzzSeedsTest {
    @Test
    void shouldMatchTheCommittedSeeds() throws IOException {
        if (Boolean.getBoolean("jwg.fuzz.writeSeeds")) {
            FuzzSeeds.write(Path.of("").toAbsolutePath()); // surefire runs in the module directory
            return; // the classpath still holds the old copies until the next build
        }
        for (Map.Entry<String, byte[]> seed : FuzzSeeds.all().entrySet()) {
            try (InputStream in = FuzzSeedsTest.class.getResourceAsStream(seed.getKey())) {
                assertNotNull(in, seed.getKey() + " is missing: rewrite the seeds (see above)");
                assertArrayEquals(seed.getValue(), in.readAllBytes(), seed.getKey() + " is stale: rewrite the seeds (see above)");
            }
        }
    }

    @Test
    void shouldBuildTheSameFixtureEveryTime() {
        FuzzSession first = new FuzzSession();
        FuzzSession second = new FuzzSession();
        assertEquals(first.genuine().size(), second.genuine().size());
        for (int i = 0; i < first.genuine().size(); i++) {
            assertArrayEquals(first.genuine().get(i), second.genuine().get(i), "message " + i);
        }
    }

    @Test
    void shouldMakeGenuineMessagesThatAFreshFixtureAccepts() {
        Verdict[] expected = {Verdict.DROP, Verdict.DONE, Verdict.WRITE_TO_NETWORK, Verdict.WRITE_TO_NETWORK,
            Verdict.WRITE_TO_TUNNEL, Verdict.DONE};
        for (int i = 0; i < expected.length; i++) {
            FuzzSession session = new FuzzSession();
            byte[] message = session.genuine().get(i);
            Verdict verdict = new FuzzChecks().decapsulate(session.a, message, session.addressB, false);
            assertEquals(expected[i], verdict, "message " + i);
            assertTrue(session.matchesGenuine(message));
        }
        // A's own initiation is dropped by A: it names A as the initiator.
        FuzzSession session = new FuzzSession();
        FuzzChecks checks = new FuzzChecks();
        checks.decapsulate(session.a, session.initiationFromA, session.addressB, false);
        assertEquals(DropReason.INVALID_MAC1, checks.received.dropReason());
    }
}
