package io.jwg.core.tunnel;

import static io.jwg.core.tunnel.TestNetwork.seconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.message.CookieReply;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.HandshakeResponse;
import io.jwg.core.message.MessageType;
import io.jwg.core.message.Transport;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Captured datagrams replayed, with any bit flipped, cut short or extended, from the peer's
 * address or another: every one is dropped, its drop counted under the reason its damaged
 * field implies, and none changes anything in the receiving tunnel ({@link TunnelState}:
 * endpoint, byte counters, last handshake, keypairs with send counters and replay windows,
 * handshake, staged packets, timers, live indices).
 */
class ReplayAndForgeryTest {
    private static final InetSocketAddress ELSEWHERE = new InetSocketAddress("127.0.0.9", 9999);

    private static TestNetwork established() {
        TestNetwork net = new TestNetwork();
        net.a.send(new byte[] {1});
        net.pump();
        return net;
    }

    /** A's next datagram to B, captured and not delivered. */
    private static byte[] capture(TestNetwork net, byte[] payload) {
        int mark = net.log.size();
        net.dropAll = true;
        net.a.send(payload);
        net.dropAll = false;
        return net.log.get(mark).bytes();
    }

    /** Delivers a datagram that must be dropped for {@code reason} and change nothing at B. */
    private static void assertDroppedWithoutEffect(TestNetwork net, byte[] datagram, InetSocketAddress source,
            DropReason reason, String what) {
        TunnelState before = TunnelState.of(net.b.tunnel, net.b.engine);
        Map<DropReason, Long> drops = drops(net.b.engine);
        int delivered = net.b.delivered.size();
        int emitted = net.log.size();
        assertEquals(Verdict.DROP, net.deliver(net.b, datagram, source), what);
        assertEquals(reason, net.b.received.dropReason(), what);
        Map<DropReason, Long> after = drops(net.b.engine);
        for (DropReason r : DropReason.values()) {
            assertEquals(drops.get(r) + (r == reason ? 1 : 0), after.get(r), what + ": counter " + r);
        }
        assertEquals(before, TunnelState.of(net.b.tunnel, net.b.engine), what + " changed the tunnel");
        assertEquals(delivered, net.b.delivered.size(), what + " reached the TUN");
        assertEquals(emitted, net.log.size(), what + " was answered");
    }

    private static Map<DropReason, Long> drops(Engine engine) {
        Map<DropReason, Long> counts = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            counts.put(r, engine.drops(r));
        }
        return counts;
    }

    private static DropReason expectedForTransportFlip(int byteIndex) {
        if (byteIndex < 4) {
            return DropReason.INVALID_MESSAGE; // type word and reserved bytes
        }
        if (byteIndex < Transport.COUNTER_OFFSET) {
            return DropReason.UNKNOWN_INDEX; // receiver index
        }
        return DropReason.DECRYPTION_FAILED; // counter (the nonce), ciphertext, tag
    }

    @Test
    void shouldDropReplayedTransportFromAnyAddress() {
        TestNetwork net = established();
        byte[] datagram = capture(net, new byte[] {7});
        assertEquals(Verdict.WRITE_TO_TUNNEL, net.deliver(net.b, datagram, net.a.address));
        assertDroppedWithoutEffect(net, datagram, net.a.address, DropReason.REPLAYED_COUNTER, "replay");
        assertDroppedWithoutEffect(net, datagram, ELSEWHERE, DropReason.REPLAYED_COUNTER, "replay from elsewhere");
    }

    @Test
    void shouldDropTransportWithAnyBitFlipped() {
        TestNetwork net = established();
        byte[] datagram = capture(net, new byte[40]);
        for (int i = 0; i < datagram.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] flipped = datagram.clone();
                flipped[i] ^= (byte) (1 << bit);
                assertDroppedWithoutEffect(net, flipped, ELSEWHERE, expectedForTransportFlip(i), "byte " + i + " bit " + bit);
            }
        }
        // The untouched datagram is still fresh: nothing above moved the replay window.
        assertEquals(Verdict.WRITE_TO_TUNNEL, net.deliver(net.b, datagram, net.a.address));
    }

    @Test
    void shouldDropTruncatedAndExtendedTransport() {
        TestNetwork net = established();
        byte[] datagram = capture(net, new byte[40]);
        for (int length = 0; length < datagram.length; length++) {
            DropReason reason = length < Transport.MIN_SIZE ? DropReason.INVALID_MESSAGE : DropReason.DECRYPTION_FAILED;
            assertDroppedWithoutEffect(net, Arrays.copyOf(datagram, length), ELSEWHERE, reason, "cut to " + length);
        }
        for (int extra = 1; extra <= 32; extra++) {
            byte[] longer = Arrays.copyOf(datagram, datagram.length + extra);
            Arrays.fill(longer, datagram.length, longer.length, (byte) extra);
            assertDroppedWithoutEffect(net, longer, ELSEWHERE, DropReason.DECRYPTION_FAILED, extra + " bytes longer");
        }
        assertEquals(Verdict.WRITE_TO_TUNNEL, net.deliver(net.b, datagram, net.a.address));
    }

    @Test
    void shouldDropAnOldInitiationByItsTimestamp() {
        TestNetwork net = established();
        byte[] old = net.log.get(0).bytes();
        assertEquals(MessageType.INITIATION, MessageType.classify(old, old.length));
        net.now += seconds(30);
        assertDroppedWithoutEffect(net, old, ELSEWHERE, DropReason.REPLAYED_TIMESTAMP, "old initiation");
        assertDroppedWithoutEffect(net, old, net.a.address, DropReason.REPLAYED_TIMESTAMP, "old initiation, right address");
        // After a newer handshake the first initiation is older still.
        net.now += seconds(121);
        net.a.send(new byte[] {2});
        net.pump();
        assertDroppedWithoutEffect(net, old, ELSEWHERE, DropReason.REPLAYED_TIMESTAMP, "older initiation");
    }

    @Test
    void shouldDropInitiationsWithAnyBitFlippedOnceConsumed() {
        TestNetwork net = established();
        byte[] initiation = net.log.get(0).bytes();
        for (int i = 0; i < initiation.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] flipped = initiation.clone();
                flipped[i] ^= (byte) (1 << bit);
                // MAC1 covers everything before it; a flip in MAC2, unchecked without load, leaves
                // a genuine but consumed initiation.
                DropReason reason = i < 4 ? DropReason.INVALID_MESSAGE
                        : i < HandshakeInitiation.MAC2_OFFSET ? DropReason.INVALID_MAC1 : DropReason.REPLAYED_TIMESTAMP;
                assertDroppedWithoutEffect(net, flipped, ELSEWHERE, reason, "byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void shouldDropResponsesWithAnyBitFlippedBeforeMac2() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.b.send(new byte[] {1}); // B initiates, so B is the one that consumes a response
        byte[] initiation = net.log.get(0).bytes();
        net.dropAll = false;
        net.deliver(net.a, initiation, net.b.address);
        byte[] response = net.log.get(1).bytes();
        assertEquals(MessageType.RESPONSE, MessageType.classify(response, response.length));
        for (int i = 0; i < HandshakeResponse.MAC2_OFFSET; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] flipped = response.clone();
                flipped[i] ^= (byte) (1 << bit);
                // MAC1 covers every byte before it, indices included.
                DropReason reason = i < 4 ? DropReason.INVALID_MESSAGE : DropReason.INVALID_MAC1;
                assertDroppedWithoutEffect(net, flipped, ELSEWHERE, reason, "byte " + i + " bit " + bit);
            }
        }
        // The genuine response still completes the handshake: nothing above disturbed it.
        assertEquals(Verdict.WRITE_TO_NETWORK, net.deliver(net.b, response, net.a.address));
        assertTrue(net.b.tunnel.currentKeypair() != null);
    }

    @Test
    void shouldDropACookieReplyWithAnyBitFlipped() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.b.send(new byte[] {1});
        byte[] initiation = net.log.get(0).bytes();
        net.a.underLoad = true;
        net.deliver(net.a, initiation, net.b.address);
        byte[] reply = net.log.get(1).bytes();
        assertEquals(CookieReply.SIZE, reply.length);
        for (int i = 0; i < reply.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] flipped = reply.clone();
                flipped[i] ^= (byte) (1 << bit);
                DropReason reason = i < 4 ? DropReason.INVALID_MESSAGE
                        : i < CookieReply.NONCE_OFFSET ? DropReason.UNKNOWN_INDEX : DropReason.INVALID_COOKIE_REPLY;
                assertDroppedWithoutEffect(net, flipped, ELSEWHERE, reason, "byte " + i + " bit " + bit);
            }
        }
        assertEquals(0, net.b.engine.events(Engine.Event.COOKIES_RECEIVED));
    }
}
