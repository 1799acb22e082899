package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwg.core.message.CookieReply;
import io.jwg.core.message.MessageType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Fuzz target: any datagram from any source into {@link Engine#decapsulate} of an engine that has
 * a live session and a handshake in flight ({@link FuzzSession}), so type dispatch, size checks,
 * MAC1/MAC2, cookie replies under load, index lookups and the AEAD all see the input.
 *
 * <p>Input: byte 0 holds flags (bit 0: the engine is under load; bit 1: the datagram comes from
 * an address other than the peer's), the rest is the datagram. Seeds are the genuine messages of
 * the fixture ({@link FuzzSeeds}), so mutations start from real traffic.
 *
 * <p>Checked for every input: nothing throws; the input is left alone; a drop names a reason
 * counted once; a datagram is accepted only if it matches a genuine message in every byte the
 * protocol authenticates, and one that is not accepted changes nothing in the tunnel (endpoint,
 * counters, keypairs, replay windows, handshake, timers, indices). After an accepted one the
 * fixture is rebuilt, so every input meets the same state.
 *
 * <p>Runs as a regression test over the seeds in a normal build and fuzzes with {@code -Pfuzz}
 * or {@code CI=true} (see README, "Fuzzing").
 */
class DispatchFuzzTest {
    private static final InetSocketAddress STRANGER = stranger();
    private FuzzSession session = new FuzzSession();
    private final FuzzChecks checks = new FuzzChecks();

    @FuzzTest
    void decapsulate(byte[] input) {
        if (input.length == 0) {
            return;
        }
        boolean underLoad = (input[0] & 1) != 0;
        InetSocketAddress source = (input[0] & 2) != 0 ? STRANGER : session.addressB;
        byte[] datagram = Arrays.copyOfRange(input, 1, input.length);
        TunnelState before = TunnelState.of(session.aToB, session.a);

        Verdict verdict = checks.decapsulate(session.a, datagram, source, underLoad);

        Received received = checks.received;
        boolean accepted = received.tunnel() != null
                || (received.type() == MessageType.COOKIE_REPLY && verdict == Verdict.DONE);
        if (!accepted) {
            if (verdict == Verdict.WRITE_TO_NETWORK) {
                // Without authentication the only answer is a cookie reply, and only under load.
                assertTrue(underLoad && received.cookieReplySent(), "unauthenticated datagram answered");
                assertEquals(CookieReply.SIZE, checks.out.remaining());
            } else {
                assertEquals(Verdict.DROP, verdict);
            }
            assertEquals(before, TunnelState.of(session.aToB, session.a), "a rejected datagram changed the tunnel");
            return;
        }
        assertTrue(session.matchesGenuine(datagram), "a forged datagram was accepted");
        if (received.tunnel() != null) {
            assertSame(session.aToB, received.tunnel());
            assertEquals(source, session.aToB.endpoint(), "the endpoint follows authenticated datagrams");
        }
        session = new FuzzSession();
    }

    private static InetSocketAddress stranger() {
        try {
            return new InetSocketAddress(InetAddress.getByName("2001:db8::77"), 4242);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
