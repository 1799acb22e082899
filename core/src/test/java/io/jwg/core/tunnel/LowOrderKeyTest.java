package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.crypto.LowOrderPoints;
import io.jwg.core.crypto.X25519;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.noise.HandshakeState;
import io.jwg.core.routing.IpPrefix;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Low-order Curve25519 points ({@link LowOrderPoints}, each of the fourteen encodings) never
 * yield a session, whether configured as a peer's public key or sent as an ephemeral or static
 * key. The attacker's messages are built with {@link CraftedHandshake} from the all-zero secret
 * the victim computes for such a point, so they would authenticate if that secret were used;
 * {@link #shouldAcceptTheSameCraftedMessagesWithRealSecrets} proves the crafting is right.
 */
class LowOrderKeyTest {
    private static final byte[] ZERO = new byte[32];
    private static final byte[] NO_PSK = new byte[32];

    private static byte[] dh(byte[] privateKey, byte[] publicKey) {
        byte[] out = new byte[32];
        assertTrue(X25519.sharedSecret(privateKey, publicKey, out));
        return out;
    }

    private static String hex(byte[] point) {
        return HexFormat.of().formatHex(point);
    }

    @Test
    void shouldNeverInitiateToAPeerWithALowOrderPublicKey() {
        for (byte[] point : LowOrderPoints.all()) {
            TestNetwork net = new TestNetwork();
            Tunnel bad = net.a.engine.addPeer(point);
            net.a.engine.allowedIps().insert(IpPrefix.parse("10.9.0.0/16"), bad);
            ByteBuffer packet = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "10.9.0.1", new byte[8]));
            assertEquals(Verdict.DONE, net.a.engine.encapsulate(packet, ByteBuffer.allocate(2048), net.a.received), hex(point));
            assertEquals(Verdict.DONE, bad.poll(ByteBuffer.allocate(2048)), "an initiation to " + hex(point));
            assertEquals(0, net.a.engine.events(Engine.Event.INITIATIONS_SENT), hex(point));
            assertNull(bad.currentKeypair());
            assertEquals(HandshakeState.ZEROED, bad.handshake().state());
            // The same engine still handshakes with an ordinary peer.
            net.a.send(new byte[] {1});
            net.pump();
            assertEquals(1, net.b.delivered.size(), hex(point));
        }
    }

    @Test
    void shouldRejectInitiationsWithALowOrderEphemeral() {
        for (byte[] point : LowOrderPoints.all()) {
            TestNetwork net = new TestNetwork();
            byte[] initiation = new CraftedHandshake(net.b.publicKey).initiation(net.b.publicKey, net.a.publicKey,
                    point, ZERO, dh(net.a.privateKey, net.b.publicKey), 7, TestNetwork.EPOCH_BASE + net.now);
            assertEquals(Verdict.DROP, net.deliver(net.b, initiation, net.a.address), hex(point));
            assertEquals(DropReason.HANDSHAKE_FAILED, net.b.received.dropReason(), hex(point));
            assertNoSession(net.b);
        }
    }

    @Test
    void shouldRejectInitiationsFromAPeerWithALowOrderStaticKey() {
        for (byte[] point : LowOrderPoints.all()) {
            TestNetwork net = new TestNetwork();
            Tunnel bad = net.b.engine.addPeer(point);
            byte[] ephemeral = new byte[32];
            X25519.generatePrivateKey(net.random, ephemeral);
            byte[] ephemeralPublic = new byte[32];
            X25519.publicKey(ephemeral, ephemeralPublic);
            byte[] initiation = new CraftedHandshake(net.b.publicKey).initiation(net.b.publicKey, point,
                    ephemeralPublic, dh(ephemeral, net.b.publicKey), ZERO, 7, TestNetwork.EPOCH_BASE + net.now);
            assertEquals(Verdict.DROP, net.deliver(net.b, initiation, net.a.address), hex(point));
            assertEquals(DropReason.HANDSHAKE_FAILED, net.b.received.dropReason(), hex(point));
            assertNull(bad.currentKeypair());
            assertEquals(HandshakeState.ZEROED, bad.handshake().state());
            assertNull(bad.endpoint(), "a rejected initiation named the peer's endpoint");
            assertNoSession(net.b);
        }
    }

    @Test
    void shouldRejectResponsesWithALowOrderEphemeral() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.a.send(new byte[] {1});
        byte[] initiation = net.log.get(0).bytes();
        int handshakeIndex = LittleEndian.getInt(initiation, HandshakeInitiation.SENDER_OFFSET);
        for (byte[] point : LowOrderPoints.all()) {
            CraftedHandshake attacker = respondingTo(net, initiation);
            byte[] response = attacker.response(net.a.publicKey, point, ZERO, ZERO, NO_PSK, 9, handshakeIndex);
            assertEquals(Verdict.DROP, net.deliver(net.a, response, net.b.address), hex(point));
            assertEquals(DropReason.HANDSHAKE_FAILED, net.a.received.dropReason(), hex(point));
            assertNull(net.a.tunnel.currentKeypair(), hex(point));
            assertEquals(HandshakeState.INITIATION_CREATED, net.a.tunnel.handshake().state(), "the handshake was disturbed");
        }
        assertEquals(0, net.a.engine.events(Engine.Event.HANDSHAKES_COMPLETED));
    }

    @Test
    void shouldAcceptTheSameCraftedMessagesWithRealSecrets() {
        TestNetwork net = new TestNetwork();
        byte[] ephemeral = new byte[32];
        X25519.generatePrivateKey(net.random, ephemeral);
        byte[] ephemeralPublic = new byte[32];
        X25519.publicKey(ephemeral, ephemeralPublic);
        byte[] initiation = new CraftedHandshake(net.b.publicKey).initiation(net.b.publicKey, net.a.publicKey,
                ephemeralPublic, dh(ephemeral, net.b.publicKey), dh(net.a.privateKey, net.b.publicKey), 7,
                TestNetwork.EPOCH_BASE + net.now);
        net.dropAll = true;
        assertEquals(Verdict.WRITE_TO_NETWORK, net.deliver(net.b, initiation, net.a.address), "crafted initiation refused");
        assertNotNull(net.b.tunnel.keypairs.next(), "B derived no session from it");

        TestNetwork other = new TestNetwork();
        other.dropAll = true;
        other.a.send(new byte[] {1});
        byte[] genuine = other.log.get(0).bytes();
        byte[] responderEphemeral = new byte[32];
        X25519.generatePrivateKey(other.random, responderEphemeral);
        byte[] responderEphemeralPublic = new byte[32];
        X25519.publicKey(responderEphemeral, responderEphemeralPublic);
        byte[] initiatorEphemeral = java.util.Arrays.copyOfRange(genuine, HandshakeInitiation.EPHEMERAL_OFFSET,
                HandshakeInitiation.EPHEMERAL_OFFSET + 32);
        byte[] response = respondingTo(other, genuine).response(other.a.publicKey, responderEphemeralPublic,
                dh(responderEphemeral, initiatorEphemeral), dh(responderEphemeral, other.a.publicKey), NO_PSK, 9,
                LittleEndian.getInt(genuine, HandshakeInitiation.SENDER_OFFSET));
        assertEquals(Verdict.WRITE_TO_NETWORK, other.deliver(other.a, response, other.b.address), "crafted response refused");
        assertNotNull(other.a.tunnel.currentKeypair());
    }

    /** B's side of the handshake A started with {@code initiation}, as a holder of B's key computes it. */
    private static CraftedHandshake respondingTo(TestNetwork net, byte[] initiation) {
        byte[] initiatorEphemeral = java.util.Arrays.copyOfRange(initiation, HandshakeInitiation.EPHEMERAL_OFFSET,
                HandshakeInitiation.EPHEMERAL_OFFSET + 32);
        CraftedHandshake state = new CraftedHandshake(net.b.publicKey);
        state.absorbInitiation(initiation, dh(net.b.privateKey, initiatorEphemeral), dh(net.b.privateKey, net.a.publicKey));
        return state;
    }

    private static void assertNoSession(TestNetwork.Side side) {
        assertNull(side.tunnel.currentKeypair());
        assertEquals(HandshakeState.ZEROED, side.tunnel.handshake().state());
        assertEquals(0, side.engine.events(Engine.Event.INITIATIONS_RECEIVED));
        assertEquals(0, side.engine.events(Engine.Event.RESPONSES_SENT));
    }
}
