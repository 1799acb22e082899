package io.jwg.daemon;

import io.jwg.core.message.MessageType;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The UDP channel's only handler, on the event loop: handshake messages (type 1 and 2) go to the
 * {@link HandshakeWorker} queue; transport messages are copied into a pooled packet, looked up
 * ({@code Engine.beginTransport}) and handed to the {@link DataPath} for parallel decryption in
 * per-peer order; cookie replies and the rest are handled inline. Replies leave through this
 * thread's {@link UdpSender}. It releases every datagram it is given (or hands ownership to the
 * handshake worker).
 */
final class InboundHandler extends ChannelInboundHandlerAdapter {
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
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        ByteBuf content = packet.content();
        if (content.readableBytes() >= 4) {
            int type = content.getByte(content.readerIndex()) & 0xff;
            if (type == TYPE_INITIATION || type == TYPE_RESPONSE) {
                device.handshakes().offer(packet); // takes ownership
                return;
            }
        }
        try {
            receive(content, packet.sender(), packet.recipient());
        } finally {
            packet.release();
        }
    }

    private void receive(ByteBuf content, InetSocketAddress source, InetSocketAddress recipient) {
        int length = content.readableBytes();
        DataPacket p = dataPath.acquire(length);
        if (p == null) {
            return; // counted by the pool
        }
        // One copy out of Netty's buffer (no ByteBuffer view allocated): the datagram outlives it.
        ByteBuffer datagram = p.in;
        datagram.clear().limit(length);
        content.getBytes(content.readerIndex(), datagram);
        datagram.flip();
        if (MessageType.classify(datagram) == MessageType.TRANSPORT) {
            if (device.engine0().beginTransport(datagram, p.open, worker.received)) {
                p.source = source;
                p.recipient = recipient == null ? null : recipient.getAddress();
                if (dataPath.submitInbound(dataPath.queues(p.open.tunnel()), p, worker)) {
                    return;
                }
            }
            dataPath.release(p);
            return;
        }
        try {
            receiveOther(datagram, source, recipient);
        } finally {
            dataPath.release(p);
        }
    }

    /** Cookie replies and malformed datagrams: inline, as they are rare and cheap. */
    private void receiveOther(ByteBuffer datagram, InetSocketAddress source, InetSocketAddress recipient) {
        Received received = worker.received;
        ByteBuffer out = worker.out;
        Verdict verdict = device.engine0().decapsulate(datagram, source, false, out, received);
        Tunnel tunnel = received.tunnel();
        switch (verdict) {
            case WRITE_TO_TUNNEL -> {
                device.noteLocalAddress(tunnel, recipient == null ? null : recipient.getAddress());
                try {
                    device.tun().write(out);
                } catch (IOException e) {
                    if (device.log().verbose()) {
                        device.log().debug("Failed to write packet to TUN device: " + e.getMessage());
                    }
                }
            }
            case WRITE_TO_NETWORK -> device.reply(out, source, recipient == null ? null : recipient.getAddress(), worker.sender);
            case DONE, DROP -> {
                // Nothing to emit; the engine counted any drop.
            }
        }
        if (tunnel != null) {
            device.drain(tunnel, out, worker.sender);
        }
    }

    /** End of a read batch (recvmmsg loop): decrypt what the workers have not taken. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        dataPath.helpInbound(worker);
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        device.log().error("UDP receive: " + cause);
    }
}
