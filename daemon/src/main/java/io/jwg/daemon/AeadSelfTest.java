package io.jwg.daemon;

import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.crypto.TransportAead;
import io.jwg.core.crypto.TransportKey;
import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * Checks a native transport AEAD against the JDK cipher before the daemon trusts it: the same
 * messages (sizes and paddings around block and tag boundaries) must seal to the same bytes and
 * open back, both ways, and a message with one flipped bit must not open.
 */
final class AeadSelfTest {
    private static final int[] SIZES = {0, 1, 15, 16, 17, 63, 64, 65, 1419, 1420};

    private AeadSelfTest() {
    }

    /** Null when {@code candidate} agrees with the JDK cipher; otherwise what went wrong. */
    static String compare(Supplier<TransportAead> candidate) {
        try {
            TransportAead native_ = candidate.get();
            TransportAead jdk = new ChaChaPoly();
            byte[] raw = new byte[32];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = (byte) (0x80 + 7 * i);
            }
            TransportKey key = new TransportKey(raw);
            for (int size : SIZES) {
                int padding = (16 - size % 16) % 16;
                long counter = 0x0102030405060708L + size;
                ByteBuffer plain = ByteBuffer.allocateDirect(size);
                for (int i = 0; i < size; i++) {
                    plain.put(i, (byte) (i * 31 + size));
                }
                ByteBuffer a = ByteBuffer.allocateDirect(size + padding + 16);
                ByteBuffer b = ByteBuffer.allocateDirect(size + padding + 16);
                native_.sealPadded(key, counter, plain, padding, a);
                jdk.sealPadded(key, counter, plain, padding, b);
                a.flip();
                b.flip();
                if (!a.equals(b)) {
                    return "sealed " + size + " bytes differently from the JDK cipher";
                }
                ByteBuffer opened = ByteBuffer.allocateDirect(size + padding);
                if (!native_.open(key, counter, a.duplicate(), opened)) {
                    return "could not open its own " + size + "-byte message";
                }
                opened.flip();
                if (!opened.slice(0, size).equals(plain.duplicate().clear())) {
                    return "opened " + size + " bytes to something else";
                }
                ByteBuffer forged = ByteBuffer.allocateDirect(a.remaining());
                forged.put(a.duplicate()).flip();
                forged.put(forged.limit() - 1, (byte) (forged.get(forged.limit() - 1) ^ 1));
                if (native_.open(key, counter, forged, ByteBuffer.allocateDirect(size + padding))) {
                    return "accepted a forged " + size + "-byte message";
                }
            }
            return null;
        } catch (RuntimeException | LinkageError e) {
            return "self-test failed: " + e;
        }
    }
}
