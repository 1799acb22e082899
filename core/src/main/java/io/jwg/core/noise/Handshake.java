package io.jwg.core.noise;

import java.util.Arrays;

/**
 * One peer's Noise IKpsk2 handshake state: the running hash and chaining key, our ephemeral key,
 * what we know of the remote side, and the anti-replay state for initiations. Guarded by the
 * owning peer's lock.
 */
public final class Handshake {
    HandshakeState state = HandshakeState.ZEROED;
    final byte[] hash = new byte[32];
    final byte[] chainKey = new byte[32];
    final byte[] presharedKey = new byte[32];
    final byte[] localEphemeral = new byte[32];
    final byte[] remoteStatic;
    final byte[] remoteEphemeral = new byte[32];
    /** DH(our static private, their static public), precomputed; all zero when unusable. */
    final byte[] precomputedStaticStatic = new byte[32];
    /** Greatest TAI64N timestamp accepted from this peer. */
    final byte[] lastTimestamp = new byte[12];
    int localIndex;
    int remoteIndex;
    /** Monotonic time of the last consumed initiation; {@code Long.MIN_VALUE} when none. */
    long lastInitiationConsumption = Long.MIN_VALUE;

    /** A handshake with the peer whose static public key is {@code remoteStatic}. */
    public Handshake(byte[] remoteStatic) {
        this.remoteStatic = remoteStatic.clone();
    }

    /** The current state. */
    public HandshakeState state() {
        return state;
    }

    /** Our index for the handshake in flight, 0 when none. */
    public int localIndex() {
        return localIndex;
    }

    /** The peer's index for the handshake in flight, 0 when none. */
    public int remoteIndex() {
        return remoteIndex;
    }

    /** Sets the pre-shared key (32 bytes, all zero for none), overwriting the previous one in place. */
    public void setPresharedKey(byte[] key) {
        System.arraycopy(key, 0, presharedKey, 0, 32);
    }

    /** The pre-shared key (a copy). */
    public byte[] presharedKey() {
        return presharedKey.clone();
    }

    /** Recomputes the static-static DH for a new local private key (null or zero clears it). */
    public void precompute(byte[] localPrivateKey) {
        if (localPrivateKey == null || !io.jwg.core.crypto.X25519.sharedSecret(localPrivateKey, remoteStatic, precomputedStaticStatic)) {
            Arrays.fill(precomputedStaticStatic, (byte) 0);
        }
    }

    /**
     * Erases every secret the handshake holds, the pre-shared key and the static-static DH
     * included, for a peer that is removed for good.
     */
    public void destroy() {
        clear();
        Arrays.fill(presharedKey, (byte) 0);
        Arrays.fill(precomputedStaticStatic, (byte) 0);
    }

    /** Erases the in-flight handshake (not the timestamp or flood state); the caller frees the index. */
    public void clear() {
        Arrays.fill(hash, (byte) 0);
        Arrays.fill(chainKey, (byte) 0);
        Arrays.fill(localEphemeral, (byte) 0);
        Arrays.fill(remoteEphemeral, (byte) 0);
        localIndex = 0;
        remoteIndex = 0;
        state = HandshakeState.ZEROED;
    }
}
