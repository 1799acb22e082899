package io.jwg.core.crypto;

import io.jwg.core.message.LittleEndian;

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha section 2.2): the ChaCha20 block function over
 * constants, key and a 16-byte nonce, without the final addition, keeping words 0–3 and 12–15.
 */
final class HChaCha20 {
    private HChaCha20() {
    }

    /** Writes the 32-byte subkey for {@code key} (32 bytes) and {@code nonce[0..16)}. */
    static void derive(byte[] key, byte[] nonce, byte[] out) {
        int[] x = new int[16];
        x[0] = 0x61707865;
        x[1] = 0x3320646e;
        x[2] = 0x79622d32;
        x[3] = 0x6b206574;
        for (int i = 0; i < 8; i++) {
            x[4 + i] = LittleEndian.getInt(key, 4 * i);
        }
        for (int i = 0; i < 4; i++) {
            x[12 + i] = LittleEndian.getInt(nonce, 4 * i);
        }
        for (int round = 0; round < 10; round++) {
            quarterRound(x, 0, 4, 8, 12);
            quarterRound(x, 1, 5, 9, 13);
            quarterRound(x, 2, 6, 10, 14);
            quarterRound(x, 3, 7, 11, 15);
            quarterRound(x, 0, 5, 10, 15);
            quarterRound(x, 1, 6, 11, 12);
            quarterRound(x, 2, 7, 8, 13);
            quarterRound(x, 3, 4, 9, 14);
        }
        for (int i = 0; i < 4; i++) {
            LittleEndian.putInt(out, 4 * i, x[i]);
            LittleEndian.putInt(out, 16 + 4 * i, x[12 + i]);
        }
        java.util.Arrays.fill(x, 0);
    }

    private static void quarterRound(int[] x, int a, int b, int c, int d) {
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
    }
}
