package io.jwg.core.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.crypto.X25519;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.HandshakeResponse;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The handshake consumers on garbage and on genuine messages with one byte flipped: they return
 * false (or INVALID) and leave the handshake state alone, and never throw. Each test also runs
 * the genuine message through, so the rejections are not vacuous.
 */
class NoiseRobustnessTest {
    private static final long EPOCH_NANOS = 1_700_000_000_000_000_000L;
    private static final long NOW = 5_000_000_000L;

    private final SplittableRandom random = new SplittableRandom(0x401e);
    private final byte[] initiatorPrivate = new byte[32];
    private final byte[] initiatorPublic = new byte[32];
    private final byte[] responderPrivate = new byte[32];
    private final byte[] responderPublic = new byte[32];
    private final byte[] psk = new byte[32];
    private Handshake initiator;
    private Handshake responder;
    private final Noise initiatorNoise = new Noise(new SecureRandom());
    private final Noise responderNoise = new Noise(new SecureRandom());

    @BeforeEach
    void setUp() {
        SecureRandom keys = new SecureRandom();
        X25519.generatePrivateKey(keys, initiatorPrivate);
        X25519.publicKey(initiatorPrivate, initiatorPublic);
        X25519.generatePrivateKey(keys, responderPrivate);
        X25519.publicKey(responderPrivate, responderPublic);
        random.nextBytes(psk);
        initiator = new Handshake(responderPublic);
        initiator.precompute(initiatorPrivate);
        initiator.setPresharedKey(psk);
        responder = new Handshake(initiatorPublic);
        responder.precompute(responderPrivate);
        responder.setPresharedKey(psk);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private byte[] initiation() {
        byte[] msg = new byte[HandshakeInitiation.SIZE];
        assertTrue(initiatorNoise.createInitiation(initiator, initiatorPublic, 0x01020304, EPOCH_NANOS, msg));
        return msg;
    }

    @Test
    void shouldRejectRandomInitiations() {
        byte[] peer = new byte[32];
        for (int i = 0; i < 2_000; i++) {
            byte[] msg = randomBytes(HandshakeInitiation.SIZE);
            msg[0] = 1;
            assertFalse(responderNoise.openInitiation(msg, responderPrivate, responderPublic, peer));
        }
        // A low-order ephemeral key fails at the DH, before any decryption.
        byte[] msg = randomBytes(HandshakeInitiation.SIZE);
        java.util.Arrays.fill(msg, HandshakeInitiation.EPHEMERAL_OFFSET, HandshakeInitiation.EPHEMERAL_OFFSET + 32, (byte) 0);
        assertFalse(responderNoise.openInitiation(msg, responderPrivate, responderPublic, peer));
        assertFalse(responderNoise.openInitiation(initiation(), null, responderPublic, peer));
        assertEquals(HandshakeState.ZEROED, responder.state());
    }

    @Test
    void shouldRejectInitiationsWithAnyAuthenticatedByteFlipped() {
        byte[] genuine = initiation();
        byte[] peer = new byte[32];
        for (int i = HandshakeInitiation.EPHEMERAL_OFFSET; i < HandshakeInitiation.MAC1_OFFSET; i++) {
            byte[] msg = genuine.clone();
            msg[i] ^= 1;
            if (i < HandshakeInitiation.TIMESTAMP_OFFSET) {
                assertFalse(responderNoise.openInitiation(msg, responderPrivate, responderPublic, peer), "byte " + i);
            } else {
                // The static key still decrypts; the timestamp does not.
                assertTrue(responderNoise.openInitiation(msg, responderPrivate, responderPublic, peer), "byte " + i);
                assertEquals(Noise.InitiationVerdict.INVALID, responderNoise.acceptInitiation(msg, responder, NOW), "byte " + i);
            }
            assertEquals(HandshakeState.ZEROED, responder.state());
        }
        assertTrue(responderNoise.openInitiation(genuine, responderPrivate, responderPublic, peer));
        assertArrayEquals(initiatorPublic, peer);
        assertEquals(Noise.InitiationVerdict.ACCEPTED, responderNoise.acceptInitiation(genuine, responder, NOW));
        assertEquals(HandshakeState.INITIATION_CONSUMED, responder.state());
        assertEquals(0x01020304, responder.remoteIndex());
        // The same initiation again is a replay.
        assertTrue(responderNoise.openInitiation(genuine, responderPrivate, responderPublic, peer));
        assertEquals(Noise.InitiationVerdict.REPLAYED, responderNoise.acceptInitiation(genuine, responder, NOW + 1_000_000_000L));
    }

    private byte[] response() {
        byte[] init = initiation();
        byte[] peer = new byte[32];
        assertTrue(responderNoise.openInitiation(init, responderPrivate, responderPublic, peer));
        assertEquals(Noise.InitiationVerdict.ACCEPTED, responderNoise.acceptInitiation(init, responder, NOW));
        byte[] msg = new byte[HandshakeResponse.SIZE];
        assertTrue(responderNoise.createResponse(responder, 0x0a0b0c0d, msg));
        return msg;
    }

    @Test
    void shouldRejectRandomResponses() {
        byte[] genuine = response();
        for (int i = 0; i < 2_000; i++) {
            byte[] msg = randomBytes(HandshakeResponse.SIZE);
            msg[0] = 2;
            assertFalse(initiatorNoise.consumeResponse(msg, initiator, initiatorPrivate));
            assertEquals(HandshakeState.INITIATION_CREATED, initiator.state());
        }
        assertTrue(initiatorNoise.consumeResponse(genuine, initiator, initiatorPrivate));
    }

    @Test
    void shouldRejectResponsesWithAnyAuthenticatedByteFlipped() {
        byte[] genuine = response();
        for (int i = HandshakeResponse.EPHEMERAL_OFFSET; i < HandshakeResponse.MAC1_OFFSET; i++) {
            byte[] msg = genuine.clone();
            msg[i] ^= 1;
            assertFalse(initiatorNoise.consumeResponse(msg, initiator, initiatorPrivate), "byte " + i);
            assertEquals(HandshakeState.INITIATION_CREATED, initiator.state());
        }
        // Wrong pre-shared key or wrong static key.
        byte[] otherPsk = psk.clone();
        otherPsk[0] ^= 1;
        initiator.setPresharedKey(otherPsk);
        assertFalse(initiatorNoise.consumeResponse(genuine, initiator, initiatorPrivate));
        initiator.setPresharedKey(psk);
        assertFalse(initiatorNoise.consumeResponse(genuine, initiator, responderPrivate));
        assertFalse(initiatorNoise.consumeResponse(genuine, initiator, null));
        assertEquals(HandshakeState.INITIATION_CREATED, initiator.state());

        assertTrue(initiatorNoise.consumeResponse(genuine, initiator, initiatorPrivate));
        assertEquals(HandshakeState.RESPONSE_CONSUMED, initiator.state());
        assertEquals(0x0a0b0c0d, initiator.remoteIndex());
        byte[] initiatorSend = new byte[32];
        byte[] initiatorReceive = new byte[32];
        byte[] responderSend = new byte[32];
        byte[] responderReceive = new byte[32];
        assertTrue(initiatorNoise.deriveKeys(initiator, initiatorSend, initiatorReceive));
        assertTrue(responderNoise.deriveKeys(responder, responderSend, responderReceive));
        assertArrayEquals(initiatorSend, responderReceive);
        assertArrayEquals(initiatorReceive, responderSend);
        assertFalse(HexFormat.of().formatHex(initiatorSend).equals(HexFormat.of().formatHex(initiatorReceive)));
        // A consumed handshake accepts no further response.
        assertFalse(initiatorNoise.consumeResponse(genuine, initiator, initiatorPrivate));
    }

    @Test
    void shouldRejectResponsesInTheWrongState() {
        byte[] genuine = response();
        Handshake idle = new Handshake(responderPublic);
        idle.precompute(initiatorPrivate);
        assertFalse(initiatorNoise.consumeResponse(genuine, idle, initiatorPrivate));
        assertFalse(initiatorNoise.consumeResponse(randomBytes(HandshakeResponse.SIZE), idle, initiatorPrivate));
        assertEquals(HandshakeState.ZEROED, idle.state());
    }
}
