package io.jwg.core.crypto;

import io.jwg.core.message.LittleEndian;

/**
 * The Poly1305 one-time authenticator (RFC 8439 section 2.5) in 26-bit limbs, over preallocated
 * state, for {@link XChaChaPoly}. Usage: {@link #init}, any number of {@link #update} and
 * {@link #padToBlock}, then {@link #finish}. Not thread-safe.
 */
final class Poly1305 {
    /** Length of the key and of the tag. */
    static final int KEY_LENGTH = 32;
    static final int TAG_LENGTH = 16;

    private static final int MASK = 0x3ffffff;
    private static final int BLOCK = 16;

    private int r0;
    private int r1;
    private int r2;
    private int r3;
    private int r4;
    private int h0;
    private int h1;
    private int h2;
    private int h3;
    private int h4;
    private final int[] pad = new int[4];
    private final byte[] buffer = new byte[BLOCK];
    private int buffered;

    /** Starts a tag under the one-time key {@code key[off, off+32)}. */
    void init(byte[] key, int off) {
        // r is clamped as the RFC requires, and split into 26-bit limbs.
        r0 = LittleEndian.getInt(key, off) & 0x3ffffff;
        r1 = (LittleEndian.getInt(key, off + 3) >>> 2) & 0x3ffff03;
        r2 = (LittleEndian.getInt(key, off + 6) >>> 4) & 0x3ffc0ff;
        r3 = (LittleEndian.getInt(key, off + 9) >>> 6) & 0x3f03fff;
        r4 = (LittleEndian.getInt(key, off + 12) >>> 8) & 0x00fffff;
        for (int i = 0; i < 4; i++) {
            pad[i] = LittleEndian.getInt(key, off + 16 + 4 * i);
        }
        h0 = 0;
        h1 = 0;
        h2 = 0;
        h3 = 0;
        h4 = 0;
        buffered = 0;
    }

    /** Adds {@code data[off, off+len)} to the message. */
    void update(byte[] data, int off, int len) {
        if (buffered > 0) {
            int n = Math.min(len, BLOCK - buffered);
            System.arraycopy(data, off, buffer, buffered, n);
            buffered += n;
            off += n;
            len -= n;
            if (buffered < BLOCK) {
                return;
            }
            block(buffer, 0, 1 << 24);
            buffered = 0;
        }
        while (len >= BLOCK) {
            block(data, off, 1 << 24);
            off += BLOCK;
            len -= BLOCK;
        }
        if (len > 0) {
            System.arraycopy(data, off, buffer, 0, len);
            buffered = len;
        }
    }

    /** Appends zeros up to the next 16-byte boundary (the AEAD construction's padding). */
    void padToBlock() {
        if (buffered > 0) {
            java.util.Arrays.fill(buffer, buffered, BLOCK, (byte) 0);
            block(buffer, 0, 1 << 24);
            buffered = 0;
        }
    }

    /** Writes the 16-byte tag to {@code out[off..]} and forgets the key. */
    void finish(byte[] out, int off) {
        if (buffered > 0) {
            buffer[buffered] = 1;
            java.util.Arrays.fill(buffer, buffered + 1, BLOCK, (byte) 0);
            block(buffer, 0, 0);
            buffered = 0;
        }
        // Fully carry h.
        int c = h1 >>> 26;
        h1 &= MASK;
        h2 += c;
        c = h2 >>> 26;
        h2 &= MASK;
        h3 += c;
        c = h3 >>> 26;
        h3 &= MASK;
        h4 += c;
        c = h4 >>> 26;
        h4 &= MASK;
        h0 += c * 5;
        c = h0 >>> 26;
        h0 &= MASK;
        h1 += c;
        // g = h + 5 - 2^130; keep h when that is negative (h < p), else g.
        int g0 = h0 + 5;
        c = g0 >>> 26;
        g0 &= MASK;
        int g1 = h1 + c;
        c = g1 >>> 26;
        g1 &= MASK;
        int g2 = h2 + c;
        c = g2 >>> 26;
        g2 &= MASK;
        int g3 = h3 + c;
        c = g3 >>> 26;
        g3 &= MASK;
        int g4 = h4 + c - (1 << 26);
        int useG = (g4 >>> 31) - 1;
        int useH = ~useG;
        h0 = (h0 & useH) | (g0 & useG);
        h1 = (h1 & useH) | (g1 & useG);
        h2 = (h2 & useH) | (g2 & useG);
        h3 = (h3 & useH) | (g3 & useG);
        h4 = (h4 & useH) | (g4 & useG);
        // h mod 2^128 in four 32-bit words, plus the pad.
        long w0 = (h0 | h1 << 26) & 0xffff_ffffL;
        long w1 = (h1 >>> 6 | h2 << 20) & 0xffff_ffffL;
        long w2 = (h2 >>> 12 | h3 << 14) & 0xffff_ffffL;
        long w3 = (h3 >>> 18 | h4 << 8) & 0xffff_ffffL;
        long f = w0 + (pad[0] & 0xffff_ffffL);
        LittleEndian.putInt(out, off, (int) f);
        f = w1 + (pad[1] & 0xffff_ffffL) + (f >>> 32);
        LittleEndian.putInt(out, off + 4, (int) f);
        f = w2 + (pad[2] & 0xffff_ffffL) + (f >>> 32);
        LittleEndian.putInt(out, off + 8, (int) f);
        f = w3 + (pad[3] & 0xffff_ffffL) + (f >>> 32);
        LittleEndian.putInt(out, off + 12, (int) f);
        r0 = r1 = r2 = r3 = r4 = 0;
        h0 = h1 = h2 = h3 = h4 = 0;
        java.util.Arrays.fill(pad, 0);
        java.util.Arrays.fill(buffer, (byte) 0);
    }

    /** h = (h + block + hibit * 2^128) * r mod 2^130 - 5; {@code hibit} is 2^24 in limb 4, or 0 for a final partial block. */
    private void block(byte[] m, int off, int hibit) {
        long s1 = r1 * 5L;
        long s2 = r2 * 5L;
        long s3 = r3 * 5L;
        long s4 = r4 * 5L;
        h0 += LittleEndian.getInt(m, off) & MASK;
        h1 += (LittleEndian.getInt(m, off + 3) >>> 2) & MASK;
        h2 += (LittleEndian.getInt(m, off + 6) >>> 4) & MASK;
        h3 += (LittleEndian.getInt(m, off + 9) >>> 6) & MASK;
        h4 += (LittleEndian.getInt(m, off + 12) >>> 8) | hibit;
        long d0 = (long) h0 * r0 + h1 * s4 + h2 * s3 + h3 * s2 + h4 * s1;
        long d1 = (long) h0 * r1 + (long) h1 * r0 + h2 * s4 + h3 * s3 + h4 * s2;
        long d2 = (long) h0 * r2 + (long) h1 * r1 + (long) h2 * r0 + h3 * s4 + h4 * s3;
        long d3 = (long) h0 * r3 + (long) h1 * r2 + (long) h2 * r1 + (long) h3 * r0 + h4 * s4;
        long d4 = (long) h0 * r4 + (long) h1 * r3 + (long) h2 * r2 + (long) h3 * r1 + (long) h4 * r0;
        long c = d0 >>> 26;
        h0 = (int) d0 & MASK;
        d1 += c;
        c = d1 >>> 26;
        h1 = (int) d1 & MASK;
        d2 += c;
        c = d2 >>> 26;
        h2 = (int) d2 & MASK;
        d3 += c;
        c = d3 >>> 26;
        h3 = (int) d3 & MASK;
        d4 += c;
        c = d4 >>> 26;
        h4 = (int) d4 & MASK;
        long t = h0 + c * 5;
        h0 = (int) t & MASK;
        h1 += (int) (t >>> 26);
    }
}
