package io.jwg.daemon;

import io.jwg.core.crypto.TransportAead;
import io.jwg.core.crypto.TransportKey;
import java.nio.ByteBuffer;

/**
 * Seals and opens small messages with a throwaway key at start, on its own thread, so that the
 * JIT has compiled the transport AEAD before the first packets need it. The ahead-of-time cache
 * has the AEAD's profiles and the daemon compiles them at once; but that code meets classes,
 * call sites and downcalls into libcrypto (FFM) that nothing had linked yet, drops back to the
 * interpreter, and under sparse traffic (a ping every 0.25 s) took minutes of packets to be
 * compiled again. Here it takes a few tens of milliseconds at start, before the handshake.
 */
final class AeadWarmUp {
    /** Round trips at start (system property {@code jwg.aeadWarmUp}, 0 for none). */
    static final int ROUNDS = Math.max(0, Integer.getInteger("jwg.aeadWarmUp", 20_000));
    private static final int SIZE = 96; // a ping's IPv4 packet, padded to 16

    private AeadWarmUp() {
    }

    /** Runs {@code rounds} seal-open round trips; returns how many opened to what was sealed. */
    static int run(TransportAead aead, int rounds) {
        TransportKey key = new TransportKey(new byte[32]);
        ByteBuffer plain = ByteBuffer.allocateDirect(SIZE);
        ByteBuffer sealed = ByteBuffer.allocateDirect(SIZE + 16);
        ByteBuffer opened = ByteBuffer.allocateDirect(SIZE);
        int ok = 0;
        for (int i = 0; i < rounds; i++) {
            plain.clear();
            plain.putLong(0, i);
            sealed.clear();
            opened.clear();
            aead.sealPadded(key, i, plain, 0, sealed);
            sealed.flip();
            if (aead.open(key, i, sealed, opened) && opened.getLong(0) == i) {
                ok++;
            }
        }
        return ok;
    }
}
