package io.jwg.core.tunnel;

import io.jwg.core.crypto.TransportAead;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.Transport;
import io.jwg.core.noise.Keypair;
import java.nio.ByteBuffer;

/**
 * One received transport message on its way through the split receive path:
 * {@link Engine#beginTransport} (index lookup and keypair selection), {@link #open} (the AEAD,
 * lock-free, on any thread), then {@link Engine#finishTransport} (replay window, timers, inner
 * source check), which the I/O layer must call in arrival order per peer. Caller-owned and
 * reusable.
 */
public final class OpenJob {
    Tunnel tunnel;
    Keypair keypair;
    long counter;
    int length;
    boolean opened;

    void reset() {
        tunnel = null;
        keypair = null;
        opened = false;
    }

    /** The peer the message's receiver index names, or null before {@link Engine#beginTransport}. */
    public Tunnel tunnel() {
        return tunnel;
    }

    /**
     * Decrypts the message in {@code datagram} (position to limit, left unchanged) into
     * {@code out}, flipped; an empty limit when it does not authenticate or does not fit.
     * No lock is taken; the result is only trusted by {@link Engine#finishTransport}.
     */
    public boolean open(TransportAead aead, ByteBuffer datagram, ByteBuffer out) {
        int start = datagram.position();
        if (length - Transport.OVERHEAD > out.capacity()) {
            // More plaintext than the buffer holds (indices travel in clear, so anyone can aim
            // one at us): the JDK cipher would throw ShortBufferException, not verify.
            out.clear().limit(0);
            opened = false;
            return false;
        }
        out.clear();
        datagram.position(start + Transport.HEADER_SIZE);
        opened = aead.open(keypair.receiveKey(), counter, datagram, out);
        datagram.position(start);
        if (opened) {
            out.flip();
        } else {
            out.clear().limit(0);
        }
        return opened;
    }

    /** Reads the counter and length of the message; called by the engine. */
    void prepare(Tunnel tunnel, Keypair keypair, ByteBuffer datagram) {
        this.tunnel = tunnel;
        this.keypair = keypair;
        this.length = datagram.remaining();
        this.counter = LittleEndian.getLong(datagram, datagram.position() + Transport.COUNTER_OFFSET);
        this.opened = false;
    }
}
