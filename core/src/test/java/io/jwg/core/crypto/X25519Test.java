package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** RFC 7748 vectors, low-order points and clamping. */
class X25519Test {
    private static final HexFormat HEX = HexFormat.of();

    // RFC 7748 section 6.1.
    private static final byte[] ALICE_PRIVATE = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    private static final byte[] ALICE_PUBLIC = HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    private static final byte[] BOB_PRIVATE = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    private static final byte[] BOB_PUBLIC = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    private static final byte[] SHARED = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

    private static byte[] x25519(byte[] scalar, byte[] u) {
        byte[] out = new byte[32];
        assertTrue(X25519.sharedSecret(scalar, u, out));
        return out;
    }

    @Test
    void shouldMatchRfc7748Section52Vectors() {
        // RFC 7748 section 5.2; the scalars are unclamped and the second u has its top bit set,
        // so this also proves clamping on use and masking of bit 255.
        assertArrayEquals(HEX.parseHex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
                x25519(HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                        HEX.parseHex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")));
        assertArrayEquals(HEX.parseHex("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
                x25519(HEX.parseHex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                        HEX.parseHex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")));
    }

    @Test
    void shouldMatchRfc7748Section52Iterations() {
        // RFC 7748 section 5.2: k = u = 9; repeat k, u = X25519(k, u), k. The 1,000,000-iteration
        // value is left out: it takes minutes, and 1,000 iterations already exercise the ladder.
        byte[] k = new byte[32];
        k[0] = 9;
        byte[] u = k.clone();
        for (int i = 1; i <= 1000; i++) {
            byte[] next = x25519(k, u);
            u = k;
            k = next;
            if (i == 1) {
                assertArrayEquals(HEX.parseHex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"), k);
            }
        }
        assertArrayEquals(HEX.parseHex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"), k);
    }

    @Test
    void shouldMatchRfc7748Section61DiffieHellman() {
        byte[] pub = new byte[32];
        X25519.publicKey(ALICE_PRIVATE, pub);
        assertArrayEquals(ALICE_PUBLIC, pub);
        X25519.publicKey(BOB_PRIVATE, pub);
        assertArrayEquals(BOB_PUBLIC, pub);
        assertArrayEquals(SHARED, x25519(ALICE_PRIVATE, BOB_PUBLIC));
        assertArrayEquals(SHARED, x25519(BOB_PRIVATE, ALICE_PUBLIC));
    }

    @Test
    void shouldRejectLowOrderPointsWithAnAllZeroOutput() {
        byte[] random = new byte[32];
        X25519.generatePrivateKey(new SecureRandom(), random);
        for (byte[] scalar : List.of(ALICE_PRIVATE, BOB_PRIVATE, random)) {
            for (byte[] u : LowOrderPoints.all()) {
                byte[] out = new byte[32];
                Arrays.fill(out, (byte) 0xa5);
                assertFalse(X25519.sharedSecret(scalar, u, out), HEX.formatHex(u));
                assertTrue(X25519.isZero(out), "output not zeroed for " + HEX.formatHex(u));
            }
        }
    }

    @Test
    void shouldAcceptOrdinaryPoints() {
        SplittableRandom random = new SplittableRandom(7748);
        for (int i = 0; i < 50; i++) {
            byte[] a = new byte[32];
            byte[] b = new byte[32];
            random.nextBytes(a);
            random.nextBytes(b);
            byte[] aPub = new byte[32];
            byte[] bPub = new byte[32];
            X25519.publicKey(a, aPub);
            X25519.publicKey(b, bPub);
            assertArrayEquals(x25519(a, bPub), x25519(b, aPub));
        }
    }

    @Test
    void shouldClampLikeRfc7748() {
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xff);
        X25519.clamp(ones);
        assertEquals((byte) 0xf8, ones[0]);
        assertEquals((byte) 0x7f, ones[31]);
        for (int i = 1; i < 31; i++) {
            assertEquals((byte) 0xff, ones[i]);
        }
        byte[] zeros = new byte[32];
        X25519.clamp(zeros);
        assertEquals((byte) 0x40, zeros[31]);
        assertEquals(0, zeros[0]);
        // Idempotent.
        byte[] again = ones.clone();
        X25519.clamp(again);
        assertArrayEquals(ones, again);
        // The RFC 7748 6.1 private keys as clamped by decodeScalar25519.
        byte[] alice = ALICE_PRIVATE.clone();
        X25519.clamp(alice);
        assertArrayEquals(HEX.parseHex("70076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c6a"), alice);
    }

    @Test
    void shouldTreatClampedAndUnclampedScalarsAlike() {
        byte[] raw = HEX.parseHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
        byte[] clamped = raw.clone();
        X25519.clamp(clamped);
        assertFalse(Arrays.equals(raw, clamped));
        assertArrayEquals(x25519(raw, BOB_PUBLIC), x25519(clamped, BOB_PUBLIC));
        byte[] rawPub = new byte[32];
        byte[] clampedPub = new byte[32];
        X25519.publicKey(raw, rawPub);
        X25519.publicKey(clamped, clampedPub);
        assertArrayEquals(rawPub, clampedPub);
    }

    @Test
    void shouldGenerateClampedPrivateKeys() {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 100; i++) {
            byte[] key = new byte[32];
            X25519.generatePrivateKey(random, key);
            assertEquals(0, key[0] & 7);
            assertEquals(0x40, key[31] & 0xc0);
        }
    }

    @Test
    void shouldDetectAllZeroKeys() {
        assertTrue(X25519.isZero(new byte[32]));
        assertTrue(X25519.isZero(new byte[0]));
        for (int i = 0; i < 32; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] key = new byte[32];
                key[i] = (byte) (1 << bit);
                assertFalse(X25519.isZero(key), "byte " + i + " bit " + bit);
            }
        }
    }
}
