package io.jwg.daemon;

import io.jwg.core.message.MessageType;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * What the UDP socket's event loop does with each datagram ({@link UdpSocket.Receiver}):
 * handshake messages (type 1 and 2) pass the engine's cheap checks here, before any queue
 * ({@code Engine.precheckHandshake}: size, MAC1, and under load MAC2 and the per-source rate
 * limit); the survivors are copied to the {@link HandshakeWorker} queue and the cookie replies
 * sent at once, from this thread's buffers, so a flood never reaches the queue; transport
 * messages are copied into a pooled packet, looked up ({@code Engine.beginTransport}) and handed
 * to the {@link DataPath} for parallel decryption in per-peer order; cookie replies and the rest
 * are handled inline. Replies leave through this thread's {@link UdpSender}.
 */
final class InboundHandler implements UdpSocket.Receiver {
    private static final int TYPE_INITIATION = 1;
    private static final int TYPE_RESPONSE = 2;

    private final Device device;
    private final DataPath dataPath;
    private final Worker worker = new Worker();

    InboundHandler(Device device, DataPath dataPath) {
        this.device = device;
        this.dataPath = dataPath;
    }

    @Override
    public void onDatagram(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
        int length = datagram.remaining();
        if (length >= 4) {
            int type = datagram.get(datagram.position()) & 0xff;
            if (type == TYPE_INITIATION || type == TYPE_RESPONSE) {
                receiveHandshake(datagram, source, local);
                return;
            }
        }
        DataPacket p = dataPath.acquire(length);
        if (p == null) {
            return; // counted by the pool
        }
        // One copy out of the receive slot, which is reused for the next datagram.
        ByteBuffer in = p.in;
        in.clear().limit(length);
        in.put(0, datagram, datagram.position(), length);
        if (MessageType.classify(in) == MessageType.TRANSPORT) {
            if (device.engine().beginTransport(in, p.open, worker.received)) {
                p.source = source;
                p.recipient = local;
                if (dataPath.submitInbound(dataPath.queues(p.open.tunnel()), p, worker)) {
                    return;
                }
            }
            dataPath.release(p);
            return;
        }
        try {
            receiveOther(in, source, local);
        } finally {
            dataPath.release(p);
        }
    }

    /** The cheap checks, then the queue, a cookie reply, or a (counted) drop. */
    private void receiveHandshake(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
        HandshakeWorker handshakes = device.handshakes();
        Received received = worker.received;
        switch (device.engine().precheckHandshake(datagram, source, handshakes.underLoad(), worker.out, received)) {
            case ACCEPT -> handshakes.offer(datagram, source, local);
            case COOKIE_REPLY -> {
                device.reply(worker.out, source, local, worker.sender);
                handshakes.logRejected(source, received);
            }
            case DROP -> handshakes.logRejected(source, received);
        }
    }

    /** Cookie replies and malformed datagrams: inline, as they are rare and cheap. */
    private void receiveOther(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
        Received received = worker.received;
        ByteBuffer out = worker.out;
        Verdict verdict = device.engine().decapsulate(datagram, source, false, out, received);
        Tunnel tunnel = received.tunnel();
        switch (verdict) {
            case WRITE_TO_TUNNEL -> {
                device.noteLocalAddress(tunnel, local);
                try {
                    device.tun().write(out);
                } catch (IOException e) {
                    if (device.log().verbose()) {
                        device.log().debug("Failed to write packet to TUN device: " + e.getMessage());
                    }
                }
            }
            case WRITE_TO_NETWORK -> device.reply(out, source, local, worker.sender);
            case DONE, DROP -> {
                // Nothing to emit; the engine counted any drop.
            }
        }
        if (tunnel != null) {
            device.drain(tunnel, worker);
        }
    }

    /**
     * End of a read batch (recvmmsg loop): decrypt what the workers have not taken, then send
     * what the kernel answered to it at once, unless the TUN reader is at it ({@link TunReader#helpRead}).
     */
    @Override
    public void onBatchEnd() {
        dataPath.helpInbound(worker);
        device.tunReader().helpRead();
    }
}
