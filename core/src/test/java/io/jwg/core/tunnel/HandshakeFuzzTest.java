package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwg.core.cookie.CookieGenerator;
import io.jwg.core.message.CookieReply;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.HandshakeResponse;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.MessageType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Fuzz target: handshake initiations, responses and cookie replies that get past the cheap
 * checks, so the fuzzer's bytes reach the Noise and cookie code of an engine with a handshake in
 * flight ({@link FuzzSession}). The target repairs what the fuzzer cannot guess: the type word
 * and exact size, the receiver index (aimed at one of A's live indices) and a valid MAC1; under
 * load it first asks A for a cookie for the source, so MAC2 is valid too and the per-source rate
 * limiter and then the Diffie-Hellman work run.
 *
 * <p>Input: byte 0 picks the message (bits 0-1: initiation, response, cookie reply), bit 2
 * turns on load, bit 3 aims the receiver at A's keypair index instead of its handshake index,
 * bit 4 keeps the fuzzer's receiver index; byte 1 picks the source address (IPv4 or IPv6 by its
 * low bit); the rest is the message from its first byte.
 *
 * <p>Checked: nothing throws; a drop names a counted reason; a message is accepted only if its
 * authenticated bytes are a genuine message's, and then the answer is right (a response to the
 * initiator's sender index, a keepalive after a response); anything else changes nothing in
 * the tunnel.
 */
class HandshakeFuzzTest {
    private FuzzSession session = new FuzzSession();
    private final FuzzChecks checks = new FuzzChecks();
    private final byte[] probe = new byte[HandshakeInitiation.SIZE];
    private long originalNow = session.now;

    @FuzzTest
    void consume(byte[] input) throws UnknownHostException {
        if (input.length < 2) {
            return;
        }
        int flags = input[0];
        MessageType type = switch (flags & 3) {
            case 0, 3 -> MessageType.INITIATION;
            case 1 -> MessageType.RESPONSE;
            default -> MessageType.COOKIE_REPLY;
        };
        boolean underLoad = (flags & 4) != 0;
        InetSocketAddress source = source(input[1]);
        byte[] message = Arrays.copyOfRange(input, 2, 2 + size(type));
        type.write(message, 0);
        if ((flags & 16) == 0 && type != MessageType.INITIATION) {
            int receiver = (flags & 8) != 0 ? session.keypairIndex : session.handshakeIndex;
            LittleEndian.putInt(message, type == MessageType.RESPONSE ? HandshakeResponse.RECEIVER_OFFSET
                    : CookieReply.RECEIVER_OFFSET, receiver);
        }
        if (type != MessageType.COOKIE_REPLY) {
            CookieGenerator macs = underLoad ? cookieFor(source) : session.macsForA;
            macs.addMacs(message, message.length, session.now);
        }
        TunnelState before = TunnelState.of(session.aToB, session.a);

        Verdict verdict = checks.decapsulate(session.a, message, source, underLoad);

        Received received = checks.received;
        assertFalse(received.cookieReplySent(), "MAC2 was valid, yet a cookie reply was sent");
        boolean accepted = received.tunnel() != null || (type == MessageType.COOKIE_REPLY && verdict == Verdict.DONE);
        if (!accepted) {
            assertEquals(Verdict.DROP, verdict);
            assertEquals(before, TunnelState.of(session.aToB, session.a), "a rejected message changed the tunnel");
        } else {
            assertTrue(session.matchesGenuine(message), "a forged " + type + " was accepted");
            checkAnswer(type, message, verdict, received);
            session = new FuzzSession();
            originalNow = session.now;
        }
        if (session.now - originalNow > 60 * FuzzSession.SECOND) {
            session = new FuzzSession(); // keep the session young: time moves 50 ms per input under load
            originalNow = session.now;
        }
    }

    private void checkAnswer(MessageType type, byte[] message, Verdict verdict, Received received) {
        switch (type) {
            case INITIATION -> {
                assertSame(session.aToB, received.tunnel());
                assertEquals(Verdict.WRITE_TO_NETWORK, verdict);
                assertEquals(MessageType.RESPONSE, MessageType.classify(checks.out));
                assertEquals(LittleEndian.getInt(message, HandshakeInitiation.SENDER_OFFSET),
                        LittleEndian.getInt(checks.out, checks.out.position() + HandshakeResponse.RECEIVER_OFFSET),
                        "the response must go to the initiator's sender index");
            }
            case RESPONSE -> {
                assertSame(session.aToB, received.tunnel());
                assertEquals(Verdict.WRITE_TO_NETWORK, verdict, "a consumed response is confirmed at once");
                assertEquals(MessageType.TRANSPORT, MessageType.classify(checks.out));
            }
            default -> {
                assertNull(received.tunnel(), "a cookie reply authenticates no peer");
                assertEquals(1, session.a.events(Engine.Event.COOKIES_RECEIVED));
            }
        }
    }

    /** A MAC generator holding a fresh cookie that A issued to {@code source}. */
    private CookieGenerator cookieFor(InetSocketAddress source) {
        session.now += 50_000_000L; // one rate-limiter token per source per 50 ms
        CookieGenerator generator = new CookieGenerator(session.a.publicKey());
        MessageType.INITIATION.write(probe, 0);
        generator.addMacs(probe, probe.length, session.now);
        Verdict verdict = session.a.decapsulate(java.nio.ByteBuffer.wrap(probe), source, true, checks.out, checks.received);
        assertEquals(Verdict.WRITE_TO_NETWORK, verdict, "no cookie reply under load");
        assertTrue(generator.consumeReply(FuzzSession.copy(checks.out), session.now), "A's cookie reply did not decrypt");
        return generator;
    }

    private static InetSocketAddress source(byte selector) throws UnknownHostException {
        int host = selector & 0xff;
        InetAddress address = (host & 1) == 0
                ? InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, (byte) host})
                : InetAddress.getByAddress(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) host});
        return new InetSocketAddress(address, 51821);
    }

    private static int size(MessageType type) {
        return switch (type) {
            case INITIATION -> HandshakeInitiation.SIZE;
            case RESPONSE -> HandshakeResponse.SIZE;
            default -> CookieReply.SIZE;
        };
    }
}
