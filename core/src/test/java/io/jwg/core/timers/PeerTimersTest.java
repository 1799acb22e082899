package io.jwg.core.timers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.Allocations;
import io.jwg.core.Constants;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The timer state machine alone, on plain numbers: what is armed after each event and what fires. */
class PeerTimersTest {
    private static final long S = 1_000_000_000L;
    private final PeerTimers timers = new PeerTimers(new SplittableRandom(1));

    @Test
    void shouldDrawJitterOnEverySendAfterAReceiveWithoutAllocating() {
        // Two-way traffic: every received packet disarms the new-handshake timer and the next
        // send re-arms it with fresh jitter, so this runs once per packet on the data path.
        PeerTimers seeded = PeerTimers.seededFrom(new SecureRandom());
        java.util.Set<Long> deadlines = new java.util.HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            seeded.onAnyAuthenticatedPacketReceived(0);
            seeded.onDataSent(0);
            long jitter = seeded.nextDeadline() - Constants.KEEPALIVE_TIMEOUT - Constants.REKEY_TIMEOUT;
            assertTrue(jitter >= 0 && jitter < 334_000_000L, () -> "jitter " + jitter);
            deadlines.add(jitter);
        }
        assertTrue(deadlines.size() > 250, () -> "jitter takes only " + deadlines.size() + " values of 334");

        long before = Allocations.allocatedBytes();
        for (int i = 0; i < 200_000; i++) {
            seeded.onAnyAuthenticatedPacketReceived(i);
            seeded.onDataSent(i);
        }
        long allocated = Allocations.allocatedBytes() - before;
        assertTrue(allocated < 16_384, () -> allocated + " bytes for 200,000 sends after a receive");
    }

    @Test
    void shouldStartWithNothingArmed() {
        assertEquals(PeerTimers.NONE, timers.nextDeadline());
        assertEquals(0, timers.expire(Long.MAX_VALUE - 1));
    }

    @Test
    void shouldRetransmitWithJitterThenGiveUpAfterMaxAttempts() {
        timers.onHandshakeInitiated(0);
        long deadline = timers.nextDeadline();
        assertTrue(deadline >= Constants.REKEY_TIMEOUT && deadline < Constants.REKEY_TIMEOUT + 334_000_000L);
        assertEquals(0, timers.expire(deadline - 1));
        long now = deadline;
        for (int attempt = 1; attempt <= Constants.MAX_TIMER_HANDSHAKES + 1; attempt++) {
            assertEquals(PeerTimers.RETRANSMIT_HANDSHAKE, timers.expire(now));
            assertEquals(attempt, timers.handshakeAttempts());
            timers.onHandshakeInitiated(now);
            now = timers.nextDeadline();
        }
        int actions = timers.expire(now);
        assertEquals(PeerTimers.GIVE_UP, actions);
        assertEquals(now + Constants.ZERO_KEY_MATERIAL_AFTER, timers.nextDeadline(), "zeroing armed on give-up");
    }

    @Test
    void shouldClearRetransmitOnHandshakeComplete() {
        timers.onHandshakeInitiated(0);
        timers.onHandshakeComplete(1);
        assertFalse(timers.handshakeInFlight());
        assertEquals(PeerTimers.NONE, timers.nextDeadline());
    }

    @Test
    void shouldSendOnePassiveKeepaliveAndRearmWhenMoreDataArrived() {
        timers.onDataReceived(0);
        timers.onDataReceived(S);
        assertEquals(Constants.KEEPALIVE_TIMEOUT, timers.nextDeadline(), "first receipt arms, second only notes");
        assertEquals(PeerTimers.SEND_KEEPALIVE, timers.expire(Constants.KEEPALIVE_TIMEOUT));
        assertEquals(2 * Constants.KEEPALIVE_TIMEOUT, timers.nextDeadline(), "re-armed for the data seen meanwhile");
        timers.onAnyAuthenticatedPacketSent(2 * Constants.KEEPALIVE_TIMEOUT - 1);
        assertEquals(PeerTimers.NONE, timers.nextDeadline(), "anything we send cancels the keepalive");
    }

    @Test
    void shouldAskForNewHandshakeWhenSentDataGoesUnanswered() {
        timers.onDataSent(0);
        long deadline = timers.nextDeadline();
        assertTrue(deadline >= Constants.KEEPALIVE_TIMEOUT + Constants.REKEY_TIMEOUT);
        timers.onDataSent(S);
        assertEquals(deadline, timers.nextDeadline(), "not pushed back by more data");
        assertEquals(PeerTimers.NEW_HANDSHAKE, timers.expire(deadline));
        timers.onDataSent(deadline + 1);
        timers.onAnyAuthenticatedPacketReceived(deadline + 2);
        assertEquals(PeerTimers.NONE, timers.nextDeadline(), "an answer cancels it");
    }

    @Test
    void shouldZeroKeysThreeRejectAfterTimesAfterTheLastSession() {
        timers.onSessionDerived(0);
        timers.onSessionDerived(100 * S);
        assertEquals(0, timers.expire(100 * S + Constants.ZERO_KEY_MATERIAL_AFTER - 1));
        assertEquals(PeerTimers.ZERO_KEY_MATERIAL, timers.expire(100 * S + Constants.ZERO_KEY_MATERIAL_AFTER));
    }

    @Test
    void shouldSendPersistentKeepaliveAfterQuietInterval() {
        timers.onAnyAuthenticatedPacketTraversal(0);
        assertEquals(PeerTimers.NONE, timers.nextDeadline(), "off by default");
        timers.setPersistentKeepaliveInterval(25);
        timers.onAnyAuthenticatedPacketTraversal(0);
        timers.onAnyAuthenticatedPacketTraversal(10 * S);
        assertEquals(35 * S, timers.nextDeadline(), "every packet pushes it back");
        assertEquals(PeerTimers.SEND_KEEPALIVE, timers.expire(35 * S));
        timers.setPersistentKeepaliveInterval(0);
        timers.onAnyAuthenticatedPacketTraversal(40 * S);
        assertEquals(PeerTimers.NONE, timers.nextDeadline());
    }

    @Test
    void shouldClaimLastMinuteHandshakeOncePerSession() {
        assertTrue(timers.claimLastMinuteHandshake());
        assertFalse(timers.claimLastMinuteHandshake());
        timers.onHandshakeComplete(0);
        assertTrue(timers.claimLastMinuteHandshake());
    }

    @Test
    void shouldDisarmEverythingOnStop() {
        timers.setPersistentKeepaliveInterval(5);
        timers.onHandshakeInitiated(0);
        timers.onDataSent(0);
        timers.onDataReceived(0);
        timers.onSessionDerived(0);
        timers.onAnyAuthenticatedPacketTraversal(0);
        timers.stop();
        assertEquals(PeerTimers.NONE, timers.nextDeadline());
    }
}
