package io.jwg.core.crypto;

import java.security.MessageDigest;

/**
 * The whitepaper's MAC: keyed BLAKE2s (RFC 7693) with a 16-byte output. The compression function
 * is written out here, over preallocated state, because the cookie MACs change key with every
 * call (MAC2 is keyed by a cookie, the cookie by the secret) and Bouncy Castle's digest takes its
 * key only in a constructor: this way MAC1, MAC2 and cookie checks allocate nothing, which
 * matters where they run, on the receive thread for every handshake message of a flood.
 * Not thread-safe: one instance per thread (or per lock).
 */
public final class Mac {
    /** Length of every MAC and cookie. */
    public static final int LENGTH = 16;
    /** Longest key BLAKE2s accepts. */
    public static final int MAX_KEY_LENGTH = 32;

    private static final int BLOCK = 64;
    private static final int[] IV = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    /** Message word schedule of the ten rounds. */
    private static final byte[][] SIGMA = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
        {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
        {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
        {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
        {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
        {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    };

    /**
     * A key with the compression of its first block done once: the state every MAC under it
     * starts from, which saves one of the three compressions a MAC1 costs. Immutable; share it
     * between threads.
     */
    public static final class Key {
        private final byte[] key;
        private final int[] state = new int[8];

        /** Prepares {@code key} (1 to 32 bytes, copied). */
        public Key(byte[] key) {
            checkKey(key);
            this.key = key.clone();
            Mac mac = new Mac();
            mac.start(this.key);
            mac.compress(mac.block, 0, BLOCK, false);
            System.arraycopy(mac.h, 0, state, 0, 8);
            mac.wipe();
        }
    }

    private final Key boundKey;
    private final int[] h = new int[8];
    private final int[] m = new int[16];
    private final int[] v = new int[16];
    private final byte[] block = new byte[BLOCK];

    /** A MAC with no bound key, for {@link #keyed}. */
    public Mac() {
        this.boundKey = null;
    }

    /** A MAC bound to {@code key} (1 to 32 bytes, copied), for {@link #compute(byte[], int, int, byte[], int)}. */
    public Mac(byte[] key) {
        this.boundKey = new Key(key);
    }

    /** {@code out[outOff..+16) = MAC(boundKey, data[off, off+len))}. */
    public void compute(byte[] data, int off, int len, byte[] out, int outOff) {
        if (boundKey == null) {
            throw new IllegalStateException("no key bound to this MAC");
        }
        compute(boundKey, data, off, len, out, outOff);
    }

    /** {@code out[outOff..+16) = MAC(key, data[off, off+len))}, starting from the key's prepared state. */
    public void compute(Key key, byte[] data, int off, int len, byte[] out, int outOff) {
        if (len == 0) {
            keyed(key.key, data, off, len, out, outOff); // the key block is the last: no shortcut
            return;
        }
        System.arraycopy(key.state, 0, h, 0, 8);
        finish(data, off, len, out, outOff);
    }

    /** {@code out[outOff..+16) = MAC(key, data[off, off+len))} for any key of 1 to 32 bytes. */
    public void keyed(byte[] key, byte[] data, int off, int len, byte[] out, int outOff) {
        checkKey(key);
        start(key);
        compress(block, 0, BLOCK, len == 0);
        if (len == 0) {
            output(out, outOff);
            return;
        }
        finish(data, off, len, out, outOff);
    }

    /** Initial state for {@code key}, and the key, zero-padded, as the first block in {@code block}. */
    private void start(byte[] key) {
        System.arraycopy(IV, 0, h, 0, 8);
        h[0] ^= 0x0101_0000 ^ (key.length << 8) ^ LENGTH;
        System.arraycopy(key, 0, block, 0, key.length);
        java.util.Arrays.fill(block, key.length, BLOCK, (byte) 0);
    }

    /** Compresses {@code len} (at least 1) data bytes after the key block and writes the MAC. */
    private void finish(byte[] data, int off, int len, byte[] out, int outOff) {
        long counter = BLOCK;
        while (len > BLOCK) {
            counter += BLOCK;
            compress(data, off, counter, false);
            off += BLOCK;
            len -= BLOCK;
        }
        System.arraycopy(data, off, block, 0, len);
        java.util.Arrays.fill(block, len, BLOCK, (byte) 0);
        counter += len;
        compress(block, 0, counter, true);
        output(out, outOff);
    }

    private void output(byte[] out, int outOff) {
        for (int i = 0; i < LENGTH; i++) {
            out[outOff + i] = (byte) (h[i >>> 2] >>> (8 * (i & 3)));
        }
        wipe();
    }

    private void wipe() {
        java.util.Arrays.fill(block, (byte) 0);
        java.util.Arrays.fill(h, 0);
        java.util.Arrays.fill(v, 0);
        java.util.Arrays.fill(m, 0);
    }

    private static void checkKey(byte[] key) {
        if (key.length < 1 || key.length > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("MAC key must be 1 to 32 bytes, not " + key.length);
        }
    }

    private void compress(byte[] in, int off, long counter, boolean last) {
        for (int i = 0; i < 16; i++) {
            int at = off + 4 * i;
            m[i] = (in[at] & 0xff) | (in[at + 1] & 0xff) << 8 | (in[at + 2] & 0xff) << 16 | in[at + 3] << 24;
        }
        System.arraycopy(h, 0, v, 0, 8);
        System.arraycopy(IV, 0, v, 8, 8);
        v[12] ^= (int) counter;
        v[13] ^= (int) (counter >>> 32);
        if (last) {
            v[14] = ~v[14];
        }
        for (byte[] s : SIGMA) {
            mix(0, 4, 8, 12, m[s[0]], m[s[1]]);
            mix(1, 5, 9, 13, m[s[2]], m[s[3]]);
            mix(2, 6, 10, 14, m[s[4]], m[s[5]]);
            mix(3, 7, 11, 15, m[s[6]], m[s[7]]);
            mix(0, 5, 10, 15, m[s[8]], m[s[9]]);
            mix(1, 6, 11, 12, m[s[10]], m[s[11]]);
            mix(2, 7, 8, 13, m[s[12]], m[s[13]]);
            mix(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (int i = 0; i < 8; i++) {
            h[i] ^= v[i] ^ v[i + 8];
        }
    }

    /** BLAKE2s's G function on state words a, b, c, d with message words x and y. */
    private void mix(int a, int b, int c, int d, int x, int y) {
        int[] w = v;
        w[a] += w[b] + x;
        w[d] = Integer.rotateRight(w[d] ^ w[a], 16);
        w[c] += w[d];
        w[b] = Integer.rotateRight(w[b] ^ w[c], 12);
        w[a] += w[b] + y;
        w[d] = Integer.rotateRight(w[d] ^ w[a], 8);
        w[c] += w[d];
        w[b] = Integer.rotateRight(w[b] ^ w[c], 7);
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
