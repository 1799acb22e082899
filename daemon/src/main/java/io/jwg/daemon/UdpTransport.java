package io.jwg.daemon;

import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The device's UDP socket: one dual-stack {@link UdpSocket} on a Netty epoll event loop, reading
 * while the interface is up, rebound live when the listen port changes; while the interface is
 * down a configured port is held by a socket that does not read ({@link #standBy}). It receives
 * with recvmmsg and each datagram's local address (for the sticky source); sends go out through
 * {@link UdpSender} on its file descriptor, from whichever thread produced them. Needs Netty's
 * native epoll transport (jwg is Linux-only: its TUN is /dev/net/tun).
 */
final class UdpTransport implements AutoCloseable {
    /** Largest datagram we accept: the largest UDP payload. */
    static final int MAX_DATAGRAM = 65_535;
    /** wireguard-go's socket buffer size. */
    private static final int SOCKET_BUFFER = 7 << 20;
    /**
     * How long before we saw the link go up a datagram held while down may have arrived and still
     * be read: the kernel tells no time of the change, and our netlink listener wakes some
     * microseconds after it. Kept small: an initiation a peer sent while we were down and that we
     * answer late crosses with the one we send on coming up, and both fail until the 5 s retry
     * (with 10 ms here, one CI run in many hit that when the peer's keepalive was set a few
     * milliseconds before our link went up).
     */
    private static final long LINK_UP_SLACK_NANOS = 1_000_000;

    private final Log log;
    private final MultiThreadIoEventLoopGroup group;
    private final IoEventLoop loop;
    private final Supplier<UdpSocket.Receiver> receiver;
    private final ReentrantReadWriteLock sendLock = new ReentrantReadWriteLock();
    private volatile UdpSocket socket;
    /** Bound to the configured port while the interface is down, not reading; null otherwise. */
    private UdpSocket standby;
    private int fd = -1;
    private boolean ipv6;
    private int mark;

    UdpTransport(Log log, Supplier<UdpSocket.Receiver> receiver, IoPriority priority) {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty's native epoll transport is unavailable: " + Epoll.unavailabilityCause());
        }
        this.log = log;
        this.receiver = receiver;
        this.group = new MultiThreadIoEventLoopGroup(1, new DaemonThreads("jwg-udp", priority), EpollIoHandler.newFactory());
        this.loop = group.next();
    }

    /** The bound port, or 0 when closed. */
    int boundPort() {
        UdpSocket s = socket;
        return s == null ? 0 : s.port();
    }

    /**
     * (Re)binds to {@code requestedPort} (0 = any). On failure the previous socket stays closed
     * and the exception says why ({@link java.net.BindException}: the UAPI answers EADDRINUSE).
     */
    synchronized int bind(int requestedPort) throws IOException {
        return bind(requestedPort, Long.MAX_VALUE);
    }

    /**
     * {@link #bind} as the link goes up, observed at {@code upEpochNanos} (real time): what the
     * socket held while down ({@link #standBy}) is read from shortly before then on, and what
     * arrived earlier is dropped, as the kernel module would have refused it.
     */
    synchronized int bind(int requestedPort, long upEpochNanos) throws IOException {
        closeChannel();
        UdpSocket bound = standby;
        standby = null;
        if (bound != null && (requestedPort == 0 || bound.port() != requestedPort)) {
            bound.close();
            bound = null;
        }
        try {
            if (bound == null) {
                bound = UdpSocket.bindOnly(loop, requestedPort, receiver.get());
            } else {
                int stale = StaleDatagrams.discardBefore(bound.fd(), upEpochNanos - LINK_UP_SLACK_NANOS);
                StaleDatagrams.stamp(bound.fd(), false);
                if (stale > 0) {
                    log.debug("Dropped " + stale + " datagrams that arrived while the interface was down");
                }
            }
            SocketOptions.setBuffers(bound.fd(), SOCKET_BUFFER);
            SocketOptions.setMark(bound.fd(), mark);
            if (UdpOffload.gro() && !SocketOptions.enableGro(bound.fd())) {
                log.debug("UDP_GRO refused by the kernel; receiving datagrams one by one");
            }
            bound.startReceiving();
        } catch (IOException e) {
            if (bound != null) {
                bound.close();
            }
            throw e;
        }
        sendLock.writeLock().lock();
        try {
            socket = bound;
            fd = bound.fd();
            ipv6 = bound.ipv6();
        } finally {
            sendLock.writeLock().unlock();
        }
        return bound.port();
    }

    /**
     * While the interface is down, holds {@code port} (0: none) with a socket that does not read,
     * so that a handshake sent to it in the moment between the link going up and {@link #bind}
     * waits in the kernel's queue instead of being refused: the kernel module binds inside
     * {@code ip link set up}, and a userspace daemon only learns of it afterwards. What arrived
     * before the link went up is dropped then ({@link StaleDatagrams}); the queue keeps the
     * kernel's default size meanwhile (a few hundred datagrams).
     *
     * <p>A taken port is an error here already ({@link java.net.BindException}), as with
     * wireguard-go, which on this kernel binds whatever the link state, and unlike the kernel
     * module, which fails {@code ip link set up} instead: either way {@code wg-quick up} stops
     * with a clear error rather than bringing up an interface without a port.
     */
    synchronized void standBy(int port) throws IOException {
        if (standby != null) {
            if (standby.port() == port) {
                return;
            }
            standby.close();
            standby = null;
        }
        if (port == 0) {
            return;
        }
        UdpSocket held = UdpSocket.bindOnly(loop, port, receiver.get());
        try {
            StaleDatagrams.stamp(held.fd(), true);
            SocketOptions.setMark(held.fd(), mark);
        } catch (IOException e) {
            held.close();
            throw e;
        }
        standby = held;
    }

    /**
     * Loads and links the receive path by opening and closing a throwaway socket, so the first
     * real bind (when the link goes up) takes milliseconds, not what a cold JVM needs; a
     * handshake sent to us meanwhile would be lost.
     */
    void warmUp() {
        try {
            UdpSocket.openIpv4Only(loop, 0, new UdpSocket.Receiver() {
                @Override
                public void onDatagram(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
                }

                @Override
                public void onBatchEnd() {
                }
            }).close();
        } catch (IOException | RuntimeException e) {
            log.debug("UDP warm-up failed: " + e);
        }
    }

    /** Sets (0 clears) the fwmark, applying it at once when bound. */
    synchronized void setMark(int newMark) throws IOException {
        UdpSocket s = socket;
        if (s != null) {
            SocketOptions.setMark(s.fd(), newMark);
        }
        if (standby != null) {
            SocketOptions.setMark(standby.fd(), newMark);
        }
        mark = newMark;
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
            if (fd < 0) {
                return UdpSender.Result.DROPPED;
            }
            return sender.send(fd, ipv6, datagram, destination, source);
        } finally {
            sendLock.readLock().unlock();
        }
    }

    /**
     * Sends the sender's batch from entry {@code from} on (see {@link UdpSender#batchSend});
     * returns the index of the first entry not sent (all of them when the socket is closed).
     */
    int sendBatch(UdpSender sender, int from, InetSocketAddress destination, InetAddress source) {
        sendLock.readLock().lock();
        try {
            if (fd < 0) {
                return sender.batchSize();
            }
            return sender.batchSend(fd, ipv6, from, destination, source);
        } finally {
            sendLock.readLock().unlock();
        }
    }

    /** Closes the socket (the interface went down); {@link #bind} opens it again. */
    synchronized void closeChannel() {
        UdpSocket s = socket;
        sendLock.writeLock().lock();
        try {
            socket = null;
            fd = -1;
        } finally {
            sendLock.writeLock().unlock();
        }
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (standby != null) {
                standby.close();
                standby = null;
            }
        }
        closeChannel();
        group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        UdpSocket s = socket;
        return s == null ? "udp (closed)" : "udp port " + s.port();
    }
}
