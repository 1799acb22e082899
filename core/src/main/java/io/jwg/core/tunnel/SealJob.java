package io.jwg.core.tunnel;

import io.jwg.core.crypto.TransportAead;
import io.jwg.core.message.Transport;
import io.jwg.core.noise.Keypair;
import java.nio.ByteBuffer;

/**
 * One outbound transport message between its reservation and its sealing: the keypair, the
 * counter and the padding that {@link Tunnel#reserve} chose under the tunnel's lock. Sealing
 * ({@link #seal}) needs no lock, so an I/O layer can run it on any thread, many at once; it must
 * send the sealed datagrams of one peer in reservation order itself. Caller-owned and reusable.
 */
public final class SealJob {
    private Keypair keypair;
    private long counter;
    private int padding;

    /** Called by {@link Tunnel#reserve} with the lock held. */
    void set(Keypair keypair, long counter, int padding) {
        this.keypair = keypair;
        this.counter = counter;
        this.padding = padding;
    }

    /** The reserved counter (for tests and logs). */
    public long counter() {
        return counter;
    }

    /**
     * Seals {@code packet} (position to limit, left unchanged) into {@code out}, cleared and
     * flipped: header, padded ciphertext, tag. Uses the caller's cipher; no lock is taken. The
     * buffers must not overlap.
     */
    public void seal(TransportAead aead, ByteBuffer packet, ByteBuffer out) {
        out.clear();
        Transport.writeHeader(out, keypair.remoteIndex(), counter);
        aead.sealPadded(keypair.sendKey(), counter, packet, padding, out);
        out.flip();
    }
}
