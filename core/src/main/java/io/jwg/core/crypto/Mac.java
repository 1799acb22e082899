package io.jwg.core.crypto;

import java.security.MessageDigest;
import org.bouncycastle.crypto.digests.Blake2sDigest;

/**
 * The whitepaper's MAC: keyed BLAKE2s with a 16-byte output. An instance is bound to one key and
 * reused (Bouncy Castle's reset re-applies the key), so MAC1 checks allocate nothing.
 * Not thread-safe.
 */
public final class Mac {
    /** Length of every MAC and cookie. */
    public static final int LENGTH = 16;

    private final Blake2sDigest digest;

    /** A MAC keyed with {@code key} (1 to 32 bytes). */
    public Mac(byte[] key) {
        digest = new Blake2sDigest(key, LENGTH, null, null);
    }

    /** {@code out[outOff..+16) = MAC(key, data[off, off+len))}. */
    public void compute(byte[] data, int off, int len, byte[] out, int outOff) {
        digest.reset();
        digest.update(data, off, len);
        digest.doFinal(out, outOff);
    }

    /** One-shot keyed MAC for keys that change each time (cookies). */
    public static void compute(byte[] key, byte[] data, int off, int len, byte[] out, int outOff) {
        new Mac(key).compute(data, off, len, out, outOff);
    }

    /** Constant-time comparison of two 16-byte MACs at the given offsets. */
    public static boolean equal(byte[] a, int aOff, byte[] b, int bOff) {
        int diff = 0;
        for (int i = 0; i < LENGTH; i++) {
            diff |= a[aOff + i] ^ b[bOff + i];
        }
        return diff == 0;
    }

    /** Constant-time equality of two whole arrays of equal length. */
    public static boolean equal(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }
}
