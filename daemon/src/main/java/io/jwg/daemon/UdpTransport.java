package io.jwg.daemon;

import io.netty.bootstrap.Bootstrap;
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
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The device's UDP socket: one dual-stack Netty epoll datagram channel, bound when the interface
 * goes up, rebound live when the listen port changes, closed when it goes down. Netty receives
 * (recvmmsg, with the local destination address of each datagram); sends go out through
 * {@link UdpSender} on the channel's file descriptor, from whichever thread produced them. NIO
 * replaces epoll only where epoll is unavailable (logged once); it then also sends.
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
    private final ReentrantReadWriteLock sendLock = new ReentrantReadWriteLock();
    private volatile Channel channel;
    private int fd = -1;
    private boolean ipv6;
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
        SocketProtocolFamily family = SocketProtocolFamily.INET6;
        try {
            bound = open(family, requestedPort);
        } catch (IOException e) {
            if (e instanceof BindException) {
                throw e;
            }
            // IPv6 disabled on this host: IPv4 only.
            family = SocketProtocolFamily.INET;
            bound = open(family, requestedPort);
        }
        sendLock.writeLock().lock();
        try {
            channel = bound;
            fd = bound instanceof EpollDatagramChannel e ? e.fd().intValue() : -1;
            ipv6 = family == SocketProtocolFamily.INET6;
        } finally {
            sendLock.writeLock().unlock();
        }
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
                    // 0 = recvmsg: Netty's recvmmsg path drops the IP_ORIGDSTADDR control message
                    // that the sticky source address needs (measured: recipient() is [::]).
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 0)
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

    /**
     * Loads and links Netty's datagram path by binding and closing a throwaway socket on an
     * ephemeral loopback port, so the first real bind (when the link goes up) takes
     * milliseconds, not the second a cold JVM needs; a handshake sent to us meanwhile is lost.
     */
    void warmUp() {
        try {
            Bootstrap bootstrap = new Bootstrap().group(group).handler(new io.netty.channel.ChannelInboundHandlerAdapter());
            bootstrap.channelFactory(() -> epoll ? new EpollDatagramChannel(SocketProtocolFamily.INET)
                    : new NioDatagramChannel(SocketProtocolFamily.INET));
            Channel c = bootstrap.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            c.close().sync();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("UDP warm-up failed: " + e);
        }
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

    /**
     * Sends the datagram (a direct buffer, position to limit) to {@code destination}, from
     * {@code source} when not null, through the calling thread's {@code sender}. The socket
     * cannot be closed or replaced while a send is in progress.
     */
    UdpSender.Result send(UdpSender sender, ByteBuffer datagram, InetSocketAddress destination, InetAddress source) {
        if (destination == null) {
            return UdpSender.Result.FAILED;
        }
        sendLock.readLock().lock();
        try {
            if (fd >= 0) {
                return sender.send(fd, ipv6, datagram, destination, source);
            }
            Channel c = channel;
            if (c == null) {
                return UdpSender.Result.DROPPED;
            }
            // NIO fallback: no file descriptor to send on, so through Netty (no sticky source).
            io.netty.buffer.ByteBuf buf = c.alloc().directBuffer(datagram.remaining());
            buf.writeBytes(datagram.duplicate());
            c.writeAndFlush(new io.netty.channel.socket.DatagramPacket(buf, destination), c.voidPromise());
            return UdpSender.Result.SENT;
        } finally {
            sendLock.readLock().unlock();
        }
    }

    /**
     * Sends the sender's batch from entry {@code from} on (see {@link UdpSender#batchSend});
     * returns the index of the first entry not sent.
     */
    int sendBatch(UdpSender sender, int from, InetSocketAddress destination, InetAddress source) {
        sendLock.readLock().lock();
        try {
            if (fd >= 0) {
                return sender.batchSend(fd, ipv6, from, destination, source);
            }
            Channel c = channel;
            if (c == null) {
                return sender.batchSize();
            }
            for (int i = from; i < sender.batchSize(); i++) {
                int length = sender.batchLength(i);
                io.netty.buffer.ByteBuf wrapped = io.netty.buffer.Unpooled.wrappedBuffer(sender.batchAddress(i), length, false);
                io.netty.buffer.ByteBuf buf = c.alloc().directBuffer(length);
                buf.writeBytes(wrapped);
                wrapped.release();
                c.write(new io.netty.channel.socket.DatagramPacket(buf, destination), c.voidPromise());
            }
            c.flush();
            return sender.batchSize();
        } finally {
            sendLock.readLock().unlock();
        }
    }

    /** Closes the socket (the interface went down); {@link #bind} opens it again. */
    synchronized void closeChannel() {
        Channel c = channel;
        sendLock.writeLock().lock();
        try {
            channel = null;
            fd = -1;
        } finally {
            sendLock.writeLock().unlock();
        }
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
