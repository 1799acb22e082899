package io.jwg.core.crypto;

import java.security.SecureRandom;

/**
 * Random nonces for hot paths: a ChaCha20 keystream generator with fast key erasure (each call
 * produces one block, whose first half becomes the next key and whose second half is the output),
 * keyed once from a {@link SecureRandom}. The JDK's {@code NativePRNG} allocates on every call
 * (88 bytes on JDK 25), and cookie replies, one per datagram of a flood, each need a fresh
 * 24-byte nonce. Not thread-safe: one per thread.
 */
public final class NonceGenerator {
    /** Most bytes one call produces. */
    public static final int MAX_LENGTH = 32;

    private static final byte[] NONCE = new byte[12];

    private final ChaCha20 chacha = new ChaCha20();
    private final byte[] key = new byte[32];
    private final byte[] block = new byte[ChaCha20.BLOCK];

    /** A generator keyed from {@code seed}. */
    public NonceGenerator(SecureRandom seed) {
        seed.nextBytes(key);
    }

    /** Fills {@code out[off, off+len)} ({@code len} at most {@value #MAX_LENGTH}) with random bytes. */
    public void next(byte[] out, int off, int len) {
        if (len < 0 || len > MAX_LENGTH) {
            throw new IllegalArgumentException("at most " + MAX_LENGTH + " bytes per call, not " + len);
        }
        java.util.Arrays.fill(block, (byte) 0);
        chacha.xor(key, 0, NONCE, block, 0, ChaCha20.BLOCK, block, 0);
        System.arraycopy(block, 0, key, 0, 32);
        System.arraycopy(block, 32, out, off, len);
        java.util.Arrays.fill(block, (byte) 0);
    }
}
