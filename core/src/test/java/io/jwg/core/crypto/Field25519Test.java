package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Field25519 against java.math.BigInteger mod p, on random operands whose limbs are drawn up to
 * the largest value each operation documents as accepted (with the extremes themselves drawn
 * often, to stress every carry), and checks that results stay within the documented bounds.
 */
class Field25519Test {
    private static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));
    private static final int CASES = 100_000;
    private static final int INVERT_CASES = 3_000;

    /** Value of a limb array (not reduced). */
    private static BigInteger value(long[] h) {
        BigInteger v = BigInteger.ZERO;
        for (int i = 4; i >= 0; i--) {
            v = v.shiftLeft(51).add(BigInteger.valueOf(h[i]));
        }
        return v;
    }

    private static BigInteger mod(long[] h) {
        return value(h).mod(P);
    }

    /** A limb in [0, max]: often an extreme (0, max, max - small, 2^51 ± small), else random bits. */
    private static long limb(SplittableRandom random, long max) {
        return switch (random.nextInt(8)) {
            case 0 -> max;
            case 1 -> max - random.nextInt(64);
            case 2 -> 0;
            case 3 -> Math.min(max, Field25519.MASK51 - random.nextInt(4) + random.nextInt(4));
            case 4 -> random.nextLong(max + 1) >>> random.nextInt(52); // small values
            default -> random.nextLong(max + 1);
        };
    }

    private static long[] element(SplittableRandom random, long max) {
        long[] h = new long[5];
        if (random.nextInt(16) == 0) {
            Arrays.fill(h, max); // every limb at the bound at once
            return h;
        }
        for (int i = 0; i < 5; i++) {
            h[i] = limb(random, max);
        }
        return h;
    }

    private static long[] sub(SplittableRandom random) {
        long[] h = element(random, Field25519.SUB_MAX);
        h[0] = Math.min(h[0], Field25519.SUB_MAX0);
        return h;
    }

    private static void assertLimbsAtMost(long max, long[] h, String what) {
        for (int i = 0; i < 5; i++) {
            assertTrue(h[i] >= 0 && h[i] <= max, what + " limb " + i + " = " + h[i]);
        }
    }

    private static BigInteger random255(SplittableRandom random) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return new BigInteger(1, bytes).mod(BigInteger.ONE.shiftLeft(255));
    }

    private static long[] limbsOf(BigInteger v) {
        long[] h = new long[5];
        for (int i = 0; i < 5; i++) {
            h[i] = v.shiftRight(51 * i).longValue() & Field25519.MASK51;
        }
        return h;
    }

    @Test
    void shouldMultiplyLikeBigInteger() {
        SplittableRandom random = new SplittableRandom(25519);
        long[] r = new long[5];
        for (int i = 0; i < CASES; i++) {
            long[] a = element(random, Field25519.LAZY_MAX);
            long[] b = element(random, Field25519.LAZY_MAX);
            BigInteger expected = value(a).multiply(value(b)).mod(P);
            Field25519.mul(r, a, b);
            assertEquals(expected, mod(r), () -> Arrays.toString(a) + " * " + Arrays.toString(b));
            assertLimbsAtMost(Field25519.CARRIED_MAX, r, "mul");
            // Aliasing: r = a and r = b.
            long[] c = a.clone();
            Field25519.mul(c, c, b);
            assertArrayEquals(r, c);
            c = b.clone();
            Field25519.mul(c, a, c);
            assertArrayEquals(r, c);
        }
    }

    @Test
    void shouldSquareLikeBigInteger() {
        SplittableRandom random = new SplittableRandom(7748);
        long[] r = new long[5];
        long[] viaMul = new long[5];
        for (int i = 0; i < CASES; i++) {
            long[] a = element(random, Field25519.LAZY_MAX);
            Field25519.sqr(r, a);
            assertEquals(value(a).pow(2).mod(P), mod(r), () -> Arrays.toString(a));
            assertLimbsAtMost(Field25519.CARRIED_MAX, r, "sqr");
            Field25519.mul(viaMul, a, a);
            assertArrayEquals(viaMul, r, "sqr and mul agree limb for limb");
            long[] c = a.clone();
            Field25519.sqr(c, c);
            assertArrayEquals(r, c);
        }
    }

    @Test
    void shouldSquareSumsAndDifferencesLikeBigInteger() {
        SplittableRandom random = new SplittableRandom(2551);
        long[] r = new long[5];
        for (int i = 0; i < CASES; i++) {
            long[] a = element(random, Field25519.ADD_MAX);
            long[] b = element(random, Field25519.ADD_MAX);
            Field25519.sqrSum(r, a, b);
            assertEquals(value(a).add(value(b)).pow(2).mod(P), mod(r));
            assertLimbsAtMost(Field25519.CARRIED_MAX, r, "sqrSum");
            long[] s = sub(random);
            Field25519.sqrDiff(r, a, s);
            assertEquals(value(a).subtract(value(s)).pow(2).mod(P), mod(r));
            assertLimbsAtMost(Field25519.CARRIED_MAX, r, "sqrDiff");
        }
    }

    @Test
    void shouldSquareRepeatedly() {
        SplittableRandom random = new SplittableRandom(3);
        long[] r = new long[5];
        for (int i = 0; i < 2_000; i++) {
            long[] a = element(random, Field25519.LAZY_MAX);
            int n = 1 + random.nextInt(20);
            Field25519.sqr(r, a, n);
            assertEquals(value(a).modPow(BigInteger.ONE.shiftLeft(n), P), mod(r));
        }
    }

    @Test
    void shouldMultiplyBySmallConstantsLikeBigInteger() {
        SplittableRandom random = new SplittableRandom(121665);
        long[] r = new long[5];
        for (int i = 0; i < CASES; i++) {
            long[] a = element(random, Field25519.LAZY_MAX);
            long c = switch (random.nextInt(4)) {
                case 0 -> 121665;
                case 1 -> (1 << 20) - 1;
                default -> random.nextInt(1 << 20);
            };
            Field25519.mulSmall(r, a, c);
            assertEquals(value(a).multiply(BigInteger.valueOf(c)).mod(P), mod(r));
            assertLimbsAtMost(Field25519.CARRIED_MAX, r, "mulSmall");
            long[] b = element(random, Field25519.ADD_MAX);
            Field25519.mulSmallAdd(r, a, c, b);
            assertEquals(value(a).multiply(BigInteger.valueOf(c)).add(value(b)).mod(P), mod(r));
            assertLimbsAtMost(Field25519.CARRIED_MAX, r, "mulSmallAdd");
        }
    }

    @Test
    void shouldAddAndSubtractLikeBigInteger() {
        SplittableRandom random = new SplittableRandom(255);
        long[] r = new long[5];
        for (int i = 0; i < CASES; i++) {
            long[] a = element(random, Field25519.ADD_MAX);
            long[] b = element(random, Field25519.ADD_MAX);
            Field25519.add(r, a, b);
            assertEquals(value(a).add(value(b)).mod(P), mod(r));
            assertLimbsAtMost(Field25519.LAZY_MAX, r, "add");

            long[] s = sub(random);
            Field25519.sub(r, a, s);
            assertEquals(value(a).subtract(value(s)).mod(P), mod(r), () -> Arrays.toString(a) + " - " + Arrays.toString(s));
            assertLimbsAtMost(Field25519.LAZY_MAX, r, "sub");
            // The lazy results feed mul, which must accept them.
            Field25519.mul(r, r, r);
            assertEquals(value(a).subtract(value(s)).pow(2).mod(P), mod(r));
        }
    }

    @Test
    void shouldInvertLikeBigInteger() {
        SplittableRandom random = new SplittableRandom(19);
        long[] r = new long[5];
        long[][] t = new long[4][5];
        for (int i = 0; i < INVERT_CASES; i++) {
            long[] a = element(random, Field25519.LAZY_MAX);
            BigInteger v = mod(a);
            Field25519.invert(r, a, t[0], t[1], t[2], t[3]);
            BigInteger expected = v.signum() == 0 ? BigInteger.ZERO : v.modInverse(P);
            assertEquals(expected, mod(r), () -> Arrays.toString(a));
            assertLimbsAtMost(Field25519.CARRIED_MAX, r, "invert");
        }
        // Zero in every representation the ladder can produce (0, p, 2p) inverts to 0; 1 to 1.
        for (BigInteger v : new BigInteger[] {BigInteger.ZERO, P, P.shiftLeft(1), BigInteger.ONE, P.subtract(BigInteger.ONE)}) {
            long[] a = v.equals(P.shiftLeft(1))
                    ? new long[] {Field25519.SUB_MAX0, Field25519.SUB_MAX, Field25519.SUB_MAX, Field25519.SUB_MAX, Field25519.SUB_MAX}
                    : limbsOf(v);
            assertEquals(v.mod(P), mod(a));
            Field25519.invert(r, a, t[0], t[1], t[2], t[3]);
            BigInteger expected = v.mod(P).signum() == 0 ? BigInteger.ZERO : v.modInverse(P);
            assertEquals(expected, mod(r));
        }
    }

    /** {@code v} as 32 little-endian bytes (v < 2^256). */
    static byte[] littleEndian(BigInteger v) {
        byte[] out = new byte[32];
        byte[] big = v.toByteArray();
        for (int i = 0; i < 32 && i < big.length; i++) {
            out[i] = big[big.length - 1 - i];
        }
        return out;
    }

    @Test
    void shouldEncodeCanonically() {
        SplittableRandom random = new SplittableRandom(32);
        byte[] out = new byte[32];
        for (int i = 0; i < CASES; i++) {
            long[] a = element(random, Field25519.LAZY_MAX);
            long[] before = a.clone();
            Field25519.encode(a, out, 0);
            assertArrayEquals(littleEndian(mod(a)), out, () -> Arrays.toString(a));
            assertArrayEquals(before, a, "encode leaves its input alone");
        }
        // Values around p and 2^255, given in canonical 51-bit limbs.
        BigInteger two255 = BigInteger.ONE.shiftLeft(255);
        for (BigInteger v : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, P.subtract(BigInteger.ONE), P,
                P.add(BigInteger.ONE), two255.subtract(BigInteger.ONE), two255.subtract(BigInteger.valueOf(20)),
                two255.subtract(BigInteger.valueOf(18))}) {
            Field25519.encode(limbsOf(v), out, 0);
            assertArrayEquals(littleEndian(v.mod(P)), out, v.toString(16));
        }
        // Every limb at the lazy maximum.
        long[] max = new long[5];
        Arrays.fill(max, Field25519.LAZY_MAX);
        Field25519.encode(max, out, 0);
        assertArrayEquals(littleEndian(mod(max)), out);
    }

    @Test
    void shouldDecodeIgnoringBit255AndKeepingNonCanonicalValues() {
        SplittableRandom random = new SplittableRandom(9);
        long[] r = new long[5];
        for (int i = 0; i < CASES; i++) {
            byte[] in = new byte[40];
            random.nextBytes(in);
            if (i % 8 == 0) {
                Arrays.fill(in, 4, 36, (byte) 0xff);
            }
            Field25519.decode(in, 4, r);
            byte[] bigEndian = new byte[32];
            for (int j = 0; j < 32; j++) {
                bigEndian[j] = in[4 + 31 - j];
            }
            BigInteger expected = new BigInteger(1, bigEndian).clearBit(255);
            assertEquals(expected, value(r));
            assertLimbsAtMost(Field25519.MASK51, r, "decode");
        }
    }

    @Test
    void shouldSwapOnlyWhenAskedTo() {
        long[] a = {1, 2, 3, 4, 5};
        long[] b = {Field25519.LAZY_MAX, 0, Field25519.MASK51, 7, 8};
        long[] a0 = a.clone();
        long[] b0 = b.clone();
        Field25519.cswap(0, a, b);
        assertArrayEquals(a0, a);
        assertArrayEquals(b0, b);
        Field25519.cswap(1, a, b);
        assertArrayEquals(b0, a);
        assertArrayEquals(a0, b);
    }
}
