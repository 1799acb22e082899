package io.jwg.daemon;

import static io.jwg.daemon.Libc.*;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The device's UDP socket on the receive side: a dual-stack socket read with batched
 * {@code recvmmsg(2)} on a Netty epoll event loop, each datagram delivered with its source and
 * the local address it was sent to (wireguard-go's sticky source, {@code conn/sticky_linux.go}).
 *
 * <p>Why not Netty's {@code EpollDatagramChannel}: it batches with recvmmsg only when
 * {@code MAX_DATAGRAM_PAYLOAD_SIZE} is set, and on that path it passes no control messages, so
 * {@code DatagramPacket.recipient()} is the wildcard address; the local address needs the
 * one-datagram-per-syscall recvmsg path. Here the socket is ours and only the readiness loop is
 * Netty's: an {@link EpollIoHandle} registered on an {@link IoEventLoop} of an
 * {@code EpollIoHandler}, woken (level-triggered) on {@code EPOLLIN}.
 *
 * <p>Receive path, all on the event loop thread: epoll wake-up → {@link RecvBatch#receive}
 * (up to {@link #BATCH} datagrams per syscall) repeated until the socket is drained or
 * {@link #MAX_CALLS_PER_WAKEUP} calls were made (then the loop runs its tasks and epoll wakes us
 * again) → {@link Receiver#onDatagram} per datagram → {@link Receiver#onBatchEnd} once.
 *
 * <p>The socket: {@code AF_INET6} with {@code IPV6_V6ONLY=0} bound to {@code [::]:port} (IPv4
 * peers arrive as IPv4-mapped addresses, reported as {@link java.net.Inet4Address}), or
 * {@code AF_INET} on {@code 0.0.0.0:port} where the kernel has no IPv6; non-blocking,
 * close-on-exec, {@code SO_REUSEADDR} off, {@code IP_PKTINFO} and {@code IPV6_RECVPKTINFO} on.
 * Sends go through {@link UdpSender} on {@link #fd()}; buffer sizes and the fwmark through
 * {@link SocketOptions}.
 *
 * <p>Lifecycle: {@link #open} binds and registers ({@link #bindOnly} binds, and
 * {@link #startReceiving} registers later); {@link #close} (any thread, idempotent)
 * unregisters and closes the file descriptor on the event loop, so never under a running read.
 * Closing from inside the receiver takes effect when the current wake-up ends, delivering
 * nothing more. After {@code close()} the descriptor number may be reused by the process: stop
 * sending on it first.
 */
final class UdpSocket implements AutoCloseable {
    /** Datagrams per recvmmsg call (wireguard-go reads 128 per call with GRO; 16 without). */
    static final int BATCH = 16;
    /** recvmmsg calls per wake-up before the event loop gets its turn (256 datagrams). */
    static final int MAX_CALLS_PER_WAKEUP = 16;
    private static final int CLOSE_WAIT_SECONDS = 5;

    /** What the socket hands received datagrams to, on the event loop thread. */
    interface Receiver {
        /**
         * One datagram: {@code datagram} holds its bytes between position and limit, a reused
         * view valid only during this call (copy what must outlive it; do not write to it).
         * {@code source} and {@code local} are cached objects, equal addresses arriving as the
         * same instance while they stay cached; {@code local} is null when the kernel did not
         * say (and {@code source} could in principle be). Must not throw: an exception is
         * counted and the datagram dropped.
         */
        void onDatagram(ByteBuffer datagram, InetSocketAddress source, InetAddress local);

        /** The end of one wake-up's datagrams (at least one): flush what was batched. */
        void onBatchEnd();
    }

    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SO_REUSEADDR = 2;
    private static final int IPV6_V6ONLY = 26;
    private static final int IPV6_RECVPKTINFO = 49;
    private static final int EAFNOSUPPORT = 97;
    private static final int EADDRINUSE = 98;

    static {
        Native.register(UdpSocket.class, NativeLibrary.getInstance("c"));
    }

    private static native int socket(int domain, int type, int protocol) throws LastErrorException;

    private static native int setsockopt(int fd, int level, int name, int[] value, int length) throws LastErrorException;

    private static native int bind(int fd, byte[] address, int length) throws LastErrorException;

    private static native int getsockname(int fd, byte[] address, int[] length) throws LastErrorException;

    private final IoEventLoop loop;
    private final FileDescriptor fd;
    private final boolean ipv6;
    private final int port;
    private final Receiver receiver;
    private final RecvBatch batch;
    private final Handle handle = new Handle();
    // Loop thread only:
    private IoRegistration registration;
    private boolean reading;
    private boolean closeRequested;
    // Written by the loop thread (open also by the closing thread once the loop is gone), read anywhere:
    private volatile boolean open = true;
    private volatile long truncated;
    private volatile long coalesced;
    private volatile long receiverFailures;
    private volatile long readErrors;
    private volatile int lastReadErrno;

    private UdpSocket(IoEventLoop loop, int fd, boolean ipv6, int port, Receiver receiver) {
        this.loop = loop;
        this.fd = new FileDescriptor(fd);
        this.ipv6 = ipv6;
        this.port = port;
        this.receiver = receiver;
        this.batch = new RecvBatch(BATCH, new AddressCache(256), new AddressCache(16));
    }

    /**
     * Binds a new socket to {@code port} on all addresses (0 picks a free port) and starts
     * delivering its datagrams to {@code receiver} on {@code loop}, which must be an epoll loop
     * ({@code MultiThreadIoEventLoopGroup} with {@code EpollIoHandler.newFactory()}).
     *
     * @throws BindException when the port is in use
     * @throws IOException when the socket cannot be created, configured, bound or registered
     */
    static UdpSocket open(IoEventLoop loop, int port, Receiver receiver) throws IOException {
        UdpSocket socket = bindOnly(loop, port, receiver, true);
        socket.startReceiving();
        return socket;
    }

    /** Like {@link #open}, but an {@code AF_INET} socket, as on a kernel without IPv6. */
    static UdpSocket openIpv4Only(IoEventLoop loop, int port, Receiver receiver) throws IOException {
        UdpSocket socket = bindOnly(loop, port, receiver, false);
        socket.startReceiving();
        return socket;
    }

    /**
     * Like {@link #open} but not yet reading: datagrams wait in the kernel's receive queue until
     * {@link #startReceiving}. {@link #close} works either way.
     */
    static UdpSocket bindOnly(IoEventLoop loop, int port, Receiver receiver) throws IOException {
        return bindOnly(loop, port, receiver, true);
    }

    private static UdpSocket bindOnly(IoEventLoop loop, int port, Receiver receiver, boolean tryIpv6) throws IOException {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port " + port);
        }
        if (!loop.isCompatible(Handle.class)) {
            throw new IllegalArgumentException("not an epoll event loop: " + loop);
        }
        int fd = -1;
        boolean ipv6 = tryIpv6;
        if (tryIpv6) {
            try {
                fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != EAFNOSUPPORT) {
                    throw new IOException("cannot create a UDP socket: errno " + e.getErrorCode(), e);
                }
                ipv6 = false; // kernel without IPv6 (ipv6.disable=1)
            }
        }
        if (!ipv6) {
            try {
                fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            } catch (LastErrorException e) {
                throw new IOException("cannot create a UDP socket: errno " + e.getErrorCode(), e);
            }
        }
        UdpSocket socket;
        try {
            int bound = configureAndBind(fd, ipv6, port);
            socket = new UdpSocket(loop, fd, ipv6, bound, receiver);
        } catch (IOException | RuntimeException e) {
            closeQuietly(new FileDescriptor(fd));
            throw e;
        }
        return socket;
    }

    private static int configureAndBind(int fd, boolean ipv6, int port) throws IOException {
        setOption(fd, SOL_SOCKET, SO_REUSEADDR, 0, "SO_REUSEADDR");
        setOption(fd, SOL_IP, IP_PKTINFO, 1, "IP_PKTINFO");
        byte[] address;
        if (ipv6) {
            setOption(fd, SOL_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
            setOption(fd, SOL_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
            address = new byte[28]; // sockaddr_in6 { family, port, flowinfo, in6addr_any, scope }
            address[0] = (byte) AF_INET6; // family is host order: little-endian
        } else {
            address = new byte[16]; // sockaddr_in { family, port, INADDR_ANY, zero }
            address[0] = (byte) AF_INET;
        }
        address[2] = (byte) (port >>> 8);
        address[3] = (byte) port;
        String where = (ipv6 ? "[::]:" : "0.0.0.0:") + port;
        try {
            bind(fd, address, address.length);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == EADDRINUSE) {
                BindException bindException = new BindException("cannot bind UDP " + where + ": address already in use");
                bindException.initCause(e);
                throw bindException;
            }
            throw new IOException("cannot bind UDP " + where + ": errno " + e.getErrorCode(), e);
        }
        int[] length = {address.length};
        try {
            getsockname(fd, address, length);
        } catch (LastErrorException e) {
            throw new IOException("getsockname on UDP " + where + ": errno " + e.getErrorCode(), e);
        }
        return (address[2] & 0xff) << 8 | address[3] & 0xff;
    }

    private static void setOption(int fd, int level, int name, int value, String what) throws IOException {
        try {
            setsockopt(fd, level, name, new int[] {value}, 4);
        } catch (LastErrorException e) {
            throw new IOException("setsockopt " + what + ": errno " + e.getErrorCode(), e);
        }
    }

    /**
     * Registers with the loop and arms EPOLLIN (on the loop), so datagrams already queued are
     * read at once; on failure closes the socket. Once per socket.
     */
    void startReceiving() throws IOException {
        Future<IoRegistration> registered = loop.register(handle).awaitUninterruptibly();
        if (!registered.isSuccess()) {
            closeQuietly(fd);
            open = false;
            throw new IOException("cannot register UDP port " + port + " with " + loop, registered.cause());
        }
        Future<?> armed = loop.submit(() -> {
            registration = registered.getNow();
            registration.submit(EpollIoOps.EPOLLIN);
        }).awaitUninterruptibly();
        if (!armed.isSuccess()) {
            close();
            throw new IOException("cannot watch UDP port " + port + " for input", armed.cause());
        }
    }

    private static void closeQuietly(FileDescriptor descriptor) {
        try {
            descriptor.close();
        } catch (IOException ignored) {
            // Nothing was received on it; the error changes nothing.
        }
    }

    /** The bound port. */
    int port() {
        return port;
    }

    /** The socket's file descriptor (for {@link UdpSender} and {@link SocketOptions}); stale after close. */
    int fd() {
        return fd.intValue();
    }

    /** Whether the socket is {@code AF_INET6} (dual-stack; addresses are encoded as IPv6). */
    boolean ipv6() {
        return ipv6;
    }

    /** False once closed. */
    boolean isOpen() {
        return open;
    }

    /** Datagrams dropped for being larger than a slot. */
    long truncated() {
        return truncated;
    }

    /** Buffers in which the kernel handed over several datagrams at once (UDP_GRO). */
    long coalesced() {
        return coalesced;
    }

    /** Datagrams whose {@link Receiver#onDatagram} threw. */
    long receiverFailures() {
        return receiverFailures;
    }

    /** recvmmsg failures other than "nothing to read", and the last one's errno. */
    long readErrors() {
        return readErrors;
    }

    int lastReadErrno() {
        return lastReadErrno;
    }

    /**
     * Stops receiving and closes the socket. From another thread, returns once it is closed
     * (the port is free again); from the receiver, takes effect at the end of the wake-up.
     */
    @Override
    public void close() {
        if (loop.inEventLoop()) {
            closeOnLoop();
            return;
        }
        Future<?> done;
        try {
            done = loop.submit(this::closeOnLoop);
        } catch (RejectedExecutionException e) {
            // The loop is gone, and closed its registrations (our Handle.close) on the way out.
            closeNow();
            return;
        }
        if (!done.awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
            closeNow(); // a stuck loop: better a failed read than a socket that never closes
        } else if (!done.isSuccess()) {
            throw new IllegalStateException("closing UDP port " + port, done.cause());
        }
    }

    private void closeOnLoop() {
        if (reading) {
            closeRequested = true;
        } else {
            closeNow();
        }
    }

    private synchronized void closeNow() {
        if (!open) {
            return;
        }
        open = false;
        if (registration != null && loop.inEventLoop()) {
            registration.cancel(); // removes the fd from epoll, so before the close
        }
        try {
            fd.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing UDP port " + port, e);
        }
    }

    private void deliver(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
        try {
            receiver.onDatagram(datagram, source, local);
        } catch (RuntimeException e) {
            receiverFailures++;
        }
    }

    /** One wake-up: drain the socket (within the budget), deliver, then end the batch. */
    private void read() {
        reading = true;
        boolean delivered = false;
        try {
            int fdValue = fd.intValue();
            for (int call = 0; call < MAX_CALLS_PER_WAKEUP && !closeRequested; call++) {
                int n = batch.receive(fdValue);
                if (n < 0) {
                    if (n == -EINTR) {
                        continue;
                    }
                    if (n != -EAGAIN) {
                        readErrors++;
                        lastReadErrno = -n;
                    }
                    break;
                }
                for (int i = 0; i < n && !closeRequested; i++) {
                    if (batch.truncated(i)) {
                        truncated++;
                        continue;
                    }
                    ByteBuffer datagram = batch.datagram(i);
                    int segment = batch.segmentSize(i);
                    if (segment <= 0 || segment >= datagram.limit()) {
                        deliver(datagram, batch.source(i), batch.local(i));
                    } else {
                        // UDP_GRO: several datagrams of one flow, each segment bytes but the last.
                        coalesced++;
                        InetSocketAddress source = batch.source(i);
                        InetAddress local = batch.local(i);
                        int end = datagram.limit();
                        for (int off = 0; off < end && !closeRequested; off += segment) {
                            datagram.limit(Math.min(off + segment, end)).position(off);
                            deliver(datagram, source, local);
                        }
                    }
                    delivered = true;
                }
                if (n < batch.size()) {
                    break; // drained: another call would only say EAGAIN
                }
            }
            if (delivered) {
                try {
                    receiver.onBatchEnd();
                } catch (RuntimeException e) {
                    receiverFailures++;
                }
            }
        } finally {
            reading = false;
            if (closeRequested) {
                closeNow();
            }
        }
    }

    @Override
    public String toString() {
        return "udp " + (ipv6 ? "[::]:" : "0.0.0.0:") + port;
    }

    /**
     * The socket as Netty's event loop sees it. A separate object because
     * {@link EpollIoHandle#fd()} returning a {@link FileDescriptor} would clash with
     * {@link UdpSocket#fd()}, and so that Netty's callbacks stay out of the socket's API.
     */
    private final class Handle implements EpollIoHandle {
        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            if (open) {
                read(); // EPOLLIN, and EPOLLERR, whose pending error recvmmsg consumes
            }
        }

        /** Netty closes registered handles when the event loop shuts down. */
        @Override
        public void close() {
            closeNow();
        }
    }
}
