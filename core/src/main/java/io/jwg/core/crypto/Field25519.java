package io.jwg.core.crypto;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Arithmetic modulo p = 2^255 - 19 for {@link X25519Ladder}, in radix 2^51: an element is a
 * {@code long[5]} {@code h} with value {@code h[0] + h[1]·2^51 + h[2]·2^102 + h[3]·2^153 + h[4]·2^204}.
 * Limbs are unsigned and not always fully reduced; every operation states the limb bounds it
 * accepts and the bounds it guarantees, and the ladder only feeds each one values inside them:
 * <ul>
 * <li><b>carried</b>: every limb &lt; 2^51 + 2^15 ({@link #CARRIED_MAX}) — what {@link #mul},
 *     the squarings, {@link #mulSmall}, {@link #mulSmallAdd}, {@link #invert} and
 *     {@link #decode} return;
 * <li><b>lazy</b>: every limb &lt; 2^53 ({@link #LAZY_MAX}) — what {@link #add} and {@link #sub}
 *     of carried values return, and what {@code mul}, the squarings, {@code mulSmall},
 *     {@code invert} and {@link #encode} accept. {@link #sqrSum} and {@link #sqrDiff} take the
 *     operands of {@code add} and {@code sub}.
 * </ul>
 *
 * <p>Products use 64×64→128-bit multiplication split into a wrapping low half ({@code x*y}) and
 * a high half taken at bit 53 ({@code unsignedMultiplyHigh(x, y << 11)} = ⌊xy / 2^53⌋, exact
 * because {@code y < 2^53}). A column of up to five products is summed as two 64-bit
 * accumulators, {@code lo} = Σ xy mod 2^64 and {@code hi} = Σ ⌊xy / 2^53⌋. The column's value
 * over 2^51 is then {@code 4·hi + t}, where t &lt; 20 is the sum of the low 53-bit parts over
 * 2^51, recovered without branches as {@code ((lo >>> 51) - 4·hi) mod 2^13} because bits 51..63
 * of {@code lo} are {@code 4·hi + t} mod 2^13. Nothing branches on or indexes by limb values.
 *
 * <p>The class keeps no state; callers own the arrays.
 */
final class Field25519 {
    static final int LIMBS = 5;
    static final long MASK51 = (1L << 51) - 1;
    /** Largest limb {@link #mul}, {@link #sqr}, {@link #mulSmall} and {@link #encode} accept. */
    static final long LAZY_MAX = (1L << 53) - 1;
    /** Largest limb {@link #mul}, {@link #sqr}, {@link #mulSmall} and {@link #decode} return. */
    static final long CARRIED_MAX = (1L << 51) + (1L << 15) - 1;
    /** Largest limb of either operand of {@link #add}, and of the minuend of {@link #sub}. */
    static final long ADD_MAX = (1L << 52) - 1;
    /** Largest limb 0 of the subtrahend of {@link #sub} (limbs 1..4: {@link #SUB_MAX}). */
    static final long SUB_MAX0 = (1L << 52) - 38;
    /** Largest limb 1..4 of the subtrahend of {@link #sub}. */
    static final long SUB_MAX = (1L << 52) - 2;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Field25519() {
    }

    /** {@code r = 0}. */
    static void zero(long[] r) {
        r[0] = 0;
        r[1] = 0;
        r[2] = 0;
        r[3] = 0;
        r[4] = 0;
    }

    /** {@code r = 1}. */
    static void one(long[] r) {
        r[0] = 1;
        r[1] = 0;
        r[2] = 0;
        r[3] = 0;
        r[4] = 0;
    }

    /** {@code r = a}. */
    static void copy(long[] r, long[] a) {
        r[0] = a[0];
        r[1] = a[1];
        r[2] = a[2];
        r[3] = a[3];
        r[4] = a[4];
    }

    /**
     * Reads 32 little-endian bytes, ignoring bit 255 (RFC 7748 section 5). Values in [p, 2^255)
     * are accepted unreduced: they are congruent to their reduction and every limb is &lt; 2^51.
     */
    static void decode(byte[] in, int off, long[] r) {
        long w0 = (long) LONGS.get(in, off);
        long w1 = (long) LONGS.get(in, off + 8);
        long w2 = (long) LONGS.get(in, off + 16);
        long w3 = (long) LONGS.get(in, off + 24) & Long.MAX_VALUE;
        r[0] = w0 & MASK51;
        r[1] = ((w0 >>> 51) | (w1 << 13)) & MASK51;
        r[2] = ((w1 >>> 38) | (w2 << 26)) & MASK51;
        r[3] = ((w2 >>> 25) | (w3 << 39)) & MASK51;
        r[4] = w3 >>> 12;
    }

    /**
     * Writes the canonical (fully reduced, &lt; p) little-endian encoding of {@code a}; limbs
     * &lt; 2^53 (lazy). {@code a} is left unchanged.
     */
    static void encode(long[] a, byte[] out, int off) {
        long h0 = a[0];
        long h1 = a[1];
        long h2 = a[2];
        long h3 = a[3];
        long h4 = a[4];
        // Two carry passes: after the first, limbs 1..4 < 2^51 and h0 < 2^51 + 19·2^2; after the
        // second every limb < 2^51 (a carry out of h4 only happens when the value is just over
        // 2^255, and then it leaves h0 tiny), so the value is < 2^255 < 2p.
        for (int pass = 0; pass < 2; pass++) {
            h1 += h0 >>> 51;
            h0 &= MASK51;
            h2 += h1 >>> 51;
            h1 &= MASK51;
            h3 += h2 >>> 51;
            h2 &= MASK51;
            h4 += h3 >>> 51;
            h3 &= MASK51;
            h0 += 19 * (h4 >>> 51);
            h4 &= MASK51;
        }
        // q = 1 iff value >= p, i.e. iff value + 19 carries out of bit 255.
        long q = (h0 + 19) >>> 51;
        q = (h1 + q) >>> 51;
        q = (h2 + q) >>> 51;
        q = (h3 + q) >>> 51;
        q = (h4 + q) >>> 51;
        // value - q·p = value + 19q - q·2^255: add 19q, carry, drop the carry out of bit 255.
        h0 += 19 * q;
        h1 += h0 >>> 51;
        h0 &= MASK51;
        h2 += h1 >>> 51;
        h1 &= MASK51;
        h3 += h2 >>> 51;
        h2 &= MASK51;
        h4 += h3 >>> 51;
        h3 &= MASK51;
        h4 &= MASK51;
        LONGS.set(out, off, h0 | (h1 << 51));
        LONGS.set(out, off + 8, (h1 >>> 13) | (h2 << 38));
        LONGS.set(out, off + 16, (h2 >>> 26) | (h3 << 25));
        LONGS.set(out, off + 24, (h3 >>> 39) | (h4 << 12));
    }

    /** {@code r = a + b} without carrying; limbs of a and b &lt; 2^52, so r's &lt; 2^53 (lazy). */
    static void add(long[] r, long[] a, long[] b) {
        r[0] = a[0] + b[0];
        r[1] = a[1] + b[1];
        r[2] = a[2] + b[2];
        r[3] = a[3] + b[3];
        r[4] = a[4] + b[4];
    }

    /**
     * {@code r = a - b + 2p} without carrying, so no limb goes negative: limbs of a &lt; 2^52, limb 0
     * of b ≤ 2^52 - 38 and limbs 1..4 of b ≤ 2^52 - 2 (any carried value qualifies); r's &lt; 2^53.
     */
    static void sub(long[] r, long[] a, long[] b) {
        r[0] = a[0] + (SUB_MAX0 - b[0]);
        r[1] = a[1] + (SUB_MAX - b[1]);
        r[2] = a[2] + (SUB_MAX - b[2]);
        r[3] = a[3] + (SUB_MAX - b[3]);
        r[4] = a[4] + (SUB_MAX - b[4]);
    }

    /** ⌊column / 2^51⌋ from the column's low 64 bits and its sum of ⌊product / 2^53⌋ (see class doc). */
    private static long carryOut(long lo, long hi) {
        long h = hi << 2;
        return h + (((lo >>> 51) - h) & 0x1fff);
    }

    /**
     * {@code r = a · b}; limbs of a and b &lt; 2^53 (lazy), r carried. r may alias a or b.
     *
     * <p>Bounds: every product &lt; 19·2^106, column 0 (the largest, 1 + 4·19 weighted products)
     * &lt; 77·2^106 &lt; 2^112.3, so every column carry is &lt; 2^61.3 and column 4's (no factor 19)
     * &lt; 2^57.4; folding 19 times that into limb 0 stays below 2^62 (see {@link #reduce}).
     */
    static void mul(long[] r, long[] a, long[] b) {
        long a0 = a[0];
        long a1 = a[1];
        long a2 = a[2];
        long a3 = a[3];
        long a4 = a[4];
        long b0 = b[0];
        long b1 = b[1];
        long b2 = b[2];
        long b3 = b[3];
        long b4 = b[4];
        long s0 = b0 << 11;
        long s1 = b1 << 11;
        long s2 = b2 << 11;
        long s3 = b3 << 11;
        long s4 = b4 << 11;
        long a1t = 19 * a1;
        long a2t = 19 * a2;
        long a3t = 19 * a3;
        long a4t = 19 * a4;

        long lo0 = a0 * b0 + a4t * b1 + a3t * b2 + a2t * b3 + a1t * b4;
        long hi0 = Math.unsignedMultiplyHigh(a0, s0) + Math.unsignedMultiplyHigh(a4t, s1)
                + Math.unsignedMultiplyHigh(a3t, s2) + Math.unsignedMultiplyHigh(a2t, s3)
                + Math.unsignedMultiplyHigh(a1t, s4);
        long lo1 = a0 * b1 + a1 * b0 + a4t * b2 + a3t * b3 + a2t * b4;
        long hi1 = Math.unsignedMultiplyHigh(a0, s1) + Math.unsignedMultiplyHigh(a1, s0)
                + Math.unsignedMultiplyHigh(a4t, s2) + Math.unsignedMultiplyHigh(a3t, s3)
                + Math.unsignedMultiplyHigh(a2t, s4);
        long lo2 = a0 * b2 + a1 * b1 + a2 * b0 + a4t * b3 + a3t * b4;
        long hi2 = Math.unsignedMultiplyHigh(a0, s2) + Math.unsignedMultiplyHigh(a1, s1)
                + Math.unsignedMultiplyHigh(a2, s0) + Math.unsignedMultiplyHigh(a4t, s3)
                + Math.unsignedMultiplyHigh(a3t, s4);
        long lo3 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + a4t * b4;
        long hi3 = Math.unsignedMultiplyHigh(a0, s3) + Math.unsignedMultiplyHigh(a1, s2)
                + Math.unsignedMultiplyHigh(a2, s1) + Math.unsignedMultiplyHigh(a3, s0)
                + Math.unsignedMultiplyHigh(a4t, s4);
        long lo4 = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0;
        long hi4 = Math.unsignedMultiplyHigh(a0, s4) + Math.unsignedMultiplyHigh(a1, s3)
                + Math.unsignedMultiplyHigh(a2, s2) + Math.unsignedMultiplyHigh(a3, s1)
                + Math.unsignedMultiplyHigh(a4, s0);
        reduce(r, lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3, lo4, hi4);
    }

    /** {@code r = a²}; limbs of a &lt; 2^53 (lazy), r carried. r may alias a. Bounds as {@link #mul}. */
    static void sqr(long[] r, long[] a) {
        sqr(r, a[0], a[1], a[2], a[3], a[4]);
    }

    /** {@code r = (a + b)²}: {@link #add} then {@link #sqr} without storing the sum. */
    static void sqrSum(long[] r, long[] a, long[] b) {
        sqr(r, a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4]);
    }

    /** {@code r = (a - b)²}: {@link #sub} then {@link #sqr} without storing the difference. */
    static void sqrDiff(long[] r, long[] a, long[] b) {
        sqr(r, a[0] + (SUB_MAX0 - b[0]), a[1] + (SUB_MAX - b[1]), a[2] + (SUB_MAX - b[2]),
                a[3] + (SUB_MAX - b[3]), a[4] + (SUB_MAX - b[4]));
    }

    private static void sqr(long[] r, long a0, long a1, long a2, long a3, long a4) {
        long s0 = a0 << 11;
        long s1 = a1 << 11;
        long s2 = a2 << 11;
        long s3 = a3 << 11;
        long s4 = a4 << 11;
        long a0d = 2 * a0;
        long a1d = 2 * a1;
        long a1t = 38 * a1;
        long a2t = 38 * a2;
        long a3t = 38 * a3;
        long a3n = 19 * a3;
        long a4n = 19 * a4;

        // c0 = a0² + 38(a1a4 + a2a3)
        long lo0 = a0 * a0 + a1t * a4 + a2t * a3;
        long hi0 = Math.unsignedMultiplyHigh(a0, s0) + Math.unsignedMultiplyHigh(a1t, s4)
                + Math.unsignedMultiplyHigh(a2t, s3);
        // c1 = 2a0a1 + 38a2a4 + 19a3²
        long lo1 = a0d * a1 + a2t * a4 + a3n * a3;
        long hi1 = Math.unsignedMultiplyHigh(a0d, s1) + Math.unsignedMultiplyHigh(a2t, s4)
                + Math.unsignedMultiplyHigh(a3n, s3);
        // c2 = 2a0a2 + a1² + 38a3a4
        long lo2 = a0d * a2 + a1 * a1 + a3t * a4;
        long hi2 = Math.unsignedMultiplyHigh(a0d, s2) + Math.unsignedMultiplyHigh(a1, s1)
                + Math.unsignedMultiplyHigh(a3t, s4);
        // c3 = 2a0a3 + 2a1a2 + 19a4²
        long lo3 = a0d * a3 + a1d * a2 + a4n * a4;
        long hi3 = Math.unsignedMultiplyHigh(a0d, s3) + Math.unsignedMultiplyHigh(a1d, s2)
                + Math.unsignedMultiplyHigh(a4n, s4);
        // c4 = 2a0a4 + 2a1a3 + a2²
        long lo4 = a0d * a4 + a1d * a3 + a2 * a2;
        long hi4 = Math.unsignedMultiplyHigh(a0d, s4) + Math.unsignedMultiplyHigh(a1d, s3)
                + Math.unsignedMultiplyHigh(a2, s2);
        // reduce(...) written out: it also makes this body too large (> 325 bytes of bytecode) for
        // C2 to inline into its callers, so every run compiles the ladder the same way.
        long q0 = carryOut(lo0, hi0);
        long q1 = carryOut(lo1, hi1);
        long q2 = carryOut(lo2, hi2);
        long q3 = carryOut(lo3, hi3);
        long q4 = carryOut(lo4, hi4);
        long r0 = (lo0 & MASK51) + 19 * q4;
        long r1 = (lo1 & MASK51) + q0;
        long r2 = (lo2 & MASK51) + q1;
        long r3 = (lo3 & MASK51) + q2;
        long r4 = (lo4 & MASK51) + q3;
        r[0] = (r0 & MASK51) + 19 * (r4 >>> 51);
        r[1] = (r1 & MASK51) + (r0 >>> 51);
        r[2] = (r2 & MASK51) + (r1 >>> 51);
        r[3] = (r3 & MASK51) + (r2 >>> 51);
        r[4] = (r4 & MASK51) + (r3 >>> 51);
    }

    /**
     * {@code r = a^(2^n)}, n ≥ 1; limbs of a &lt; 2^53 (lazy), r carried. r may alias a. Used by
     * the inversion chain only (about a tenth of a scalar multiplication), so the squarings go
     * through {@code r} rather than repeating the squaring body with the limbs in registers.
     */
    static void sqr(long[] r, long[] a, int n) {
        sqr(r, a[0], a[1], a[2], a[3], a[4]);
        for (int i = 1; i < n; i++) {
            sqr(r, r[0], r[1], r[2], r[3], r[4]);
        }
    }

    /**
     * Carries five columns (each given as low 64 bits and Σ⌊product / 2^53⌋) into r, carried.
     * Two rounds in which every limb carries into the next at once (limb 4's carry times 19 into
     * limb 0), instead of one serial chain: the first leaves limbs &lt; 2^51 + 2^61.7 (a column
     * carry), the second &lt; 2^51 + 2^11 (limbs 1..4) and &lt; 2^51 + 19·2^11 (limb 0), all &lt;
     * 2^51 + 2^15. Shorter dependency chains let the ladder's independent operations overlap.
     */
    private static void reduce(long[] r, long lo0, long hi0, long lo1, long hi1, long lo2, long hi2,
            long lo3, long hi3, long lo4, long hi4) {
        long q0 = carryOut(lo0, hi0);
        long q1 = carryOut(lo1, hi1);
        long q2 = carryOut(lo2, hi2);
        long q3 = carryOut(lo3, hi3);
        long q4 = carryOut(lo4, hi4);
        // Column 4 has no factor 19, so q4 < 5·2^106 / 2^51 < 2^57.4 and 19·q4 < 2^61.7.
        long r0 = (lo0 & MASK51) + 19 * q4;
        long r1 = (lo1 & MASK51) + q0;
        long r2 = (lo2 & MASK51) + q1;
        long r3 = (lo3 & MASK51) + q2;
        long r4 = (lo4 & MASK51) + q3;
        r[0] = (r0 & MASK51) + 19 * (r4 >>> 51);
        r[1] = (r1 & MASK51) + (r0 >>> 51);
        r[2] = (r2 & MASK51) + (r1 >>> 51);
        r[3] = (r3 & MASK51) + (r2 >>> 51);
        r[4] = (r4 & MASK51) + (r3 >>> 51);
    }

    /**
     * {@code r = a · c} for a small constant 0 ≤ c &lt; 2^20; limbs of a &lt; 2^53 (lazy), r carried.
     * r may alias a. Each product is &lt; 2^73, split at bit 51 as {@code unsignedMultiplyHigh(a_i,
     * c << 13)} = ⌊a_i·c / 2^51⌋ (exact, c·2^13 &lt; 2^64) and the wrapping low product.
     */
    static void mulSmall(long[] r, long[] a, long c) {
        mulSmallAdd(r, a, c, ZERO);
    }

    private static final long[] ZERO = new long[LIMBS];

    /**
     * {@code r = a · c + b} for a small constant 0 ≤ c &lt; 2^20; limbs of a &lt; 2^53 (lazy), of b
     * &lt; 2^52, r carried. r may alias a or b. As {@link #mulSmall}, with b added before carrying.
     */
    static void mulSmallAdd(long[] r, long[] a, long c, long[] b) {
        long s = c << 13;
        long a0 = a[0];
        long a1 = a[1];
        long a2 = a[2];
        long a3 = a[3];
        long a4 = a[4];
        long q0 = Math.unsignedMultiplyHigh(a0, s);
        long q1 = Math.unsignedMultiplyHigh(a1, s);
        long q2 = Math.unsignedMultiplyHigh(a2, s);
        long q3 = Math.unsignedMultiplyHigh(a3, s);
        long q4 = Math.unsignedMultiplyHigh(a4, s);
        // Each q < 2^22, so each r < 2^51 + 2^52 + 19·2^22 and carries ≤ 3: one parallel round.
        long r0 = ((a0 * c) & MASK51) + b[0] + 19 * q4;
        long r1 = ((a1 * c) & MASK51) + b[1] + q0;
        long r2 = ((a2 * c) & MASK51) + b[2] + q1;
        long r3 = ((a3 * c) & MASK51) + b[3] + q2;
        long r4 = ((a4 * c) & MASK51) + b[4] + q3;
        r[0] = (r0 & MASK51) + 19 * (r4 >>> 51);
        r[1] = (r1 & MASK51) + (r0 >>> 51);
        r[2] = (r2 & MASK51) + (r1 >>> 51);
        r[3] = (r3 & MASK51) + (r2 >>> 51);
        r[4] = (r4 & MASK51) + (r3 >>> 51);
    }

    /**
     * {@code r = a^(p-2)} (= 1/a, and 0 for a ≡ 0) by Fermat, with the fixed addition chain for
     * 2^255 - 21: 254 squarings and 11 multiplications, the same sequence for every input. Limbs
     * of a &lt; 2^53 (lazy), r carried; r may alias a. t0..t3 are scratch, distinct from a and r.
     */
    static void invert(long[] r, long[] a, long[] t0, long[] t1, long[] t2, long[] t3) {
        sqr(t0, a);              // 2
        sqr(t1, t0, 2);          // 8
        mul(t1, a, t1);          // 9
        mul(t0, t0, t1);         // 11
        sqr(t2, t0);             // 22
        mul(t1, t1, t2);         // 2^5 - 1
        sqr(t2, t1, 5);          // 2^10 - 2^5
        mul(t1, t2, t1);         // 2^10 - 1
        sqr(t2, t1, 10);         // 2^20 - 2^10
        mul(t2, t2, t1);         // 2^20 - 1
        sqr(t3, t2, 20);         // 2^40 - 2^20
        mul(t2, t3, t2);         // 2^40 - 1
        sqr(t2, t2, 10);         // 2^50 - 2^10
        mul(t1, t2, t1);         // 2^50 - 1
        sqr(t2, t1, 50);         // 2^100 - 2^50
        mul(t2, t2, t1);         // 2^100 - 1
        sqr(t3, t2, 100);        // 2^200 - 2^100
        mul(t2, t3, t2);         // 2^200 - 1
        sqr(t2, t2, 50);         // 2^250 - 2^50
        mul(t1, t2, t1);         // 2^250 - 1
        sqr(t1, t1, 5);          // 2^255 - 2^5
        mul(r, t1, t0);          // 2^255 - 21 = p - 2
    }

    /**
     * Swaps a and b when {@code swap} is 1 and leaves them when it is 0, with the same memory
     * accesses and instructions either way (mask arithmetic, no branch on {@code swap}).
     */
    static void cswap(long swap, long[] a, long[] b) {
        long mask = -swap;
        long x0 = mask & (a[0] ^ b[0]);
        long x1 = mask & (a[1] ^ b[1]);
        long x2 = mask & (a[2] ^ b[2]);
        long x3 = mask & (a[3] ^ b[3]);
        long x4 = mask & (a[4] ^ b[4]);
        a[0] ^= x0;
        a[1] ^= x1;
        a[2] ^= x2;
        a[3] ^= x3;
        a[4] ^= x4;
        b[0] ^= x0;
        b[1] ^= x1;
        b[2] ^= x2;
        b[3] ^= x3;
        b[4] ^= x4;
    }
}
