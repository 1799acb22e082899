package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.Constants;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Known answers for HASH, MAC, HMAC and KDF1/2/3. Unless a published vector is cited, expected
 * values were computed with CPython 3's hashlib/hmac, an independent BLAKE2s implementation:
 * {@code hashlib.blake2s(m)}, {@code hashlib.blake2s(m, digest_size=16, key=k)},
 * {@code hmac.new(k, m, hashlib.blake2s)}, and for the KDF the whitepaper's HKDF written out in
 * Python: {@code t0 = HMAC(key, input); t1 = HMAC(t0, 0x1); t2 = HMAC(t0, t1 || 0x2);
 * t3 = HMAC(t0, t2 || 0x3)}.
 */
class Blake2sTest {
    private static final HexFormat HEX = HexFormat.of();

    private final Blake2s blake = new Blake2s();

    /** 0x00, 0x01, ..., n-1. */
    private static byte[] sequence(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    /** i % 251 for i in 0..n: not periodic in the 64-byte block size. */
    private static byte[] longInput(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private byte[] hash(byte[] a) {
        byte[] out = new byte[32];
        blake.hash(out, a);
        return out;
    }

    private byte[] hmac(byte[] key, byte[] data) {
        byte[] out = new byte[32];
        blake.hmac(out, key, data, 0, data.length);
        return out;
    }

    // ---- HASH ----

    @Test
    void shouldHashAbcAsRfc7693AppendixB() {
        // RFC 7693 Appendix B, BLAKE2s-256("abc").
        assertArrayEquals(HEX.parseHex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"),
                hash(ascii("abc")));
    }

    @Test
    void shouldHashEmptyInput() {
        // hashlib.blake2s(b"").hexdigest()
        assertArrayEquals(HEX.parseHex("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9"),
                hash(new byte[0]));
    }

    @Test
    void shouldHashLongInput() {
        // hashlib.blake2s(bytes(i % 251 for i in range(100000))).hexdigest()
        assertArrayEquals(HEX.parseHex("10c2558d16898bc400b03527d108e5a9bd0af54519981c24e9e296c358b34f72"),
                hash(longInput(100_000)));
    }

    @Test
    void shouldHashConcatenationLikeOneInput() {
        byte[] all = longInput(300);
        for (int split : new int[] {0, 1, 63, 64, 65, 200, 300}) {
            byte[] a = Arrays.copyOf(all, split);
            byte[] b = Arrays.copyOfRange(all, split, all.length);
            byte[] out = new byte[32];
            blake.hash(out, a, b);
            assertArrayEquals(hash(all), out, "split at " + split);
            byte[] padded = new byte[b.length + 10];
            System.arraycopy(b, 0, padded, 7, b.length);
            blake.hash(out, a, padded, 7, b.length);
            assertArrayEquals(hash(all), out, "split at " + split + " with offset");
        }
    }

    @Test
    void shouldAllowHashOutputToAliasFirstInput() {
        // The handshake does h = HASH(h || x) in place.
        byte[] h = sequence(0, 32);
        byte[] x = sequence(100, 48);
        byte[] expected = new byte[32];
        blake.hash(expected, h.clone(), x);
        blake.hash(h, h, x);
        assertArrayEquals(expected, h);
    }

    @Test
    void shouldDeriveWireGuardInitialChainKeyAndHash() {
        // Ci = HASH(CONSTRUCTION), Hi = HASH(Ci || IDENTIFIER), via hashlib.blake2s.
        byte[] ci = hash(Constants.CONSTRUCTION);
        assertArrayEquals(HEX.parseHex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36"), ci);
        byte[] hi = new byte[32];
        blake.hash(hi, ci, Constants.IDENTIFIER);
        assertArrayEquals(HEX.parseHex("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3"), hi);
    }

    // ---- MAC (keyed BLAKE2s-128) ----

    @Test
    void shouldComputeKeyedMac() {
        // hashlib.blake2s(m, digest_size=16, key=bytes(range(32))).hexdigest()
        byte[] key = sequence(0, 32);
        Mac mac = new Mac(key);
        byte[] out = new byte[16];
        mac.compute(ascii("abc"), 0, 3, out, 0);
        assertArrayEquals(HEX.parseHex("61ba5f165c194692e09d12520cc4c74a"), out);
        mac.compute(new byte[0], 0, 0, out, 0);
        assertArrayEquals(HEX.parseHex("9536f9b267655743dee97b8a670f9f53"), out);
        mac.compute(longInput(1000), 0, 1000, out, 0);
        assertArrayEquals(HEX.parseHex("8a0c93d51ede746600ef0dd2b32d6fb3"), out);
        // Reuse must re-apply the key: the first answer again.
        mac.compute(ascii("abc"), 0, 3, out, 0);
        assertArrayEquals(HEX.parseHex("61ba5f165c194692e09d12520cc4c74a"), out);
    }

    @Test
    void shouldComputeMacWithShortKeyOffsetsAndOneShot() {
        // hashlib.blake2s(b"abc", digest_size=16, key=b"k").hexdigest()
        byte[] expected = HEX.parseHex("f335237426ff5582d0c607ef240684b5");
        byte[] data = ascii("xxabcyy");
        byte[] out = new byte[20];
        Arrays.fill(out, (byte) 0x55);
        new Mac(ascii("k")).compute(data, 2, 3, out, 3);
        assertArrayEquals(expected, Arrays.copyOfRange(out, 3, 19));
        assertTrue(out[0] == 0x55 && out[1] == 0x55 && out[2] == 0x55 && out[19] == 0x55, "wrote outside its 16 bytes");
        byte[] unbound = new byte[16];
        new Mac().keyed(ascii("k"), data, 2, 3, unbound, 0);
        assertArrayEquals(expected, unbound);
    }

    @Test
    void shouldCompareMacsAtOffsets() {
        byte[] a = new byte[40];
        byte[] b = new byte[40];
        for (int i = 0; i < 16; i++) {
            a[5 + i] = (byte) (i * 17);
            b[20 + i] = (byte) (i * 17);
        }
        assertTrue(Mac.equal(a, 5, b, 20));
        for (int i = 0; i < 16; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] c = b.clone();
                c[20 + i] ^= (byte) (1 << bit);
                assertFalse(Mac.equal(a, 5, c, 20), "byte " + i + " bit " + bit);
            }
        }
        // Bytes outside the 16 compared do not matter.
        b[19] = 1;
        b[36] = 1;
        assertTrue(Mac.equal(a, 5, b, 20));
    }

    @Test
    void shouldCompareWholeArrays() {
        assertTrue(Mac.equal(sequence(0, 32), sequence(0, 32)));
        assertTrue(Mac.equal(new byte[0], new byte[0]));
        assertFalse(Mac.equal(sequence(0, 32), sequence(1, 32)));
        assertFalse(Mac.equal(sequence(0, 32), sequence(0, 31)));
        byte[] c = sequence(0, 32);
        c[31] ^= (byte) 0x80;
        assertFalse(Mac.equal(sequence(0, 32), c));
    }

    // ---- HMAC ----

    @Test
    void shouldComputeHmacLikePython() {
        // hmac.new(bytes(range(32)), m, hashlib.blake2s).hexdigest()
        assertArrayEquals(HEX.parseHex("82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f"),
                hmac(sequence(0, 32), ascii("abc")));
        assertArrayEquals(HEX.parseHex("e2641d24dfa8dd89e8cb77f1cdc77d8c006e5bebdfc4d6a3a3a6f8d5b7586fb0"),
                hmac(sequence(0, 32), new byte[0]));
        // A full-block (64-byte) key and a multi-block message.
        assertArrayEquals(HEX.parseHex("8082e22aa111061c22705a55bc14795f46e61779108874e1f392474d9e0126a6"),
                hmac(sequence(0, 64), longInput(1000)));
    }

    @Test
    void shouldComputeHmacOverASlice() {
        byte[] data = new byte[3 + 10];
        System.arraycopy(ascii("abc"), 0, data, 5, 3);
        byte[] out = new byte[32];
        blake.hmac(out, sequence(0, 32), data, 5, 3);
        assertArrayEquals(hmac(sequence(0, 32), ascii("abc")), out);
    }

    // ---- KDF ----

    private static final byte[] CHAIN_KEY = sequence(0x20, 32);
    private static final byte[] INPUT = sequence(0x80, 32);
    private static final byte[][] KDF_OF_INPUT = {
        HEX.parseHex("0831dce1e8f689a9fcb52fefef146e48b7d396133180bb70ea8c3dda7fb286a2"),
        HEX.parseHex("eb129c3a4957c9bf3b9bc64b795d762f6f6c7a3d66767fe9feccae3092e041ee"),
        HEX.parseHex("c61faa09e9f1ae8b47871f4e1283d8e1f6f2724307fba5f3e695160e6c51b53e"),
    };
    private static final byte[][] KDF_OF_EMPTY = {
        HEX.parseHex("b729608660f087101de695d4ef11f2ab7765348ce4a967b6c73740202bc0dbab"),
        HEX.parseHex("8ecc9582b7f0cc780a0cd430cfc06fcf2dbbebae6a7e5ff3f142667bf5c740bb"),
        HEX.parseHex("93e3cf510f178253f08bda832489f21c9b7f7f6600f0829e2b6839c878541ed2"),
    };

    @Test
    void shouldDeriveKdf3LikeTheWhitepaperHkdf() {
        byte[] t1 = new byte[32];
        byte[] t2 = new byte[32];
        byte[] t3 = new byte[32];
        blake.kdf3(t1, t2, t3, CHAIN_KEY, INPUT, 0, 32);
        assertArrayEquals(KDF_OF_INPUT[0], t1);
        assertArrayEquals(KDF_OF_INPUT[1], t2);
        assertArrayEquals(KDF_OF_INPUT[2], t3);
        blake.kdf3(t1, t2, t3, CHAIN_KEY, new byte[0], 0, 0);
        assertArrayEquals(KDF_OF_EMPTY[0], t1);
        assertArrayEquals(KDF_OF_EMPTY[1], t2);
        assertArrayEquals(KDF_OF_EMPTY[2], t3);
    }

    @Test
    void shouldDeriveKdf1AndKdf2AsPrefixesOfKdf3() {
        byte[] t1 = new byte[32];
        byte[] t2 = new byte[32];
        blake.kdf1(t1, CHAIN_KEY, INPUT, 0, 32);
        assertArrayEquals(KDF_OF_INPUT[0], t1);
        blake.kdf2(t1, t2, CHAIN_KEY, INPUT, 0, 32);
        assertArrayEquals(KDF_OF_INPUT[0], t1);
        assertArrayEquals(KDF_OF_INPUT[1], t2);
        blake.kdf2(t1, t2, CHAIN_KEY, new byte[0], 0, 0);
        assertArrayEquals(KDF_OF_EMPTY[0], t1);
        assertArrayEquals(KDF_OF_EMPTY[1], t2);
    }

    @Test
    void shouldReadInputFromAnOffset() {
        byte[] buffer = new byte[50];
        System.arraycopy(INPUT, 0, buffer, 9, 32);
        byte[] t1 = new byte[32];
        blake.kdf1(t1, CHAIN_KEY, buffer, 9, 32);
        assertArrayEquals(KDF_OF_INPUT[0], t1);
    }

    @Test
    void shouldAllowOutputsToAliasTheKey() {
        // The handshake does (Ck, k) = KDF2(Ck, dh) with Ck as both key and first output.
        byte[] ck = CHAIN_KEY.clone();
        blake.kdf1(ck, ck, INPUT, 0, 32);
        assertArrayEquals(KDF_OF_INPUT[0], ck);

        ck = CHAIN_KEY.clone();
        byte[] k = new byte[32];
        blake.kdf2(ck, k, ck, INPUT, 0, 32);
        assertArrayEquals(KDF_OF_INPUT[0], ck);
        assertArrayEquals(KDF_OF_INPUT[1], k);

        ck = CHAIN_KEY.clone();
        byte[] tau = new byte[32];
        blake.kdf3(ck, tau, k, ck, INPUT, 0, 32);
        assertArrayEquals(KDF_OF_INPUT[0], ck);
        assertArrayEquals(KDF_OF_INPUT[1], tau);
        assertArrayEquals(KDF_OF_INPUT[2], k);

        // The second or third output aliasing the key, too.
        ck = CHAIN_KEY.clone();
        byte[] t1 = new byte[32];
        blake.kdf2(t1, ck, ck, INPUT, 0, 32);
        assertArrayEquals(KDF_OF_INPUT[0], t1);
        assertArrayEquals(KDF_OF_INPUT[1], ck);
        ck = CHAIN_KEY.clone();
        blake.kdf3(t1, tau, ck, ck, INPUT, 0, 32);
        assertArrayEquals(KDF_OF_INPUT[2], ck);
    }

    @Test
    void shouldAllowInputToAliasTheKey() {
        // KDF(key, key): the key is read as HMAC key and as message before any output is written.
        byte[] expected = new byte[32];
        blake.kdf1(expected, CHAIN_KEY, CHAIN_KEY.clone(), 0, 32);
        byte[] ck = CHAIN_KEY.clone();
        blake.kdf1(ck, ck, ck, 0, 32);
        assertArrayEquals(expected, ck);
    }

    @Test
    void shouldGiveTheSameAnswersWhenReused() {
        // Scratch state must not leak from one call into the next.
        byte[] t1 = new byte[32];
        byte[] t2 = new byte[32];
        byte[] t3 = new byte[32];
        for (int i = 0; i < 3; i++) {
            blake.kdf3(t1, t2, t3, CHAIN_KEY, INPUT, 0, 32);
            assertArrayEquals(KDF_OF_INPUT[2], t3);
            assertArrayEquals(HEX.parseHex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"),
                    hash(ascii("abc")));
            blake.kdf1(t1, CHAIN_KEY, new byte[0], 0, 0);
            assertArrayEquals(KDF_OF_EMPTY[0], t1);
        }
    }
}
