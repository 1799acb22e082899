package io.jwg.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The device's UDP socket: one dual-stack Netty datagram channel (epoll with recvmmsg, NIO only
 * when epoll is unavailable), bound when the interface goes up, rebound live when the listen port
 * changes, closed when it goes down. Sends copy the engine's output into a pooled direct buffer;
 * callers batch with {@code flush=false} and flush once.
 */
final class UdpTransport implements AutoCloseable {
    /** Largest datagram we accept: the largest UDP payload. */
    static final int MAX_DATAGRAM = 65_535;
    /** Datagrams read per recvmmsg call. */
    private static final int RECV_BATCH = 8;
    /** wireguard-go's socket buffer size. */
    private static final int SOCKET_BUFFER = 7 << 20;

    private final Log log;
    private final boolean epoll;
    private final EventLoopGroup group;
    private final Supplier<ChannelHandler> handler;
    private volatile Channel channel;
    private int port;
    private int mark;

    UdpTransport(Log log, Supplier<ChannelHandler> handler) {
        this.log = log;
        this.handler = handler;
        this.epoll = Epoll.isAvailable();
        if (!epoll) {
            log.error("epoll unavailable, using NIO: " + Epoll.unavailabilityCause());
        }
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(1, new DaemonThreads("jwg-udp"), factory);
    }

    /** The bound port, or 0 when closed. */
    synchronized int boundPort() {
        Channel c = channel;
        return c == null ? 0 : ((InetSocketAddress) c.localAddress()).getPort();
    }

    /**
     * (Re)binds to {@code requestedPort} (0 = any). On failure the previous socket is closed and
     * the exception says why; the caller reports EADDRINUSE.
     */
    synchronized int bind(int requestedPort) throws IOException {
        closeChannel();
        Channel bound;
        try {
            bound = open(SocketProtocolFamily.INET6, requestedPort);
        } catch (IOException e) {
            if (e instanceof BindException) {
                throw e;
            }
            // IPv6 disabled on this host: IPv4 only.
            bound = open(SocketProtocolFamily.INET, requestedPort);
        }
        channel = bound;
        port = ((InetSocketAddress) bound.localAddress()).getPort();
        applyMark(bound);
        return port;
    }

    private Channel open(SocketProtocolFamily family, int requestedPort) throws IOException {
        Bootstrap bootstrap = new Bootstrap().group(group)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM * RECV_BATCH))
                .option(ChannelOption.SO_REUSEADDR, false)
                .handler(handler.get());
        if (epoll) {
            bootstrap.channelFactory(() -> new EpollDatagramChannel(family))
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM)
                    .option(EpollChannelOption.IP_RECVORIGDSTADDR, true);
        } else {
            bootstrap.channelFactory(() -> new NioDatagramChannel(family));
        }
        var future = bootstrap.bind(new InetSocketAddress(requestedPort)).awaitUninterruptibly();
        if (!future.isSuccess()) {
            Throwable cause = future.cause();
            if (cause instanceof IOException io) {
                if (io.getMessage() != null && io.getMessage().contains("in use")) {
                    throw new BindException(io.getMessage());
                }
                throw io;
            }
            throw new IOException("cannot bind UDP port " + requestedPort + ": " + cause, cause);
        }
        Channel c = future.channel();
        if (c instanceof EpollDatagramChannel e) {
            SocketOptions.setBuffers(e.fd().intValue(), SOCKET_BUFFER);
        }
        return c;
    }

    /** Sets (0 clears) the fwmark, applying it at once when bound. */
    synchronized void setMark(int newMark) throws IOException {
        mark = newMark;
        Channel c = channel;
        if (c != null) {
            applyMark(c);
        }
    }

    private void applyMark(Channel c) throws IOException {
        if (c instanceof EpollDatagramChannel e) {
            SocketOptions.setMark(e.fd().intValue(), mark);
        } else if (mark != 0) {
            throw new IOException("fwmark needs the epoll transport");
        }
    }

    /** The allocator for outgoing datagrams. */
    ByteBufAllocator alloc() {
        Channel c = channel;
        return c == null ? ByteBufAllocator.DEFAULT : c.alloc();
    }

    /**
     * Sends the bytes between {@code datagram}'s position and limit to {@code destination};
     * returns false (nothing queued) when the socket is closed.
     */
    boolean send(ByteBuffer datagram, InetSocketAddress destination, boolean flush) {
        Channel c = channel;
        if (c == null || destination == null) {
            return false;
        }
        ByteBuf buf = c.alloc().directBuffer(datagram.remaining());
        buf.writeBytes(datagram.duplicate());
        DatagramPacket packet = new DatagramPacket(buf, destination);
        if (flush) {
            c.writeAndFlush(packet, c.voidPromise());
        } else {
            c.write(packet, c.voidPromise());
        }
        return true;
    }

    /** Flushes writes queued with {@code flush=false}. */
    void flush() {
        Channel c = channel;
        if (c != null) {
            c.flush();
        }
    }

    /** Closes the socket (the interface went down); {@link #bind} opens it again. */
    synchronized void closeChannel() {
        Channel c = channel;
        channel = null;
        if (c != null) {
            c.close().awaitUninterruptibly();
        }
    }

    @Override
    public void close() {
        closeChannel();
        group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "udp port " + port;
    }
}
