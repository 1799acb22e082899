package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** draft-irtf-cfrg-xchacha-03 vectors for HChaCha20 and AEAD_XChaCha20_Poly1305. */
class XChaChaPolyTest {
    private static final HexFormat HEX = HexFormat.of();

    // draft-irtf-cfrg-xchacha-03 Appendix A.3.1 (the same values as A.1, in plain hex).
    private static final byte[] PLAINTEXT = HEX.parseHex(
            "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
            + "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
            + "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
            + "637265656e20776f756c642062652069742e");
    private static final byte[] AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] KEY = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] NONCE = HEX.parseHex("404142434445464748494a4b4c4d4e4f5051525354555657");
    private static final byte[] SEALED = HEX.parseHex(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
            + "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
            + "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
            + "21f9664c97637da9768812f615c68b13b52e"
            + "c0875924c1c7987947deafd8780acf49"); // tag

    private final XChaChaPoly aead = new XChaChaPoly();

    @Test
    void shouldDeriveHChaCha20SubkeyOfSection221() {
        // draft-irtf-cfrg-xchacha-03 section 2.2.1.
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        byte[] nonce = HEX.parseHex("000000090000004a0000000031415927");
        byte[] out = new byte[32];
        new ChaCha20().hchacha20(key, nonce, out);
        assertArrayEquals(HEX.parseHex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"), out);
    }

    @Test
    void shouldUseOnlyTheFirstSixteenNonceBytesForTheSubkey() {
        byte[] nonce24 = new byte[24];
        for (int i = 0; i < 24; i++) {
            nonce24[i] = (byte) (0xa0 + i);
        }
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        new ChaCha20().hchacha20(KEY, nonce24, a);
        new ChaCha20().hchacha20(KEY, Arrays.copyOf(nonce24, 16), b);
        assertArrayEquals(a, b);
    }

    @Test
    void shouldSealAppendixA31Vector() {
        byte[] out = new byte[PLAINTEXT.length + 16];
        aead.seal(KEY, NONCE, PLAINTEXT, 0, PLAINTEXT.length, out, 0, AAD);
        assertArrayEquals(SEALED, out);
    }

    @Test
    void shouldOpenAppendixA31Vector() {
        byte[] out = new byte[PLAINTEXT.length];
        assertTrue(aead.open(KEY, NONCE, SEALED, 0, SEALED.length, out, 0, AAD));
        assertArrayEquals(PLAINTEXT, out);
    }

    @Test
    void shouldRejectTamperedVector() {
        byte[] out = new byte[SEALED.length];
        for (int i = 0; i < SEALED.length; i++) {
            byte[] tampered = SEALED.clone();
            tampered[i] ^= 1;
            assertFalse(aead.open(KEY, NONCE, tampered, 0, tampered.length, out, 0, AAD), "byte " + i);
        }
        for (int i = 0; i < NONCE.length; i++) {
            byte[] nonce = NONCE.clone();
            nonce[i] ^= 1;
            assertFalse(aead.open(KEY, nonce, SEALED, 0, SEALED.length, out, 0, AAD), "nonce byte " + i);
        }
        byte[] key = KEY.clone();
        key[0] ^= 1;
        assertFalse(aead.open(key, NONCE, SEALED, 0, SEALED.length, out, 0, AAD));
        byte[] aad = AAD.clone();
        aad[11] ^= 1;
        assertFalse(aead.open(KEY, NONCE, SEALED, 0, SEALED.length, out, 0, aad));
        for (int len = 0; len <= 16; len++) {
            assertFalse(aead.open(KEY, NONCE, SEALED, 0, len, out, 0, AAD), "len " + len);
        }
        assertTrue(aead.open(KEY, NONCE, SEALED, 0, SEALED.length, out, 0, AAD));
    }

    @Test
    void shouldRoundTripCookieSizedMessages() {
        // A cookie reply: a 16-byte cookie under a random 24-byte nonce with the MAC1 as AAD.
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            byte[] key = new byte[32];
            byte[] nonce = new byte[24];
            byte[] cookie = new byte[16];
            byte[] mac1 = new byte[16];
            random.nextBytes(key);
            random.nextBytes(nonce);
            random.nextBytes(cookie);
            random.nextBytes(mac1);
            byte[] reply = new byte[64];
            aead.seal(key, nonce, cookie, 0, 16, reply, 32, mac1);
            byte[] out = new byte[16];
            assertTrue(aead.open(key, nonce, reply, 32, 32, out, 0, mac1));
            assertArrayEquals(cookie, out);
        }
    }
}
