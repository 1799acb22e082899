package io.jwg.daemon;

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
 * {@link HandshakeWorker} queue; cookie replies and transport messages are decapsulated inline and
 * decrypted packets written to the TUN; replies leave through this thread's {@link UdpSender}.
 * It releases every datagram it is given (or hands ownership to the worker).
 */
final class InboundHandler extends ChannelInboundHandlerAdapter {
    private static final int TYPE_INITIATION = 1;
    private static final int TYPE_RESPONSE = 2;

    private final Device device;
    private final ByteBuffer out = ByteBuffer.allocateDirect(UdpTransport.MAX_DATAGRAM);
    private final Received received = new Received();
    private final UdpSender sender = new UdpSender();

    InboundHandler(Device device) {
        this.device = device;
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
        ByteBuffer datagram = content.nioBuffer();
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
            case WRITE_TO_NETWORK -> device.reply(out, source, recipient == null ? null : recipient.getAddress(), sender);
            case DONE, DROP -> {
                // Nothing to emit; the engine counted any drop.
            }
        }
        if (tunnel != null) {
            device.drain(tunnel, out, sender);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        device.log().error("UDP receive: " + cause);
    }
}
