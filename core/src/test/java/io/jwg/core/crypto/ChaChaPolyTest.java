package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

/** RFC 8439 vectors and the behaviour of the counter-nonce API WireGuard uses. */
class ChaChaPolyTest {
    private static final HexFormat HEX = HexFormat.of();

    // RFC 8439 section 2.8.2.
    private static final byte[] RFC_PLAINTEXT = ("Ladies and Gentlemen of the class of '99: If I could offer you only one"
            + " tip for the future, sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RFC_AAD = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
    private static final byte[] RFC_KEY = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    private static final byte[] RFC_NONCE = HEX.parseHex("070000004041424344454647");
    private static final byte[] RFC_SEALED = HEX.parseHex(
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
            + "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
            + "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
            + "3ff4def08e4b7a9de576d26586cec64b6116"
            + "1ae10b594f09e26a7e902ecbd0600691"); // tag

    private static final IntFunction<ByteBuffer> HEAP = ByteBuffer::allocate;
    private static final IntFunction<ByteBuffer> DIRECT = ByteBuffer::allocateDirect;

    private final ChaChaPoly aead = new ChaChaPoly();
    private final SplittableRandom random = new SplittableRandom(8439);

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Test
    void shouldSealRfc8439Section282Vector() {
        assertEquals(114, RFC_PLAINTEXT.length);
        byte[] out = new byte[RFC_PLAINTEXT.length + 16];
        aead.sealWithNonce(ChaChaPoly.key(RFC_KEY), RFC_NONCE, RFC_PLAINTEXT, 0, RFC_PLAINTEXT.length, out, 0, RFC_AAD);
        assertArrayEquals(RFC_SEALED, out);
    }

    @Test
    void shouldOpenRfc8439Section282Vector() {
        byte[] plain = new byte[RFC_PLAINTEXT.length];
        assertTrue(aead.openWithNonce(ChaChaPoly.key(RFC_KEY), RFC_NONCE, RFC_SEALED, 0, RFC_SEALED.length, plain, 0, RFC_AAD));
        assertArrayEquals(RFC_PLAINTEXT, plain);
        byte[] otherNonce = RFC_NONCE.clone();
        otherNonce[0] = 0; // our counter format would have the zero prefix: must not verify
        assertFalse(aead.openWithNonce(ChaChaPoly.key(RFC_KEY), otherNonce, RFC_SEALED, 0, RFC_SEALED.length, plain, 0, RFC_AAD));
    }

    // RFC 8439 Appendix A.5. Its nonce 00000000 0102030405060708 is exactly our format:
    // four zero bytes, then the 64-bit little-endian counter 0x0807060504030201.
    private static final byte[] A5_KEY = HEX.parseHex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    private static final long A5_COUNTER = 0x0807060504030201L;
    private static final byte[] A5_AAD = HEX.parseHex("f33388860000000000004e91");
    private static final byte[] A5_SEALED = HEX.parseHex(
            "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
            + "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
            + "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
            + "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
            + "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
            + "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
            + "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
            + "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
            + "a6ad5cb4022b02709b"
            + "eead9d67890cbb22392336fea1851f38"); // tag
    private static final byte[] A5_PLAINTEXT = HEX.parseHex(
            "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
            + "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
            + "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
            + "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
            + "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
            + "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
            + "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
            + "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
            + "726573732e2fe2809d");

    @Test
    void shouldOpenRfc8439AppendixA5WithTheCounterApi() {
        assertEquals(265 + 16, A5_SEALED.length);
        byte[] plain = new byte[265];
        assertTrue(aead.open(A5_KEY, A5_COUNTER, A5_SEALED, 0, A5_SEALED.length, plain, 0, A5_AAD));
        assertArrayEquals(A5_PLAINTEXT, plain);
    }

    @Test
    void shouldSealRfc8439AppendixA5WithTheCounterApi() {
        byte[] sealed = new byte[A5_SEALED.length];
        aead.seal(A5_KEY, A5_COUNTER, A5_PLAINTEXT, 0, A5_PLAINTEXT.length, sealed, 0, A5_AAD);
        assertArrayEquals(A5_SEALED, sealed);
    }

    @Test
    void shouldRoundTripArraysAtOffsets() {
        long counter = 0;
        for (int len : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 255, 1420}) {
            for (byte[] aad : new byte[][] {null, new byte[0], randomBytes(32)}) {
                SecretKey key = ChaChaPoly.key(randomBytes(32));
                byte[] plain = randomBytes(len);
                byte[] in = new byte[len + 7];
                System.arraycopy(plain, 0, in, 3, len);
                byte[] sealed = new byte[len + 16 + 5];
                aead.seal(key, counter, in, 3, len, sealed, 5, aad);
                byte[] opened = new byte[len + 2];
                assertTrue(aead.open(key, counter, sealed, 5, len + 16, opened, 2, aad), "len " + len);
                assertArrayEquals(plain, Arrays.copyOfRange(opened, 2, 2 + len));
                counter++;
            }
        }
    }

    @Test
    void shouldTreatNullAndEmptyAadAlike() {
        SecretKey key = ChaChaPoly.key(randomBytes(32));
        byte[] sealed = new byte[16 + 16];
        aead.seal(key, 1, new byte[16], 0, 16, sealed, 0, null);
        assertTrue(aead.open(key, 1, sealed, 0, sealed.length, new byte[16], 0, new byte[0]));
    }

    @Test
    void shouldRoundTripExtremeCounters() {
        // The counter is unsigned: -1 is 2^64 - 1.
        for (long counter : new long[] {0, 1, 0xffffffffL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, -1}) {
            byte[] key = randomBytes(32);
            byte[] plain = randomBytes(40);
            byte[] sealed = new byte[56];
            aead.seal(key, counter, plain, 0, 40, sealed, 0, null);
            byte[] opened = new byte[40];
            assertTrue(aead.open(key, counter, sealed, 0, 56, opened, 0, null));
            assertArrayEquals(plain, opened);
            assertFalse(aead.open(key, counter ^ 1, sealed, 0, 56, opened, 0, null));
        }
    }

    @Test
    void shouldPlaceTheCounterLittleEndianAfterFourZeroBytes() {
        byte[] key = randomBytes(32);
        byte[] plain = randomBytes(33);
        long counter = 0x1122334455667788L;
        byte[] viaCounter = new byte[49];
        aead.seal(key, counter, plain, 0, 33, viaCounter, 0, null);
        byte[] viaNonce = new byte[49];
        new ChaChaPoly().sealWithNonce(ChaChaPoly.key(key), HEX.parseHex("000000008877665544332211"), plain, 0, 33,
                viaNonce, 0, new byte[0]);
        assertArrayEquals(viaCounter, viaNonce);
    }

    @Test
    void shouldRoundTripByteBuffers() {
        long counter = 100;
        for (IntFunction<ByteBuffer> srcKind : java.util.List.of(HEAP, DIRECT)) {
            for (IntFunction<ByteBuffer> dstKind : java.util.List.of(HEAP, DIRECT)) {
                for (int len : new int[] {0, 1, 15, 16, 17, 100, 1420}) {
                    byte[] keyBytes = randomBytes(32);
                    SecretKey key = ChaChaPoly.key(keyBytes);
                    byte[] plain = randomBytes(len);
                    ByteBuffer src = srcKind.apply(len + 10);
                    src.position(4);
                    src.put(plain).flip().position(4);
                    ByteBuffer sealed = dstKind.apply(len + 16 + 8);
                    sealed.position(3);
                    aead.seal(key, counter, src, sealed);
                    assertEquals(4 + len, src.position());
                    assertEquals(3 + len + 16, sealed.position());

                    // Same bytes as the array form.
                    byte[] expected = new byte[len + 16];
                    new ChaChaPoly().seal(keyBytes, counter, plain, 0, len, expected, 0, null);
                    byte[] got = new byte[len + 16];
                    sealed.get(3, got);
                    assertArrayEquals(expected, got);

                    sealed.flip().position(3);
                    ByteBuffer opened = dstKind.apply(len + 4);
                    opened.position(2);
                    assertTrue(aead.open(key, counter, sealed, opened));
                    assertEquals(sealed.limit(), sealed.position());
                    assertEquals(2 + len, opened.position());
                    byte[] back = new byte[len];
                    opened.get(2, back);
                    assertArrayEquals(plain, back);
                    counter++;
                }
            }
        }
    }

    @Test
    void shouldSealPaddedLikeExplicitlyPaddedPlaintext() {
        long counter = 7;
        for (IntFunction<ByteBuffer> kind : java.util.List.of(HEAP, DIRECT)) {
            for (int len : new int[] {0, 1, 15, 16, 17, 31, 100}) {
                for (int padding = 0; padding <= 16; padding++) {
                    byte[] keyBytes = randomBytes(32);
                    byte[] plain = randomBytes(len);
                    ByteBuffer src = kind.apply(len + 5);
                    src.position(5);
                    src.put(plain).flip().position(5);
                    ByteBuffer dst = kind.apply(len + padding + 16 + 2);
                    dst.position(2);
                    aead.sealPadded(ChaChaPoly.key(keyBytes), counter, src, padding, dst);
                    assertEquals(5, src.position(), "sealPadded must leave src's position");
                    assertEquals(2 + len + padding + 16, dst.position());

                    byte[] padded = Arrays.copyOf(plain, len + padding);
                    byte[] expected = new byte[len + padding + 16];
                    new ChaChaPoly().seal(keyBytes, counter, padded, 0, padded.length, expected, 0, null);
                    byte[] got = new byte[expected.length];
                    dst.get(2, got);
                    assertArrayEquals(expected, got, "len " + len + " padding " + padding);
                    counter++;
                }
            }
        }
    }

    @Test
    void shouldRejectEveryFlippedByte() {
        byte[] key = randomBytes(32);
        byte[] aad = randomBytes(32);
        byte[] plain = randomBytes(12);
        byte[] sealed = new byte[28];
        aead.seal(key, 5, plain, 0, 12, sealed, 0, aad);
        byte[] out = new byte[sealed.length];
        for (int i = 0; i < sealed.length; i++) {
            for (int mask : new int[] {0x01, 0x80, 0xff}) {
                byte[] tampered = sealed.clone();
                tampered[i] ^= (byte) mask;
                assertFalse(aead.open(key, 5, tampered, 0, tampered.length, out, 0, aad), "byte " + i);
                ByteBuffer dst = ByteBuffer.allocate(64);
                assertFalse(aead.open(ChaChaPoly.key(key), 5, ByteBuffer.wrap(tampered), dst), "buffer byte " + i);
            }
        }
        // And the untampered message still opens after all those failures.
        assertTrue(aead.open(key, 5, sealed, 0, sealed.length, out, 0, aad));
        assertArrayEquals(plain, Arrays.copyOf(out, 12));
    }

    @Test
    void shouldWriteNothingWhenABufferFailsToOpen() {
        SecretKey key = ChaChaPoly.key(randomBytes(32));
        ByteBuffer sealed = ByteBuffer.allocate(64 + 16);
        aead.seal(key, 9, ByteBuffer.wrap(randomBytes(64)), sealed);
        sealed.flip();
        sealed.put(10, (byte) (sealed.get(10) ^ 1));
        ByteBuffer dst = ByteBuffer.allocate(100);
        dst.position(3);
        assertFalse(aead.open(key, 9, sealed, dst));
        assertEquals(3, dst.position());
        assertArrayEquals(new byte[100], dst.array(), "plaintext of a forgery was released");
    }

    @Test
    void shouldRejectWrongCounterKeyOrAad() {
        byte[] key = randomBytes(32);
        byte[] aad = randomBytes(16);
        byte[] sealed = new byte[20 + 16];
        aead.seal(key, 42, randomBytes(20), 0, 20, sealed, 0, aad);
        byte[] out = new byte[20];
        assertFalse(aead.open(key, 41, sealed, 0, sealed.length, out, 0, aad));
        assertFalse(aead.open(key, 43, sealed, 0, sealed.length, out, 0, aad));
        assertFalse(aead.open(key, 42 | (1L << 63), sealed, 0, sealed.length, out, 0, aad));
        byte[] otherKey = key.clone();
        otherKey[31] ^= 1;
        assertFalse(aead.open(otherKey, 42, sealed, 0, sealed.length, out, 0, aad));
        byte[] otherAad = aad.clone();
        otherAad[0] ^= 1;
        assertFalse(aead.open(key, 42, sealed, 0, sealed.length, out, 0, otherAad));
        assertFalse(aead.open(key, 42, sealed, 0, sealed.length, out, 0, null));
        assertFalse(aead.open(key, 42, sealed, 0, sealed.length, out, 0, Arrays.copyOf(aad, 17)));
        assertTrue(aead.open(key, 42, sealed, 0, sealed.length, out, 0, aad));
    }

    @Test
    void shouldRejectInputShorterThanATag() {
        byte[] key = randomBytes(32);
        byte[] out = new byte[32];
        for (int len = 0; len <= 16; len++) {
            byte[] in = randomBytes(len);
            assertFalse(aead.open(key, 0, in, 0, len, out, 0, null), "len " + len);
            assertFalse(aead.open(ChaChaPoly.key(key), 0, ByteBuffer.wrap(in), ByteBuffer.allocate(32)), "buffer len " + len);
            assertFalse(aead.openWithNonce(ChaChaPoly.key(key), new byte[12], in, 0, len, out, 0, new byte[0]));
        }
    }

    @Test
    void shouldNeverThrowOnRandomCiphertexts() {
        byte[] key = randomBytes(32);
        SecretKey wrapped = ChaChaPoly.key(key);
        byte[] out = new byte[300];
        for (int i = 0; i < 5_000; i++) {
            int len = random.nextInt(0, 200);
            byte[] in = randomBytes(len);
            long counter = random.nextLong();
            assertFalse(aead.open(key, counter, in, 0, len, out, 0, random.nextBoolean() ? null : randomBytes(8)));
            ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(in) : ByteBuffer.allocateDirect(len).put(in).flip();
            assertFalse(aead.open(wrapped, counter, src, ByteBuffer.allocate(300)));
        }
    }
}
