package io.jwg.core.crypto;

import java.security.SecureRandom;

/**
 * Curve25519 Diffie-Hellman (RFC 7748) on Bouncy Castle's implementation. Private keys are
 * clamped on use; a shared secret of all zeros (a low-order public key) is reported as failure,
 * as the whitepaper requires.
 */
public final class X25519 {
    /** Length of private keys, public keys and shared secrets. */
    public static final int KEY_LENGTH = 32;

    private X25519() {
    }

    /** Fills {@code privateKey} with a fresh clamped private key. */
    public static void generatePrivateKey(SecureRandom random, byte[] privateKey) {
        random.nextBytes(privateKey);
        clamp(privateKey);
    }

    /** Applies the RFC 7748 clamping in place (what {@code wg genkey} stores). */
    public static void clamp(byte[] privateKey) {
        privateKey[0] &= (byte) 248;
        privateKey[31] &= 127;
        privateKey[31] |= 64;
    }

    /** {@code publicKey = privateKey · 9}. */
    public static void publicKey(byte[] privateKey, byte[] publicKey) {
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMultBase(privateKey, 0, publicKey, 0);
    }

    /**
     * {@code out = DH(privateKey, publicKey)}; returns false (and leaves {@code out} all zero)
     * when the result is the all-zero point.
     */
    public static boolean sharedSecret(byte[] privateKey, byte[] publicKey, byte[] out) {
        return X25519Ladder.scalarMult(privateKey, publicKey, out);
    }

    /** True when every byte is zero (an unset key), in constant time. */
    public static boolean isZero(byte[] key) {
        int acc = 0;
        for (byte b : key) {
            acc |= b;
        }
        return acc == 0;
    }
}
