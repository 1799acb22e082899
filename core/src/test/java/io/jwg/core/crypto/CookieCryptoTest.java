package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.bouncycastle.crypto.digests.Blake2sDigest;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/**
 * The hand-written primitives behind cookies ({@link Mac}'s BLAKE2s, {@link ChaCha20},
 * {@link Poly1305}, {@link XChaChaPoly}) against independent implementations: Bouncy Castle's
 * BLAKE2s and Poly1305, and the JDK's ChaCha20-Poly1305 over the HChaCha20 subkey; RFC 8439
 * vectors; and the reason they exist: they allocate nothing.
 */
class CookieCryptoTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void shouldMatchBouncyCastleKeyedBlake2sForEveryKeyAndBoundaryLength() {
        SplittableRandom random = new SplittableRandom(7);
        Mac mac = new Mac();
        for (int keyLength = 1; keyLength <= 32; keyLength++) {
            for (int length : new int[] {0, 1, 15, 16, 63, 64, 65, 116, 127, 128, 129, 190, 300}) {
                byte[] key = bytes(random, keyLength);
                byte[] data = bytes(random, length + 3);
                byte[] expected = new byte[16];
                Blake2sDigest reference = new Blake2sDigest(key, 16, null, null);
                reference.update(data, 3, length);
                reference.doFinal(expected, 0);
                byte[] out = new byte[16];
                mac.keyed(key, data, 3, length, out, 0);
                assertArrayEquals(expected, out, "key " + keyLength + " bytes, data " + length);
                byte[] bound = new byte[16];
                new Mac(key).compute(data, 3, length, bound, 0);
                assertArrayEquals(expected, bound);
            }
        }
    }

    @Test
    void shouldRefuseKeysBlake2sCannotTake() {
        Mac mac = new Mac();
        byte[] out = new byte[16];
        assertThrows(IllegalArgumentException.class, () -> mac.keyed(new byte[0], out, 0, 0, out, 0));
        assertThrows(IllegalArgumentException.class, () -> mac.keyed(new byte[33], out, 0, 0, out, 0));
        assertThrows(IllegalStateException.class, () -> mac.compute(out, 0, 0, out, 0));
    }

    @Test
    void shouldProduceTheRfc8439Poly1305Tag() {
        // RFC 8439 section 2.5.2.
        byte[] key = HEX.parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] message = "Cryptographic Forum Research Group".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Poly1305 poly = new Poly1305();
        poly.init(key, 0);
        poly.update(message, 0, message.length);
        byte[] tag = new byte[16];
        poly.finish(tag, 0);
        assertArrayEquals(HEX.parseHex("a8061dc1305136c6c22b8baf0c0127a9"), tag);
    }

    @Test
    void shouldMatchBouncyCastlePoly1305InAnyChunking() {
        SplittableRandom random = new SplittableRandom(11);
        Poly1305 poly = new Poly1305();
        for (int round = 0; round < 500; round++) {
            byte[] key = bytes(random, 32);
            if (round % 50 == 0) {
                Arrays.fill(key, 0, 16, (byte) 0xff); // r at its clamped maximum
            }
            byte[] message = bytes(random, random.nextInt(200));
            if (round % 7 == 0) {
                Arrays.fill(message, (byte) 0xff); // carries at every limb
            }
            org.bouncycastle.crypto.macs.Poly1305 reference = new org.bouncycastle.crypto.macs.Poly1305();
            reference.init(new KeyParameter(key));
            reference.update(message, 0, message.length);
            byte[] expected = new byte[16];
            reference.doFinal(expected, 0);

            poly.init(key, 0);
            int at = 0;
            while (at < message.length) {
                int n = Math.min(message.length - at, random.nextInt(40));
                poly.update(message, at, n);
                at += n;
            }
            byte[] tag = new byte[16];
            poly.finish(tag, 0);
            assertArrayEquals(expected, tag, "round " + round);
        }
    }

    @Test
    void shouldProduceTheRfc8439ChaCha20Keystream() {
        // RFC 8439 section 2.4.2: the sunscreen plaintext, key 00..1f, nonce 0:0:4a:0, counter 1.
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        byte[] nonce = HEX.parseHex("000000000000004a00000000");
        byte[] plain = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future,"
                + " sunscreen would be it.").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] out = new byte[plain.length];
        new ChaCha20().xor(key, 1, nonce, plain, 0, plain.length, out, 0);
        assertEquals("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b", HEX.formatHex(out, 0, 32));
        assertEquals("874d", HEX.formatHex(out, plain.length - 2, plain.length));
    }

    @Test
    void shouldMatchTheJdkCipherOverTheHChaChaSubkey() {
        SplittableRandom random = new SplittableRandom(5);
        XChaChaPoly aead = new XChaChaPoly();
        ChaChaPoly jdk = new ChaChaPoly();
        for (int round = 0; round < 300; round++) {
            byte[] key = bytes(random, 32);
            byte[] nonce = bytes(random, 24);
            byte[] aad = bytes(random, random.nextInt(40));
            byte[] plain = bytes(random, round < 200 ? 16 : random.nextInt(300));
            byte[] subkey = new byte[32];
            new ChaCha20().hchacha20(key, nonce, subkey);
            byte[] nonce12 = new byte[12];
            System.arraycopy(nonce, 16, nonce12, 4, 8);
            byte[] expected = new byte[plain.length + 16];
            jdk.sealWithNonce(ChaChaPoly.key(subkey), nonce12, plain, 0, plain.length, expected, 0, aad);

            byte[] sealed = new byte[plain.length + 16];
            aead.seal(key, nonce, plain, 0, plain.length, sealed, 0, aad);
            assertArrayEquals(expected, sealed, "round " + round);
            byte[] opened = new byte[plain.length];
            assertTrue(aead.open(key, nonce, sealed, 0, sealed.length, opened, 0, aad));
            assertArrayEquals(plain, opened);
            sealed[random.nextInt(sealed.length)] ^= (byte) (1 << random.nextInt(8));
            byte[] untouched = new byte[plain.length];
            assertFalse(aead.open(key, nonce, sealed, 0, sealed.length, untouched, 0, aad));
            assertArrayEquals(new byte[plain.length], untouched, "a forged message wrote plaintext");
        }
    }

    @Test
    void shouldDrawNoncesFromAKeyErasingChaCha20Stream() throws Exception {
        java.security.SecureRandom seed = java.security.SecureRandom.getInstance("SHA1PRNG");
        seed.setSeed(42);
        java.security.SecureRandom sameSeed = java.security.SecureRandom.getInstance("SHA1PRNG");
        sameSeed.setSeed(42);
        byte[] key = new byte[32];
        sameSeed.nextBytes(key);
        NonceGenerator nonces = new NonceGenerator(seed);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 1000; i++) {
            byte[] block = new byte[64];
            new ChaCha20().xor(key, 0, new byte[12], block, 0, 64, block, 0);
            byte[] nonce = new byte[24];
            nonces.next(nonce, 0, 24);
            assertArrayEquals(Arrays.copyOfRange(block, 32, 56), nonce, "call " + i);
            key = Arrays.copyOf(block, 32); // the first half keys the next call
            assertTrue(seen.add(HEX.formatHex(nonce)));
        }
        assertThrows(IllegalArgumentException.class, () -> nonces.next(new byte[33], 0, 33));
    }

    @Test
    void shouldAllocateNothingPerCookieOperation() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Mac mac = new Mac();
        XChaChaPoly aead = new XChaChaPoly();
        NonceGenerator nonces = new NonceGenerator(new java.security.SecureRandom());
        byte[] key = bytes(new SplittableRandom(1), 32);
        byte[] nonce = new byte[24];
        byte[] message = new byte[148];
        byte[] cookie = new byte[16];
        byte[] out = new byte[64];
        Runnable operations = () -> {
            nonces.next(nonce, 0, 24);
            mac.keyed(key, message, 0, 116, cookie, 0);
            mac.keyed(cookie, message, 0, 132, out, 16);
            aead.seal(key, nonce, cookie, 0, 16, out, 32, message);
            aead.open(key, nonce, out, 32, 32, out, 0, message);
        };
        for (int i = 0; i < 20_000; i++) {
            operations.run(); // let the JIT settle (escape analysis, intrinsics)
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10_000; i++) {
            operations.run();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // The counter itself may account a few bytes; a per-call allocation would be >= 160 KB.
        assertTrue(allocated < 10_000, () -> allocated + " bytes allocated by 10,000 cookie operations");
    }

    private static byte[] bytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
