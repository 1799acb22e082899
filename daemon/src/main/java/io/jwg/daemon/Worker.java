package io.jwg.daemon;

import io.jwg.core.crypto.TransportAead;
import io.jwg.core.tunnel.Received;
import java.nio.ByteBuffer;

/**
 * What a data-path thread owns: its cipher, its UDP sender (native sendmmsg memory), a batch
 * array for draining, an output buffer and result holder for {@code Tunnel.poll}, its TUN write batch. One per
 * thread, never shared, so the hot path allocates nothing and takes no lock for scratch space.
 */
final class Worker {
    static final int BATCH = UdpSender.BATCH;
    final TransportAead aead = Aeads.create();
    final UdpSender sender = new UdpSender();
    final DataPacket[] batch = new DataPacket[BATCH];
    final ByteBuffer out = ByteBuffer.allocateDirect(UdpTransport.MAX_DATAGRAM);
    final Received received = new Received();
    final TunWrites tunWrites = new TunWrites();
}
