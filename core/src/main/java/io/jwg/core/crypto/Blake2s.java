package io.jwg.core.crypto;

import org.bouncycastle.crypto.digests.Blake2sDigest;

/**
 * The whitepaper's HASH, HMAC and KDF over BLAKE2s-256 (Bouncy Castle's digest).
 * One instance per thread: it keeps a digest and scratch space so that calls allocate nothing.
 */
public final class Blake2s {
    /** Output length of HASH and of every KDF output. */
    public static final int HASH_LENGTH = 32;
    private static final int BLOCK_LENGTH = 64;

    private final Blake2sDigest digest = new Blake2sDigest(256);
    private final byte[] block = new byte[BLOCK_LENGTH];
    private final byte[] inner = new byte[HASH_LENGTH];
    private final byte[] tau0 = new byte[HASH_LENGTH];
    private final byte[] tau = new byte[HASH_LENGTH + 1];

    /** {@code out = HASH(a)}. */
    public void hash(byte[] out, byte[] a) {
        digest.update(a, 0, a.length);
        digest.doFinal(out, 0);
    }

    /** {@code out = HASH(a || b)}; {@code out} may alias {@code a}. */
    public void hash(byte[] out, byte[] a, byte[] b) {
        hash(out, a, b, 0, b.length);
    }

    /** {@code out = HASH(a || b[off, off+len))}; {@code out} may alias {@code a}. */
    public void hash(byte[] out, byte[] a, byte[] b, int off, int len) {
        digest.update(a, 0, a.length);
        digest.update(b, off, len);
        digest.doFinal(out, 0);
    }

    /** {@code out = HMAC(key, data[off, off+len))} with BLAKE2s; key of at most 64 bytes. */
    public void hmac(byte[] out, byte[] key, byte[] data, int off, int len) {
        fillPad(key, (byte) 0x36);
        digest.update(block, 0, BLOCK_LENGTH);
        digest.update(data, off, len);
        digest.doFinal(inner, 0);
        fillPad(key, (byte) 0x5c);
        digest.update(block, 0, BLOCK_LENGTH);
        digest.update(inner, 0, HASH_LENGTH);
        digest.doFinal(out, 0);
    }

    private void fillPad(byte[] key, byte pad) {
        for (int i = 0; i < BLOCK_LENGTH; i++) {
            block[i] = (byte) ((i < key.length ? key[i] : 0) ^ pad);
        }
    }

    /** KDF1: {@code t1 = HKDF(key, input)[0]}. Outputs may alias the key. */
    public void kdf1(byte[] t1, byte[] key, byte[] input, int off, int len) {
        kdf(t1, null, null, key, input, off, len);
    }

    /** KDF2: the first two HKDF outputs. Outputs may alias the key. */
    public void kdf2(byte[] t1, byte[] t2, byte[] key, byte[] input, int off, int len) {
        kdf(t1, t2, null, key, input, off, len);
    }

    /** KDF3: the first three HKDF outputs. Outputs may alias the key. */
    public void kdf3(byte[] t1, byte[] t2, byte[] t3, byte[] key, byte[] input, int off, int len) {
        kdf(t1, t2, t3, key, input, off, len);
    }

    private void kdf(byte[] t1, byte[] t2, byte[] t3, byte[] key, byte[] input, int off, int len) {
        hmac(tau0, key, input, off, len);
        tau[0] = 1;
        hmac(tau, tau0, tau, 0, 1);
        System.arraycopy(tau, 0, t1, 0, HASH_LENGTH);
        if (t2 != null) {
            tau[HASH_LENGTH] = 2;
            hmac(tau, tau0, tau, 0, HASH_LENGTH + 1);
            System.arraycopy(tau, 0, t2, 0, HASH_LENGTH);
        }
        if (t3 != null) {
            tau[HASH_LENGTH] = 3;
            hmac(tau, tau0, tau, 0, HASH_LENGTH + 1);
            System.arraycopy(tau, 0, t3, 0, HASH_LENGTH);
        }
        java.util.Arrays.fill(tau0, (byte) 0);
        java.util.Arrays.fill(tau, (byte) 0);
    }
}
