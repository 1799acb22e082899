package io.jwg.daemon;

import io.jwg.core.message.Transport;
import io.jwg.core.tunnel.OpenJob;
import io.jwg.core.tunnel.SealJob;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One transport packet in flight on the data path (wireguard-go's {@code QueueOutboundElement}
 * and {@code QueueInboundElement}): two pooled direct buffers and the core's job for it.
 * Outbound, {@link #in} holds the IP packet read from the TUN and {@link #out} the sealed
 * datagram; inbound, {@link #in} holds the received datagram and {@link #out} the plaintext.
 * A packet sits in its peer's ordered queue from before its crypto starts until it is
 * delivered, so {@link #done} (written last by the crypto worker) is what the drainer waits for.
 */
final class DataPacket {
    /** One use in this many is timed; a power of two. */
    static final int SAMPLE_EVERY = 64;
    /** Fixed id in the pool's free list. */
    final int id;
    ByteBuffer in;
    ByteBuffer out;
    /** Native address of {@link #out}, for sendmmsg without a lookup per send. */
    long outAddress;
    final SealJob seal = new SealJob();
    final OpenJob open = new OpenJob();
    PeerQueues peer;
    InetSocketAddress source;
    InetAddress recipient;
    /**
     * When this use of the packet began (System.nanoTime, just after the TUN read or UDP
     * receive), for one use in {@value #SAMPLE_EVERY}, else 0: the data-path latency sample,
     * recorded when the packet is released after its send or TUN write.
     */
    long startNanos;
    /** When it entered its peer's queue (System.nanoTime), for {@link Codel}. */
    long queuedNanos;
    private int uses;
    /** False when the packet was given up before its crypto ran (queue full): skip, but in order. */
    boolean live;
    volatile boolean done;

    DataPacket(int id, int capacity) {
        this.id = id;
        allocate(capacity);
    }

    /** Buffers for packets of up to {@code capacity} bytes and their transport messages. */
    void allocate(int capacity) {
        in = ByteBuffer.allocateDirect(capacity + Transport.OVERHEAD);
        out = ByteBuffer.allocateDirect(capacity + Transport.OVERHEAD + 16);
        outAddress = Libc.addressOf(out);
    }

    int capacity() {
        return in.capacity() - Transport.OVERHEAD;
    }

    void reset() {
        peer = null;
        source = null;
        recipient = null;
        live = true;
        done = false;
        startNanos = (++uses & (SAMPLE_EVERY - 1)) == 0 ? System.nanoTime() : 0;
    }
}
