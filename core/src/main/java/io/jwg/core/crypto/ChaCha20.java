package io.jwg.core.crypto;

import io.jwg.core.message.LittleEndian;

/**
 * The ChaCha20 block function (RFC 8439 section 2.3) and HChaCha20 (draft-irtf-cfrg-xchacha
 * section 2.2) in plain Java over preallocated state. Only cookie replies use it (a 16-byte
 * cookie, two blocks of keystream); transport data goes through the JDK's intrinsic cipher, which
 * however allocates when it is given a new key, and a cookie reply has a new key every time.
 * Not thread-safe.
 */
final class ChaCha20 {
    /** Bytes per block of keystream. */
    static final int BLOCK = 64;

    private final int[] input = new int[16];
    private final int[] x = new int[16];

    /** Writes the 32-byte HChaCha20 subkey for {@code key} (32 bytes) and {@code nonce[0..16)}. */
    void hchacha20(byte[] key, byte[] nonce, byte[] out) {
        setUp(key);
        for (int i = 0; i < 4; i++) {
            input[12 + i] = LittleEndian.getInt(nonce, 4 * i);
        }
        permute();
        for (int i = 0; i < 4; i++) {
            LittleEndian.putInt(out, 4 * i, x[i]);
            LittleEndian.putInt(out, 16 + 4 * i, x[12 + i]);
        }
        wipe();
    }

    /**
     * XORs {@code len} bytes of {@code in} with the keystream of {@code key} (32 bytes) and
     * {@code nonce12}, starting at block {@code counter}, into {@code out}; {@code in} and
     * {@code out} may be the same bytes. {@code len} 0 writes nothing.
     */
    void xor(byte[] key, int counter, byte[] nonce12, byte[] in, int inOff, int len, byte[] out, int outOff) {
        setUp(key);
        for (int i = 0; i < 3; i++) {
            input[13 + i] = LittleEndian.getInt(nonce12, 4 * i);
        }
        for (int done = 0; done < len; done += BLOCK) {
            input[12] = counter++;
            permute();
            int n = Math.min(BLOCK, len - done);
            for (int i = 0; i < n; i++) {
                int word = x[i >>> 2] + input[i >>> 2];
                out[outOff + done + i] = (byte) (in[inOff + done + i] ^ (word >>> (8 * (i & 3))));
            }
        }
        wipe();
    }

    private void setUp(byte[] key) {
        input[0] = 0x61707865;
        input[1] = 0x3320646e;
        input[2] = 0x79622d32;
        input[3] = 0x6b206574;
        for (int i = 0; i < 8; i++) {
            input[4 + i] = LittleEndian.getInt(key, 4 * i);
        }
    }

    /** {@code x} = twenty rounds over {@code input}, without the final addition. */
    private void permute() {
        System.arraycopy(input, 0, x, 0, 16);
        for (int round = 0; round < 10; round++) {
            quarterRound(0, 4, 8, 12);
            quarterRound(1, 5, 9, 13);
            quarterRound(2, 6, 10, 14);
            quarterRound(3, 7, 11, 15);
            quarterRound(0, 5, 10, 15);
            quarterRound(1, 6, 11, 12);
            quarterRound(2, 7, 8, 13);
            quarterRound(3, 4, 9, 14);
        }
    }

    private void quarterRound(int a, int b, int c, int d) {
        int[] s = x;
        s[a] += s[b];
        s[d] = Integer.rotateLeft(s[d] ^ s[a], 16);
        s[c] += s[d];
        s[b] = Integer.rotateLeft(s[b] ^ s[c], 12);
        s[a] += s[b];
        s[d] = Integer.rotateLeft(s[d] ^ s[a], 8);
        s[c] += s[d];
        s[b] = Integer.rotateLeft(s[b] ^ s[c], 7);
    }

    /** Key material does not outlive the call. */
    private void wipe() {
        java.util.Arrays.fill(input, 0);
        java.util.Arrays.fill(x, 0);
    }
}
