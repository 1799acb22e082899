package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import javax.crypto.SecretKey;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.junit.jupiter.api.Test;

/**
 * The ByteBuffer forms of {@link ChaChaPoly} (heap, direct and read-only buffers, at non-zero
 * positions) against Bouncy Castle's independent ChaCha20-Poly1305 on arrays.
 */
class ChaChaPolyBuffersTest {

    private static final int[] LENGTHS = {0, 1, 15, 16, 64, 1023, 1420};
    private final SplittableRandom random = new SplittableRandom(5);
    private final ChaChaPoly aead = new ChaChaPoly();
    private final byte[] rawKey = bytes(32);
    private final SecretKey key = ChaChaPoly.key(rawKey);

    private enum Kind { HEAP, DIRECT, READ_ONLY }

    @Test
    void shouldSealAndOpenLikeBouncyCastleForEveryBufferKind() throws InvalidCipherTextException {
        long counter = 1;
        for (int length : LENGTHS) {
            byte[] plain = bytes(length);
            for (Kind in : Kind.values()) {
                for (Kind out : new Kind[] {Kind.HEAP, Kind.DIRECT}) {
                    counter++;
                    byte[] expected = bcSeal(counter, plain);
                    ByteBuffer src = buffer(in, plain, 3);
                    ByteBuffer dst = buffer(out, new byte[length + 16 + 5], 5);
                    aead.seal(key, counter, src, dst);
                    assertEquals(src.limit(), src.position());
                    assertEquals(5 + length + 16, dst.position());
                    assertArrayEquals(expected, contents(dst, 5, length + 16), in + " -> " + out + " length " + length);

                    ByteBuffer sealed = buffer(in, expected, 2);
                    ByteBuffer opened = buffer(out, new byte[length + 7], 7);
                    assertTrue(aead.open(key, counter, sealed, opened));
                    assertEquals(7 + length, opened.position());
                    assertArrayEquals(plain, contents(opened, 7, length));
                }
            }
        }
    }

    @Test
    void shouldSealPaddedAsPlaintextFollowedByZeros() throws InvalidCipherTextException {
        long counter = 1000;
        for (int length : LENGTHS) {
            byte[] plain = bytes(length);
            for (int padding = 0; padding < 16; padding++) {
                byte[] expected = bcSeal(++counter, Arrays.copyOf(plain, length + padding));
                for (Kind in : Kind.values()) {
                    for (Kind out : new Kind[] {Kind.HEAP, Kind.DIRECT}) {
                        ByteBuffer src = buffer(in, plain, 4);
                        ByteBuffer dst = buffer(out, filled(length + padding + 16 + 16, (byte) 0x55), 16);
                        aead.sealPadded(key, counter, src, padding, dst);
                        assertEquals(4, src.position(), "source position is left alone");
                        assertEquals(16 + expected.length, dst.position());
                        assertArrayEquals(expected, contents(dst, 16, expected.length),
                                in + " -> " + out + " length " + length + " padding " + padding);
                        counter++; // the JDK refuses to seal twice under one nonce
                        expected = bcSeal(counter, Arrays.copyOf(plain, length + padding));
                    }
                }
            }
        }
    }

    @Test
    void shouldRefuseForgeriesWithoutWritingOutput() {
        byte[] plain = bytes(100);
        byte[] sealed = new byte[116];
        aead.seal(key, 9, plain, 0, 100, sealed, 0, null);
        for (Kind in : Kind.values()) {
            for (Kind out : new Kind[] {Kind.HEAP, Kind.DIRECT}) {
                for (int flip : new int[] {0, 99, 115}) {
                    byte[] forged = sealed.clone();
                    forged[flip] ^= 1;
                    ByteBuffer dst = buffer(out, filled(100, (byte) 0x55), 0);
                    assertFalse(aead.open(key, 9, buffer(in, forged, 0), dst));
                    assertEquals(0, dst.position());
                    assertArrayEquals(filled(100, (byte) 0x55), contents(dst, 0, 100));
                }
                assertFalse(aead.open(key, 9, buffer(in, new byte[15], 0), buffer(out, new byte[16], 0)));
            }
        }
    }

    private byte[] bcSeal(long counter, byte[] plain) throws InvalidCipherTextException {
        byte[] nonce = new byte[12];
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        ChaCha20Poly1305 bc = new ChaCha20Poly1305();
        bc.init(true, new ParametersWithIV(new KeyParameter(rawKey), nonce));
        byte[] out = new byte[plain.length + 16];
        int n = bc.processBytes(plain, 0, plain.length, out, 0);
        bc.doFinal(out, n);
        return out;
    }

    /** {@code content} at {@code offset} of a buffer of the given kind; position at offset, limit at the end. */
    private static ByteBuffer buffer(Kind kind, byte[] content, int offset) {
        ByteBuffer b = kind == Kind.DIRECT ? ByteBuffer.allocateDirect(offset + content.length) : ByteBuffer.allocate(offset + content.length);
        b.put(offset, content);
        b.position(offset);
        return kind == Kind.READ_ONLY ? b.asReadOnlyBuffer() : b;
    }

    private static byte[] contents(ByteBuffer b, int offset, int length) {
        byte[] out = new byte[length];
        b.get(offset, out);
        return out;
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] filled(int n, byte value) {
        byte[] b = new byte[n];
        Arrays.fill(b, value);
        return b;
    }
}
