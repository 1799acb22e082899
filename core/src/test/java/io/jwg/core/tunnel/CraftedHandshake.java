package io.jwg.core.tunnel;

import io.jwg.core.Constants;
import io.jwg.core.cookie.CookieGenerator;
import io.jwg.core.crypto.Blake2s;
import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.crypto.Tai64n;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.HandshakeResponse;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.MessageType;

/**
 * Handshake messages computed step by step as the whitepaper (5.4.2, 5.4.3) defines them, from
 * Diffie-Hellman results the caller supplies. A test can so play an attacker who sends a
 * low-order point and derives its keys from the all-zero secret the victim would compute, and
 * check, with the same code fed real secrets, that the message would otherwise authenticate.
 * Holds the running chaining key and hash of one handshake.
 */
final class CraftedHandshake {
    private final Blake2s blake = new Blake2s();
    private final ChaChaPoly aead = new ChaChaPoly();
    private final byte[] chainKey = new byte[32];
    private final byte[] hash = new byte[32];
    private final byte[] key = new byte[32];

    /** The state both sides start from for a handshake with the responder {@code responderStatic}. */
    CraftedHandshake(byte[] responderStatic) {
        blake.hash(chainKey, Constants.CONSTRUCTION);
        blake.hash(hash, chainKey, Constants.IDENTIFIER);
        blake.hash(hash, hash, responderStatic);
    }

    /**
     * An initiation from {@code initiatorStatic} with ephemeral {@code ephemeralPublic}, whose
     * keys come from {@code es} = DH(ephemeral, responder static) and {@code ss} = DH(initiator
     * static, responder static); MAC1 is valid for {@code responderStatic}.
     */
    byte[] initiation(byte[] responderStatic, byte[] initiatorStatic, byte[] ephemeralPublic, byte[] es, byte[] ss,
            int sender, long epochNanos) {
        byte[] msg = new byte[HandshakeInitiation.SIZE];
        MessageType.INITIATION.write(msg, 0);
        LittleEndian.putInt(msg, HandshakeInitiation.SENDER_OFFSET, sender);
        System.arraycopy(ephemeralPublic, 0, msg, HandshakeInitiation.EPHEMERAL_OFFSET, 32);
        blake.kdf1(chainKey, chainKey, ephemeralPublic, 0, 32);
        blake.hash(hash, hash, ephemeralPublic);
        blake.kdf2(chainKey, key, chainKey, es, 0, 32);
        sealAndHash(initiatorStatic, msg, HandshakeInitiation.STATIC_OFFSET);
        blake.kdf2(chainKey, key, chainKey, ss, 0, 32);
        byte[] timestamp = new byte[Tai64n.LENGTH];
        Tai64n.encode(epochNanos, timestamp, 0);
        sealAndHash(timestamp, msg, HandshakeInitiation.TIMESTAMP_OFFSET);
        new CookieGenerator(responderStatic).addMacs(msg, msg.length, 0);
        return msg;
    }

    /**
     * The responder's view of a received initiation, without decrypting it: mixes in its
     * ephemeral and ciphertexts with the responder's {@code es} and {@code ss}.
     */
    void absorbInitiation(byte[] msg, byte[] es, byte[] ss) {
        blake.kdf1(chainKey, chainKey, msg, HandshakeInitiation.EPHEMERAL_OFFSET, 32);
        blake.hash(hash, hash, msg, HandshakeInitiation.EPHEMERAL_OFFSET, 32);
        blake.kdf2(chainKey, key, chainKey, es, 0, 32);
        blake.hash(hash, hash, msg, HandshakeInitiation.STATIC_OFFSET, HandshakeInitiation.STATIC_LENGTH);
        blake.kdf2(chainKey, key, chainKey, ss, 0, 32);
        blake.hash(hash, hash, msg, HandshakeInitiation.TIMESTAMP_OFFSET, HandshakeInitiation.TIMESTAMP_LENGTH);
    }

    /**
     * A response after {@link #absorbInitiation}, with ephemeral {@code ephemeralPublic} and
     * {@code ee} = DH(responder ephemeral, initiator ephemeral), {@code se} = DH(responder
     * ephemeral, initiator static); MAC1 is valid for {@code initiatorStatic}.
     */
    byte[] response(byte[] initiatorStatic, byte[] ephemeralPublic, byte[] ee, byte[] se, byte[] psk,
            int sender, int receiver) {
        byte[] msg = new byte[HandshakeResponse.SIZE];
        MessageType.RESPONSE.write(msg, 0);
        LittleEndian.putInt(msg, HandshakeResponse.SENDER_OFFSET, sender);
        LittleEndian.putInt(msg, HandshakeResponse.RECEIVER_OFFSET, receiver);
        System.arraycopy(ephemeralPublic, 0, msg, HandshakeResponse.EPHEMERAL_OFFSET, 32);
        blake.kdf1(chainKey, chainKey, ephemeralPublic, 0, 32);
        blake.hash(hash, hash, ephemeralPublic);
        blake.kdf1(chainKey, chainKey, ee, 0, 32);
        blake.kdf1(chainKey, chainKey, se, 0, 32);
        byte[] tau = new byte[32];
        blake.kdf3(chainKey, tau, key, chainKey, psk, 0, 32);
        blake.hash(hash, hash, tau);
        sealAndHash(new byte[0], msg, HandshakeResponse.EMPTY_OFFSET);
        new CookieGenerator(initiatorStatic).addMacs(msg, msg.length, 0);
        return msg;
    }

    private void sealAndHash(byte[] plaintext, byte[] msg, int offset) {
        aead.seal(key, 0, plaintext, 0, plaintext.length, msg, offset, hash);
        blake.hash(hash, hash, msg, offset, plaintext.length + ChaChaPoly.TAG_LENGTH);
    }
}
