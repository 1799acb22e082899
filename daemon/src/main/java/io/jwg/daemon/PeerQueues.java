package io.jwg.daemon;

import io.jwg.core.tunnel.Tunnel;

/** A peer's two ordered queues, attached to its {@link Tunnel} on first use. */
final class PeerQueues {
    final Tunnel tunnel;
    final PeerQueue outbound;
    final PeerQueue inbound;

    PeerQueues(Tunnel tunnel, PeerQueue.Sink outboundSink, PeerQueue.Sink inboundSink) {
        this.tunnel = tunnel;
        this.outbound = new PeerQueue(outboundSink);
        this.inbound = new PeerQueue(inboundSink);
    }
}
