package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The ladder directly: RFC 7748 vectors, and differential against Bouncy Castle's
 * {@code rfc7748.X25519.scalarMult} (which clamps and masks bit 255 the same way) on random and
 * edge inputs. X25519Test covers the public API that delegates here.
 */
class X25519LadderTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final BigInteger P = BigInteger.ONE.shiftLeft(255).subtract(BigInteger.valueOf(19));
    private static final int RANDOM_PAIRS = 64 * 1_600;

    private static byte[] bouncyCastle(byte[] scalar, byte[] u) {
        byte[] out = new byte[32];
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(scalar, 0, u, 0, out, 0);
        return out;
    }

    /** Ours; also checks that the return value says whether the output is non-zero. */
    private static byte[] ladder(byte[] scalar, byte[] u) {
        byte[] out = new byte[32];
        Arrays.fill(out, (byte) 0x5a);
        boolean ok = X25519Ladder.scalarMult(scalar, u, out);
        assertEquals(!X25519.isZero(out), ok, () -> "return value for u=" + HEX.formatHex(u));
        return out;
    }

    @Test
    void shouldMatchRfc7748Section61() {
        byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bob = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        byte[] nine = new byte[32];
        nine[0] = 9;
        byte[] alicePublic = ladder(alice, nine);
        byte[] bobPublic = ladder(bob, nine);
        assertArrayEquals(HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), alicePublic);
        assertArrayEquals(HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), bobPublic);
        byte[] shared = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertArrayEquals(shared, ladder(alice, bobPublic));
        assertArrayEquals(shared, ladder(bob, alicePublic));
    }

    /**
     * 102,400 random (scalar, u) pairs from a fixed seed, split over the available cores (each
     * thread has its own ladder scratch, so this also runs the per-thread state concurrently).
     */
    @Test
    void shouldAgreeWithBouncyCastleOnRandomInputs() {
        int chunks = 64;
        AtomicInteger checked = new AtomicInteger();
        IntStream.range(0, chunks).parallel().forEach(chunk -> {
            SplittableRandom random = new SplittableRandom(0x7748_0000L + chunk);
            byte[] scalar = new byte[32];
            byte[] u = new byte[32];
            for (int i = 0; i < RANDOM_PAIRS / chunks; i++) {
                random.nextBytes(scalar);
                random.nextBytes(u);
                byte[] expected = bouncyCastle(scalar, u);
                byte[] actual = new byte[32];
                X25519Ladder.scalarMult(scalar, u, actual);
                if (!Arrays.equals(expected, actual)) {
                    throw new AssertionError("scalar " + HEX.formatHex(scalar) + " u " + HEX.formatHex(u)
                            + ": expected " + HEX.formatHex(expected) + " got " + HEX.formatHex(actual));
                }
                checked.incrementAndGet();
            }
        });
        assertEquals(RANDOM_PAIRS, checked.get());
    }

    private static List<byte[]> edgePoints() {
        BigInteger two255 = BigInteger.ONE.shiftLeft(255);
        List<byte[]> points = new ArrayList<>();
        for (BigInteger v : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, BigInteger.TWO, BigInteger.valueOf(9),
                P.subtract(BigInteger.ONE), P, P.add(BigInteger.ONE), P.add(BigInteger.valueOf(9)),
                two255.subtract(BigInteger.ONE), two255.subtract(BigInteger.valueOf(20))}) {
            points.add(Field25519Test.littleEndian(v));
        }
        // Small-order points (X25519Test's list: 0, 1, the order-8 points, p-1, p, p+1).
        for (String hex : new String[] {
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
            "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        }) {
            points.add(HEX.parseHex(hex));
        }
        // Limb-boundary patterns: 2^51k - 1 and 2^51k.
        for (int k = 1; k <= 4; k++) {
            points.add(Field25519Test.littleEndian(BigInteger.ONE.shiftLeft(51 * k).subtract(BigInteger.ONE)));
            points.add(Field25519Test.littleEndian(BigInteger.ONE.shiftLeft(51 * k)));
        }
        // Every one of the above with bit 255 set (must be ignored).
        int n = points.size();
        for (int i = 0; i < n; i++) {
            byte[] high = points.get(i).clone();
            high[31] |= (byte) 0x80;
            points.add(high);
        }
        return points;
    }

    private static List<byte[]> edgeScalars() {
        List<byte[]> scalars = new ArrayList<>();
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xff);
        scalars.add(ones);                  // clamps to 2^255 - 8 (0x7fff...fff8)
        scalars.add(new byte[32]);          // clamps to 2^254
        byte[] eight = new byte[32];
        eight[0] = 8;
        scalars.add(eight);                 // 2^254 + 8
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 8; i++) {
            byte[] s = new byte[32];
            random.nextBytes(s);
            scalars.add(s);
        }
        return scalars;
    }

    @Test
    void shouldAgreeWithBouncyCastleOnEdgeInputs() {
        int zeros = 0;
        for (byte[] scalar : edgeScalars()) {
            for (byte[] u : edgePoints()) {
                byte[] expected = bouncyCastle(scalar, u);
                assertArrayEquals(expected, ladder(scalar, u),
                        () -> "scalar " + HEX.formatHex(scalar) + " u " + HEX.formatHex(u));
                if (X25519.isZero(expected)) {
                    zeros++;
                }
            }
        }
        // Sanity: the small-order points give zero for every scalar: 0, 1, p-1, p, p+1, 2^255-20
        // (= p-1 again) and the two of order 8, each with and without bit 255.
        assertEquals(16 * edgeScalars().size(), zeros);
    }

    @Test
    void shouldNotModifyItsInputs() {
        byte[] scalar = HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        byte[] u = HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
        byte[] scalarCopy = scalar.clone();
        byte[] uCopy = u.clone();
        ladder(scalar, u);
        assertArrayEquals(scalarCopy, scalar);
        assertArrayEquals(uCopy, u);
    }
}
