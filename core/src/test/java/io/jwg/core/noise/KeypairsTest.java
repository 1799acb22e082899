package io.jwg.core.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keypair rotation as wireguard-go: initiator installs at once, responder waits for first data. */
class KeypairsTest {
    private final List<Integer> freed = new ArrayList<>();
    private final Keypairs slots = new Keypairs(freed::add);

    private static Keypair keypair(boolean initiator, int index) {
        return new Keypair(new byte[32], new byte[32], initiator, index, 1000 + index, 0);
    }

    @Test
    void shouldUseInitiatorKeypairAtOnceAndKeepThePrevious() {
        Keypair first = keypair(true, 1);
        Keypair second = keypair(true, 2);
        Keypair third = keypair(true, 3);
        slots.install(first);
        slots.install(second);
        assertSame(second, slots.current());
        assertSame(first, slots.previous());
        slots.install(third);
        assertSame(second, slots.previous());
        assertEquals(List.of(1), freed, "the oldest is dropped and its index freed");
    }

    @Test
    void shouldParkResponderKeypairUntilConfirmed() {
        Keypair current = keypair(true, 1);
        slots.install(current);
        Keypair next = keypair(false, 2);
        slots.install(next);
        assertSame(current, slots.current(), "not used for sending before the initiator speaks");
        assertSame(next, slots.next());
        assertFalse(slots.receivedWith(current));
        assertTrue(slots.receivedWith(next));
        assertSame(next, slots.current());
        assertSame(current, slots.previous());
        assertNull(slots.next());
        assertFalse(slots.receivedWith(next), "rotation happens once");
    }

    @Test
    void shouldPromoteUnconfirmedNextToPreviousWhenInitiatorKeypairArrives() {
        Keypair old = keypair(true, 1);
        slots.install(old);
        Keypair next = keypair(false, 2);
        slots.install(next);
        Keypair mine = keypair(true, 3);
        slots.install(mine);
        assertSame(mine, slots.current());
        assertSame(next, slots.previous());
        assertNull(slots.next());
        assertTrue(freed.contains(1), "old current dropped");
    }

    @Test
    void shouldExpireSendingAndClearEverything() {
        Keypair current = keypair(true, 1);
        slots.install(current);
        slots.install(keypair(false, 2));
        slots.expireSending();
        assertFalse(current.canSend(0));
        assertEquals(-1, current.nextSendCounter());
        slots.clear();
        assertNull(slots.current());
        assertNull(slots.next());
        assertTrue(freed.containsAll(List.of(1, 2)));
    }
}
