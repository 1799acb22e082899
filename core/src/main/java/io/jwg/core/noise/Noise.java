package io.jwg.core.noise;

import static io.jwg.core.message.HandshakeInitiation.EPHEMERAL_OFFSET;
import static io.jwg.core.message.HandshakeInitiation.SENDER_OFFSET;
import static io.jwg.core.message.HandshakeInitiation.STATIC_LENGTH;
import static io.jwg.core.message.HandshakeInitiation.STATIC_OFFSET;
import static io.jwg.core.message.HandshakeInitiation.TIMESTAMP_LENGTH;
import static io.jwg.core.message.HandshakeInitiation.TIMESTAMP_OFFSET;

import io.jwg.core.Constants;
import io.jwg.core.crypto.Blake2s;
import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.crypto.Tai64n;
import io.jwg.core.crypto.X25519;
import io.jwg.core.message.HandshakeResponse;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.MessageType;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The Noise_IKpsk2 message computations of the whitepaper (section 5.4), step for step as
 * wireguard-go's {@code noise-protocol.go}. Methods read and write a peer's {@link Handshake}
 * and fixed-size message arrays; MACs are added and checked elsewhere (cookie package), and index
 * allocation belongs to the caller. One instance per thread: it owns the hash, AEAD and scratch.
 *
 * <p>Consuming an initiation is split in two because the initiator's identity is only known
 * after the first DH: {@link #openInitiation} recovers the static key, the caller finds the peer,
 * then {@link #acceptInitiation} authenticates the timestamp and commits the state.
 */
public final class Noise {
    static final byte[] INITIAL_CHAIN_KEY = new byte[32];
    static final byte[] INITIAL_HASH = new byte[32];

    static {
        Blake2s b = new Blake2s();
        b.hash(INITIAL_CHAIN_KEY, Constants.CONSTRUCTION);
        b.hash(INITIAL_HASH, INITIAL_CHAIN_KEY, Constants.IDENTIFIER);
    }

    private static final byte[] EMPTY = new byte[0];

    private final Blake2s blake = new Blake2s();
    private final ChaChaPoly aead = new ChaChaPoly();
    private final SecureRandom random;
    private final byte[] key = new byte[32];
    private final byte[] tau = new byte[32];
    private final byte[] dh = new byte[32];
    private final byte[] ephemeralPublic = new byte[32];
    // State of an initiation between openInitiation and acceptInitiation.
    private final byte[] pendingHash = new byte[32];
    private final byte[] pendingChainKey = new byte[32];
    private final byte[] pendingEphemeral = new byte[32];
    private final byte[] pendingStatic = new byte[32];
    private final byte[] pendingTimestamp = new byte[12];
    private int pendingSender;

    /** A workspace drawing ephemeral keys from {@code random}. */
    public Noise(SecureRandom random) {
        this.random = random;
    }

    /**
     * Fills the first 116 bytes of an initiation (MACs excluded) into {@code msg} and moves the
     * handshake to INITIATION_CREATED. Returns false, changing nothing, when the static-static DH
     * is unusable (no private key, or a low-order peer key).
     */
    public boolean createInitiation(Handshake hs, byte[] localStaticPublic, int senderIndex, long epochNanos, byte[] msg) {
        if (X25519.isZero(hs.precomputedStaticStatic)) {
            return false;
        }
        byte[] ephemeralPrivate = hs.localEphemeral;
        X25519.generatePrivateKey(random, ephemeralPrivate);
        X25519.publicKey(ephemeralPrivate, ephemeralPublic);
        if (!X25519.sharedSecret(ephemeralPrivate, hs.remoteStatic, dh)) {
            return false;
        }
        System.arraycopy(INITIAL_CHAIN_KEY, 0, hs.chainKey, 0, 32);
        blake.hash(hs.hash, INITIAL_HASH, hs.remoteStatic);
        MessageType.INITIATION.write(msg, 0);
        LittleEndian.putInt(msg, SENDER_OFFSET, senderIndex);
        System.arraycopy(ephemeralPublic, 0, msg, EPHEMERAL_OFFSET, 32);
        blake.kdf1(hs.chainKey, hs.chainKey, ephemeralPublic, 0, 32);
        blake.hash(hs.hash, hs.hash, ephemeralPublic);
        blake.kdf2(hs.chainKey, key, hs.chainKey, dh, 0, 32);
        aead.seal(key, 0, localStaticPublic, 0, 32, msg, STATIC_OFFSET, hs.hash);
        blake.hash(hs.hash, hs.hash, msg, STATIC_OFFSET, STATIC_LENGTH);
        blake.kdf2(hs.chainKey, key, hs.chainKey, hs.precomputedStaticStatic, 0, 32);
        byte[] timestamp = pendingTimestamp;
        Tai64n.encode(epochNanos, timestamp, 0);
        aead.seal(key, 0, timestamp, 0, 12, msg, TIMESTAMP_OFFSET, hs.hash);
        blake.hash(hs.hash, hs.hash, msg, TIMESTAMP_OFFSET, TIMESTAMP_LENGTH);
        hs.localIndex = senderIndex;
        hs.state = HandshakeState.INITIATION_CREATED;
        wipe();
        return true;
    }

    /**
     * First half of consuming an initiation: with our static key, decrypts the initiator's static
     * public key into {@code initiatorStatic}. Returns false for anything that does not decrypt.
     */
    public boolean openInitiation(byte[] msg, byte[] localPrivate, byte[] localPublic, byte[] initiatorStatic) {
        if (localPrivate == null) {
            return false;
        }
        System.arraycopy(msg, EPHEMERAL_OFFSET, pendingEphemeral, 0, 32);
        blake.hash(pendingHash, INITIAL_HASH, localPublic);
        blake.hash(pendingHash, pendingHash, pendingEphemeral);
        blake.kdf1(pendingChainKey, INITIAL_CHAIN_KEY, pendingEphemeral, 0, 32);
        if (!X25519.sharedSecret(localPrivate, pendingEphemeral, dh)) {
            return false;
        }
        blake.kdf2(pendingChainKey, key, pendingChainKey, dh, 0, 32);
        if (!aead.open(key, 0, msg, STATIC_OFFSET, STATIC_LENGTH, pendingStatic, 0, pendingHash)) {
            wipe();
            return false;
        }
        blake.hash(pendingHash, pendingHash, msg, STATIC_OFFSET, STATIC_LENGTH);
        System.arraycopy(pendingStatic, 0, initiatorStatic, 0, 32);
        pendingSender = LittleEndian.getInt(msg, SENDER_OFFSET);
        return true;
    }

    /** Why {@link #acceptInitiation} refused an initiation. */
    public enum InitiationVerdict {
        /** Accepted; the handshake is INITIATION_CONSUMED. */
        ACCEPTED,
        /** The timestamp did not authenticate, or the static-static DH is unusable. */
        INVALID,
        /** The timestamp is not newer than the last accepted one. */
        REPLAYED,
        /** Less than 20 ms since the previous initiation from this peer. */
        FLOOD
    }

    /**
     * Second half: authenticates the timestamp of the initiation opened last on this workspace
     * against the peer's handshake and, if it is fresh and not a flood, commits the handshake
     * state (INITIATION_CONSUMED). {@code now} is monotonic nanoseconds.
     */
    public InitiationVerdict acceptInitiation(byte[] msg, Handshake hs, long now) {
        try {
            if (X25519.isZero(hs.precomputedStaticStatic)) {
                return InitiationVerdict.INVALID;
            }
            blake.kdf2(pendingChainKey, key, pendingChainKey, hs.precomputedStaticStatic, 0, 32);
            if (!aead.open(key, 0, msg, TIMESTAMP_OFFSET, TIMESTAMP_LENGTH, pendingTimestamp, 0, pendingHash)) {
                return InitiationVerdict.INVALID;
            }
            blake.hash(pendingHash, pendingHash, msg, TIMESTAMP_OFFSET, TIMESTAMP_LENGTH);
            if (!Tai64n.after(pendingTimestamp, hs.lastTimestamp)) {
                return InitiationVerdict.REPLAYED;
            }
            if (hs.lastInitiationConsumption != Long.MIN_VALUE
                    && now - hs.lastInitiationConsumption <= Constants.HANDSHAKE_INITIATION_RATE) {
                return InitiationVerdict.FLOOD;
            }
            System.arraycopy(pendingHash, 0, hs.hash, 0, 32);
            System.arraycopy(pendingChainKey, 0, hs.chainKey, 0, 32);
            System.arraycopy(pendingEphemeral, 0, hs.remoteEphemeral, 0, 32);
            System.arraycopy(pendingTimestamp, 0, hs.lastTimestamp, 0, 12);
            hs.remoteIndex = pendingSender;
            hs.lastInitiationConsumption = now;
            hs.state = HandshakeState.INITIATION_CONSUMED;
            return InitiationVerdict.ACCEPTED;
        } finally {
            wipe();
        }
    }

    /**
     * Fills the first 60 bytes of a response (MACs excluded) to the consumed initiation and moves
     * the handshake to RESPONSE_CREATED. False when the state is wrong or a DH fails.
     */
    public boolean createResponse(Handshake hs, int senderIndex, byte[] msg) {
        if (hs.state != HandshakeState.INITIATION_CONSUMED) {
            return false;
        }
        try {
            X25519.generatePrivateKey(random, hs.localEphemeral);
            X25519.publicKey(hs.localEphemeral, ephemeralPublic);
            MessageType.RESPONSE.write(msg, 0);
            LittleEndian.putInt(msg, HandshakeResponse.SENDER_OFFSET, senderIndex);
            LittleEndian.putInt(msg, HandshakeResponse.RECEIVER_OFFSET, hs.remoteIndex);
            System.arraycopy(ephemeralPublic, 0, msg, HandshakeResponse.EPHEMERAL_OFFSET, 32);
            blake.hash(hs.hash, hs.hash, ephemeralPublic);
            blake.kdf1(hs.chainKey, hs.chainKey, ephemeralPublic, 0, 32);
            if (!X25519.sharedSecret(hs.localEphemeral, hs.remoteEphemeral, dh)) {
                return false;
            }
            blake.kdf1(hs.chainKey, hs.chainKey, dh, 0, 32);
            if (!X25519.sharedSecret(hs.localEphemeral, hs.remoteStatic, dh)) {
                return false;
            }
            blake.kdf1(hs.chainKey, hs.chainKey, dh, 0, 32);
            blake.kdf3(hs.chainKey, tau, key, hs.chainKey, hs.presharedKey, 0, 32);
            blake.hash(hs.hash, hs.hash, tau);
            aead.seal(key, 0, EMPTY, 0, 0, msg, HandshakeResponse.EMPTY_OFFSET, hs.hash);
            blake.hash(hs.hash, hs.hash, msg, HandshakeResponse.EMPTY_OFFSET, 16);
            hs.localIndex = senderIndex;
            hs.state = HandshakeState.RESPONSE_CREATED;
            return true;
        } finally {
            wipe();
        }
    }

    /**
     * Consumes a response to our initiation: authenticates it with both DHs and the pre-shared
     * key and, only if it verifies, moves the handshake to RESPONSE_CONSUMED.
     */
    public boolean consumeResponse(byte[] msg, Handshake hs, byte[] localPrivate) {
        if (hs.state != HandshakeState.INITIATION_CREATED || localPrivate == null) {
            return false;
        }
        try {
            byte[] remoteEphemeral = pendingEphemeral;
            System.arraycopy(msg, HandshakeResponse.EPHEMERAL_OFFSET, remoteEphemeral, 0, 32);
            blake.hash(pendingHash, hs.hash, remoteEphemeral);
            blake.kdf1(pendingChainKey, hs.chainKey, remoteEphemeral, 0, 32);
            if (!X25519.sharedSecret(hs.localEphemeral, remoteEphemeral, dh)) {
                return false;
            }
            blake.kdf1(pendingChainKey, pendingChainKey, dh, 0, 32);
            if (!X25519.sharedSecret(localPrivate, remoteEphemeral, dh)) {
                return false;
            }
            blake.kdf1(pendingChainKey, pendingChainKey, dh, 0, 32);
            blake.kdf3(pendingChainKey, tau, key, pendingChainKey, hs.presharedKey, 0, 32);
            blake.hash(pendingHash, pendingHash, tau);
            if (!aead.open(key, 0, msg, HandshakeResponse.EMPTY_OFFSET, 16, dh, 0, pendingHash)) {
                return false;
            }
            blake.hash(pendingHash, pendingHash, msg, HandshakeResponse.EMPTY_OFFSET, 16);
            System.arraycopy(pendingHash, 0, hs.hash, 0, 32);
            System.arraycopy(pendingChainKey, 0, hs.chainKey, 0, 32);
            hs.remoteIndex = LittleEndian.getInt(msg, HandshakeResponse.SENDER_OFFSET);
            hs.state = HandshakeState.RESPONSE_CONSUMED;
            return true;
        } finally {
            wipe();
        }
    }

    /**
     * Derives the transport keys from a completed handshake (RESPONSE_CONSUMED for the initiator,
     * RESPONSE_CREATED for the responder) and erases the handshake's secrets. Returns false when
     * the handshake is in neither state. Index bookkeeping is left to the caller, which must read
     * {@link Handshake#localIndex()} before calling.
     */
    public boolean deriveKeys(Handshake hs, byte[] sendKey, byte[] receiveKey) {
        if (hs.state == HandshakeState.RESPONSE_CONSUMED) {
            blake.kdf2(sendKey, receiveKey, hs.chainKey, EMPTY, 0, 0);
        } else if (hs.state == HandshakeState.RESPONSE_CREATED) {
            blake.kdf2(receiveKey, sendKey, hs.chainKey, EMPTY, 0, 0);
        } else {
            return false;
        }
        hs.clear();
        return true;
    }

    private void wipe() {
        Arrays.fill(key, (byte) 0);
        Arrays.fill(tau, (byte) 0);
        Arrays.fill(dh, (byte) 0);
        Arrays.fill(pendingChainKey, (byte) 0);
    }
}
