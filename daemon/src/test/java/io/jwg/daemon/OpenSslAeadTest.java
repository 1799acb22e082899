package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.crypto.TransportKey;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The OpenSSL transport AEAD against the JDK cipher: same bytes, forgeries refused, no garbage. */
class OpenSslAeadTest {
    private final Random random = new Random(7);

    @Test
    void shouldLoadOnThisMachine() {
        // Debian 12 ships libcrypto.so.3 (libssl3, pulled in by curl among others).
        assertTrue(OpenSslAead.available(), () -> "libcrypto unusable: " + OpenSslAead.problem());
        assertEquals("OpenSSL libcrypto", Aeads.describe());
    }

    @Test
    void shouldSealAndOpenExactlyLikeTheJdkCipher() {
        OpenSslAead openssl = new OpenSslAead();
        ChaChaPoly jdk = new ChaChaPoly();
        for (int round = 0; round < 400; round++) {
            TransportKey key = new TransportKey(bytes(32));
            long counter = round < 10 ? round : random.nextLong() >>> 1;
            int size = round < 100 ? round : random.nextInt(9000);
            int padding = (16 - size % 16) % 16;
            ByteBuffer plain = direct(bytes(size));
            ByteBuffer a = ByteBuffer.allocateDirect(size + padding + 16 + 3).position(3);
            ByteBuffer b = ByteBuffer.allocateDirect(size + padding + 16 + 3).position(3);
            openssl.sealPadded(key, counter, plain, padding, a);
            jdk.sealPadded(key, counter, plain, padding, b);
            assertEquals(0, plain.position(), "src position left unchanged");
            assertEquals(a.position(), b.position());
            assertEquals(b.flip().position(3), a.flip().position(3), "size " + size);

            ByteBuffer fromJdk = ByteBuffer.allocateDirect(size + padding);
            assertTrue(openssl.open(key, counter, b.duplicate(), fromJdk), "opens the JDK's message");
            assertEquals(size + padding, fromJdk.position());
            assertEquals(plain, fromJdk.flip().limit(size));
            ByteBuffer fromOpenSsl = ByteBuffer.allocateDirect(size + padding);
            assertTrue(jdk.open(key, counter, a.duplicate(), fromOpenSsl), "the JDK opens its message");
        }
    }

    @Test
    void shouldRefuseEveryFlippedBitWrongCounterAndShortInput() {
        OpenSslAead openssl = new OpenSslAead();
        TransportKey key = new TransportKey(bytes(32));
        ByteBuffer plain = direct(bytes(48));
        ByteBuffer sealed = ByteBuffer.allocateDirect(64);
        openssl.sealPadded(key, 9, plain, 0, sealed);
        sealed.flip();
        ByteBuffer out = ByteBuffer.allocateDirect(64);
        for (int bit = 0; bit < 64 * 8; bit++) {
            ByteBuffer forged = ByteBuffer.allocateDirect(64).put(sealed.duplicate()).flip();
            forged.put(bit / 8, (byte) (forged.get(bit / 8) ^ (1 << (bit % 8))));
            assertFalse(openssl.open(key, 9, forged, out.clear()), "bit " + bit);
        }
        assertFalse(openssl.open(key, 10, sealed.duplicate(), out.clear()), "another counter");
        assertFalse(openssl.open(key, 9, sealed.duplicate().limit(15), out.clear()), "shorter than a tag");
        assertFalse(openssl.open(key, 9, sealed.duplicate(), ByteBuffer.allocateDirect(10)), "no room for the plaintext");
        assertTrue(openssl.open(key, 9, sealed.duplicate(), out.clear()), "the original still opens");
    }

    @Test
    void shouldAllocateNothingPerPacket() {
        OpenSslAead openssl = new OpenSslAead();
        TransportKey key = new TransportKey(bytes(32));
        ByteBuffer plain = direct(bytes(1420));
        ByteBuffer sealed = ByteBuffer.allocateDirect(1460);
        ByteBuffer opened = ByteBuffer.allocateDirect(1460);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        // Direct buffers' addresses come from MemorySegment.ofBuffer, which C2 scalar-replaces:
        // the path allocates nothing once compiled, so measure until it has been.
        long perPacket = Long.MAX_VALUE;
        for (int pass = 0; pass < 20 && perPacket >= 8; pass++) {
            long before = threads.getThreadAllocatedBytes(id);
            for (int i = 0; i < 20_000; i++) {
                openssl.sealPadded(key, i, plain, 4, sealed.clear());
                openssl.open(key, i, sealed.flip(), opened.clear());
            }
            perPacket = (threads.getThreadAllocatedBytes(id) - before) / 20_000;
        }
        assertTrue(perPacket < 8, perPacket + " bytes allocated per seal+open after 20 passes");
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static ByteBuffer direct(byte[] b) {
        return ByteBuffer.allocateDirect(b.length).put(b).flip();
    }
}
