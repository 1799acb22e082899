package io.jwg.tun;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Linux TUN device ({@code /dev/net/tun}, {@code IFF_TUN | IFF_NO_PI}) through JNA.
 *
 * <p>Offloads ({@link #open(String, boolean)}): the device is opened with {@code IFF_VNET_HDR}
 * and {@code TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)}, as wireguard-go does since
 * 2023. Every packet read then starts with a {@link VirtioNetHdr} and may be a TCP super-packet
 * of up to 64 KB or carry only a partial checksum ({@link TsoSplitter} undoes both); writes take
 * plain packets, before each of which an all-zero header (no GSO, checksum complete) goes, and
 * super-packets with their own header ({@link #writeGathered}); see {@link TunWriter}.
 *
 * <p>Reading: the fd is non-blocking; {@link #read} tries {@code read(2)}, and on EAGAIN waits in
 * {@code poll(2)} on the TUN fd and a wake-up eventfd, then retries. {@link #close()} signals the
 * eventfd, so a blocked reader returns {@link #CLOSED}. When the interface is deleted the kernel
 * detaches the fd: reads and writes fail with EBADFD (poll reports POLLERR first), {@link #read}
 * returns {@link #CLOSED} and {@link #linkState()} {@link LinkState#GONE}. {@link #awaitReadable}
 * is the wait alone, for readers that take turns: one thread waits, and whichever has the
 * readers' turn calls {@link #tryRead}; reads must not overlap (the reader's scratch state is
 * handed over with the turn, whose set and clear order it, not shared).
 *
 * <p>Lifetime: every call that uses the fds holds a use count; the fds are closed by whoever
 * drops the last use after {@link #close()}, so no call ever touches an fd number that was closed
 * and possibly reused.
 *
 * <p>Packet buffers: direct buffers go to the kernel by address, cached per buffer object (the
 * reader's in a field, each writer thread's in a thread-local), so the packet path allocates
 * nothing. Heap buffers work too, through a copy.
 *
 * <p>Interface ioctls (MTU, flags) go through a {@link NetnsSocket}, which follows the device
 * into another network namespace if it was moved after start.
 */
public final class LinuxTun implements TunDevice {
    private static final String CLONE_DEVICE = "/dev/net/tun";

    /** {@code _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x400454caL;
    /** {@code _IOR('T', 210, unsigned int)}. */
    static final long TUNGETIFF = 0x800454d2L;
    /** {@code _IOW('T', 208, unsigned int)}. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final int TUN_F_CSUM = 0x1;
    static final int TUN_F_TSO4 = 0x2;
    static final int TUN_F_TSO6 = 0x4;
    /** What jwg asks for: checksum offload and TSO for both families (no ECN, UFO or USO). */
    static final int TCP_OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCSIFMTU = 0x8922;
    static final long SIOCGIFFLAGS = 0x8913;

    static final int IFF_UP = 0x1;
    static final int IFF_RUNNING = 0x40;
    static final int IFF_TUN = 0x0001;
    static final int IFF_TAP = 0x0002;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_VNET_HDR = 0x4000;

    /**
     * Largest read a heap-buffer read can take (the copy goes through a direct buffer): an IPv6
     * packet of the largest payload, and its virtio header.
     */
    private static final int MAX_READ = 65535 + 40 + VirtioNetHdr.SIZE;
    private static final long CLOSED_BIT = 1L << 62;

    private final int fd;
    private final int wakeFd;
    /** Null for a {@link TunStandIn}, which has no interface to ask. */
    private final NetnsSocket ioctlSocket;
    private final boolean vnetHeaders;
    /** A {@link TunStandIn}'s MTU; unused on a TUN interface. */
    private volatile int standInMtu;
    /** The one waiting reader's pollfd pair {tun, wake} and eventfd counter. */
    private final Memory pollFds = new Memory(2L * LibC.POLLFD_SIZE);
    private final Memory wakeValue = new Memory(Long.BYTES);
    /** Users of the fds in the low bits; {@link #CLOSED_BIT} once closed. */
    private final AtomicLong state = new AtomicLong();
    private final TunWriter writer;
    private final NativeScratch readerAddress = new NativeScratch();
    private volatile String name;
    private volatile boolean gone;
    private ByteBuffer readScratch;
    /** Reader only: the last {@link #tryRead} found nothing, so {@link #read} polls before reading. */
    private boolean drained;
    /** {@link #awaitReadable} saw POLLERR/POLLHUP/POLLNVAL: a tryRead that then finds nothing means gone. */
    private volatile boolean awaitSawError;

    private LinuxTun(int fd, String name, NetnsSocket ioctlSocket, int wakeFd, boolean vnetHeaders, int standInMtu) {
        this.fd = fd;
        this.vnetHeaders = vnetHeaders;
        this.name = name;
        this.ioctlSocket = ioctlSocket;
        this.wakeFd = wakeFd;
        this.standInMtu = standInMtu;
        this.writer = new TunWriter(this, fd, vnetHeaders);
        pollFds.clear();
        pollFds.setInt(0, fd);
        pollFds.setShort(4, LibC.POLLIN);
        pollFds.setInt(LibC.POLLFD_SIZE, wakeFd);
        pollFds.setShort(LibC.POLLFD_SIZE + 4, LibC.POLLIN);
        wakeValue.setLong(0, 1);
    }

    /**
     * Creates (or attaches to) the TUN interface {@code name} without offloads. The MTU is left
     * as the kernel set it; callers apply their own with {@link #setMtu}.
     *
     * @throws IOException with a message fit for users, e.g. "interface name too long"
     */
    public static LinuxTun open(String name) throws IOException {
        return open(name, false);
    }

    /**
     * Creates (or attaches to) the TUN interface {@code name}, with checksum and TCP segmentation
     * offloads when {@code offloads} (see the class comment), else plain.
     *
     * @throws IOException with a message fit for users, e.g. "interface name too long"
     */
    public static LinuxTun open(String name, boolean offloads) throws IOException {
        IfReq.validateName(name);
        int fd = LibC.open(CLONE_DEVICE, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) {
            int errno = LibC.errno();
            throw new IOException("cannot open " + CLONE_DEVICE + ": " + LibC.describe(errno) + hintForOpen(errno));
        }
        try {
            IfReq request = IfReq.named(name).flags(IFF_TUN | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0));
            if (LibC.ioctl(fd, TUNSETIFF, request.memory) < 0) {
                int errno = LibC.errno();
                throw new IOException("cannot create TUN interface " + name + ": " + LibC.describe(errno)
                        + hintForSetIff(errno));
            }
            return configure(fd, offloads);
        } catch (IOException | RuntimeException | Error e) {
            LibC.close(fd);
            throw e;
        }
    }

    /**
     * Takes over an already configured TUN fd, as passed in {@code WG_TUN_FD}, without offloads.
     */
    public static LinuxTun adopt(int fd) throws IOException {
        return adopt(fd, false);
    }

    /**
     * Takes over an already configured TUN fd, as passed in {@code WG_TUN_FD}. The device must
     * be a TUN (not TAP) without packet information. Whether it has virtio headers was decided
     * by whoever opened it ({@code IFF_VNET_HDR} cannot change on an attached fd), so
     * {@link #offloads()} follows the fd: with headers, the offloads are set to what
     * {@code offloads} asks for ({@code TUNSETOFFLOAD}, none when false, so the kernel then sends
     * only complete, unsegmented packets behind the headers); without, there are none. On success
     * this object owns the fd and closes it; on failure the caller still does.
     */
    public static LinuxTun adopt(int fd, boolean offloads) throws IOException {
        if (fd < 0 || LibC.fcntl(fd, LibC.F_GETFL, 0) < 0) {
            throw new IOException("TUN fd " + fd + " is not an open file descriptor");
        }
        return configure(fd, offloads);
    }

    private static LinuxTun configure(int fd, boolean offloads) throws IOException {
        IfReq current = new IfReq();
        if (LibC.ioctl(fd, TUNGETIFF, current.memory) < 0) {
            int errno = LibC.errno();
            throw new IOException("fd " + fd + " is not an attached TUN device: " + LibC.describe(errno));
        }
        int flags = current.flags() & 0xffff;
        if ((flags & (IFF_TUN | IFF_TAP)) != IFF_TUN) {
            throw new IOException("interface " + current.name() + " is a TAP device, not a TUN device");
        }
        if ((flags & IFF_NO_PI) == 0) {
            throw new IOException("TUN interface " + current.name() + " was opened with packet information "
                    + "headers (IFF_NO_PI unset), which jwg does not use");
        }
        boolean vnetHeaders = (flags & IFF_VNET_HDR) != 0;
        if (vnetHeaders && LibC.ioctl(fd, TUNSETOFFLOAD, new Pointer(offloads ? TCP_OFFLOADS : 0)) < 0) {
            throw new IOException("cannot enable checksum and segmentation offloads on " + current.name() + ": "
                    + LibC.describe(LibC.errno()) + " (JWG_TUN_OFFLOAD=off turns them off)");
        }
        int wakeFd = nonBlockingWithWakeFd(fd);
        try {
            return new LinuxTun(fd, current.name(), NetnsSocket.open(), wakeFd, vnetHeaders, 0);
        } catch (IOException | RuntimeException | Error e) {
            LibC.close(wakeFd);
            throw e;
        }
    }

    /**
     * The device end of a {@link TunStandIn}: {@code fd} is a packet socket, not a TUN. On
     * success this object owns the fd; on failure the caller still does.
     */
    static LinuxTun standIn(int fd, String name, int mtu, boolean vnetHeaders) throws IOException {
        return new LinuxTun(fd, name, null, nonBlockingWithWakeFd(fd), vnetHeaders, mtu);
    }

    /** Makes {@code fd} non-blocking and returns a new eventfd for waking its reader. */
    private static int nonBlockingWithWakeFd(int fd) throws IOException {
        int fileFlags = LibC.fcntl(fd, LibC.F_GETFL, 0);
        if (fileFlags < 0 || LibC.fcntl(fd, LibC.F_SETFL, fileFlags | LibC.O_NONBLOCK) < 0) {
            throw new IOException("cannot make the TUN fd non-blocking: " + LibC.describe(LibC.errno()));
        }
        int wakeFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (wakeFd < 0) {
            throw new IOException("cannot create eventfd: " + LibC.describe(LibC.errno()));
        }
        return wakeFd;
    }

    private static String hintForOpen(int errno) {
        return switch (errno) {
            case LibC.ENOENT, LibC.ENODEV -> " (is the tun kernel module available?)";
            case LibC.EPERM, 13 /* EACCES */ -> " (needs root or CAP_NET_ADMIN)";
            default -> "";
        };
    }

    private static String hintForSetIff(int errno) {
        return switch (errno) {
            case LibC.EBUSY -> " (a TUN of that name is already in use by another process)";
            case LibC.EPERM -> " (needs CAP_NET_ADMIN)";
            case LibC.EINVAL -> " (an interface of that name exists and is not a TUN device like this one)";
            default -> "";
        };
    }

    /** Whether reads start with a {@link VirtioNetHdr} (the fd has {@code IFF_VNET_HDR}). */
    @Override
    public boolean offloads() {
        return vnetHeaders;
    }

    /** The interface's current name (re-read from the kernel; renames are seen). */
    @Override
    public String name() {
        if (ioctlSocket != null && enter()) {
            try {
                IfReq current = new IfReq();
                if (LibC.ioctl(fd, TUNGETIFF, current.memory) == 0) {
                    name = current.name();
                }
            } finally {
                exit();
            }
        }
        return name;
    }

    @Override
    public int mtu() throws IOException {
        if (ioctlSocket == null) {
            return standInMtu;
        }
        IfReq request = interfaceIoctl(SIOCGIFMTU, 0, "read the MTU of");
        return request.intValue();
    }

    @Override
    public void setMtu(int mtu) throws IOException {
        if (ioctlSocket == null) {
            standInMtu = mtu;
            return;
        }
        interfaceIoctl(SIOCSIFMTU, mtu, "set the MTU to " + mtu + " on");
    }

    private IfReq interfaceIoctl(long request, int value, String what) throws IOException {
        enterOrThrow();
        try {
            String current = name();
            IfReq ifreq = IfReq.named(current).intValue(value);
            int errno = ioctlSocket.ioctl(fd, request, ifreq);
            if (errno != 0) {
                throw new IOException("cannot " + what + " " + current + ": " + LibC.describe(errno));
            }
            return ifreq;
        } finally {
            exit();
        }
    }

    /**
     * Probes the link without side effects. A zero-length write tells whether the fd is still
     * attached (EBADFD once the interface is deleted); the up/down answer comes from the
     * interface flags (IFF_UP and IFF_RUNNING), read in whatever namespace the device now lives.
     *
     * <p>Why not wireguard-go's probe alone: it relies on IFF_VNET_HDR. Without it the kernel
     * rejects the empty packet with EINVAL before looking at the link, so the write says "up"
     * also for a down interface (measured on Linux 6.18); only real packets get EIO when down.
     */
    @Override
    public LinkState linkState() throws IOException {
        if (gone) {
            return LinkState.GONE;
        }
        if (ioctlSocket == null) {
            return LinkState.UP;
        }
        enterOrThrow();
        try {
            if (detached()) {
                return LinkState.GONE;
            }
            IfReq flags = interfaceIoctl(SIOCGIFFLAGS, 0, "read the flags of");
            return (flags.flags() & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING) ? LinkState.UP : LinkState.DOWN;
        } catch (IOException e) {
            if (detached()) {
                return LinkState.GONE; // deleted between the two probes
            }
            throw e;
        } finally {
            exit();
        }
    }

    /** Whether the kernel detached our fd from the interface, i.e. it was deleted. */
    private boolean detached() {
        while (true) {
            long written = LibC.write(fd, 0, 0);
            int errno = written < 0 ? LibC.errno() : 0;
            if (errno == LibC.EINTR) {
                continue;
            }
            if (errno == LibC.EBADFD) {
                gone = true;
            }
            return gone;
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            throw new IllegalArgumentException("no room in the buffer for a packet");
        }
        if (!enter()) {
            return CLOSED;
        }
        try {
            if (dst.isDirect()) {
                return readDirect(dst);
            }
            ByteBuffer scratch = readScratch();
            scratch.clear().limit(Math.min(dst.remaining(), MAX_READ));
            int n = readDirect(scratch);
            if (n > 0) {
                dst.put(scratch.flip());
            }
            return n;
        } finally {
            exit();
        }
    }

    @Override
    public int awaitReadable() throws IOException {
        if (!enter()) {
            return CLOSED;
        }
        try {
            int revents = awaitReadable0();
            if (revents < 0) {
                return CLOSED;
            }
            if ((revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0) {
                awaitSawError = true; // tryRead finding nothing then means the device is detached
            }
            return 0;
        } finally {
            exit();
        }
    }

    @Override
    public int tryRead(ByteBuffer dst) throws IOException {
        if (!dst.isDirect()) {
            throw new IllegalArgumentException("tryRead needs a direct buffer");
        }
        if (!dst.hasRemaining()) {
            throw new IllegalArgumentException("no room in the buffer for a packet");
        }
        if (!enter()) {
            return CLOSED;
        }
        try {
            long address = readerAddress.of(dst) + dst.position();
            while (true) {
                long n = LibC.read(fd, address, dst.remaining());
                if (n > 0) {
                    dst.position(dst.position() + (int) n);
                    return (int) n;
                }
                if (n == 0) {
                    return 0;
                }
                int errno = LibC.errno();
                switch (errno) {
                    case LibC.EINTR:
                        continue;
                    case LibC.EAGAIN:
                        if (awaitSawError) {
                            gone = true; // poll said error, yet nothing to read: the device is detached
                            return CLOSED;
                        }
                        // The next read() would fail the same way: let it wait in poll(2) first.
                        drained = true;
                        return 0;
                    case LibC.EBADFD:
                        gone = true;
                        return CLOSED;
                    default:
                        throw new IOException("cannot read from " + name + ": " + LibC.describe(errno));
                }
            }
        } finally {
            exit();
        }
    }

    private int readDirect(ByteBuffer dst) throws IOException {
        long address = readerAddress.of(dst) + dst.position();
        boolean pollSawError = false;
        if (drained) {
            drained = false;
            int revents = awaitReadable0();
            if (revents < 0) {
                return CLOSED;
            }
            pollSawError = (revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0;
        }
        while (true) {
            long n = LibC.read(fd, address, dst.remaining());
            if (n >= 0) {
                dst.position(dst.position() + (int) n);
                return (int) n;
            }
            int errno = LibC.errno();
            switch (errno) {
                case LibC.EAGAIN:
                    if (pollSawError) {
                        gone = true; // poll said error, yet nothing to read: the device is detached
                        return CLOSED;
                    }
                    int revents = awaitReadable0();
                    if (revents < 0) {
                        return CLOSED;
                    }
                    pollSawError = (revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0;
                    break;
                case LibC.EINTR:
                    break;
                case LibC.EBADFD:
                    gone = true;
                    return CLOSED;
                default:
                    throw new IOException("cannot read from " + name + ": " + LibC.describe(errno));
            }
        }
    }

    /** Waits until the TUN fd has news; returns its revents, or -1 once woken by {@link #close()}. */
    private int awaitReadable0() throws IOException {
        while (true) {
            pollFds.setShort(6, (short) 0);
            pollFds.setShort(LibC.POLLFD_SIZE + 6, (short) 0);
            if (LibC.poll(pollFds, 2, -1) < 0) {
                int errno = LibC.errno();
                if (errno == LibC.EINTR) {
                    continue;
                }
                throw new IOException("cannot wait for packets on " + name + ": " + LibC.describe(errno));
            }
            if (pollFds.getShort(LibC.POLLFD_SIZE + 6) != 0) {
                return -1;
            }
            return pollFds.getShort(6);
        }
    }

    private ByteBuffer readScratch() {
        if (readScratch == null) {
            readScratch = ByteBuffer.allocateDirect(MAX_READ);
        }
        return readScratch;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        enterOrThrow();
        try {
            return writer.write(src);
        } finally {
            exit();
        }
    }

    @Override
    public int writeGathered(VirtioNetHdr hdr, long[] addresses, int[] lengths, int count) throws IOException {
        if (!vnetHeaders) {
            throw new UnsupportedOperationException(name + " was opened without offloads");
        }
        enterOrThrow();
        try {
            return writer.writeGathered(hdr, addresses, lengths, count);
        } finally {
            exit();
        }
    }

    /** The interface's current name, for messages. */
    String currentName() {
        return name;
    }

    /** Records that the kernel detached the fd (the interface was deleted). */
    void markGone() {
        gone = true;
    }

    @Override
    public void close() {
        long s;
        do {
            s = state.get();
            if ((s & CLOSED_BIT) != 0) {
                return;
            }
        } while (!state.compareAndSet(s, (s + 1) | CLOSED_BIT)); // close itself is a user until woken
        try {
            LibC.write(wakeFd, Pointer.nativeValue(wakeValue), Long.BYTES);
        } finally {
            exit();
        }
    }

    @Override
    public String toString() {
        return "LinuxTun[" + name + ", fd " + fd + (vnetHeaders ? ", offloads" : "") + "]";
    }

    private boolean enter() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED_BIT) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    private void enterOrThrow() throws IOException {
        if (!enter()) {
            throw new IOException("TUN interface " + name + " is closed");
        }
    }

    private void exit() {
        if (state.decrementAndGet() == CLOSED_BIT) {
            releaseFds();
        }
    }

    /** Runs exactly once: by the last user out after {@link #close()}. */
    private void releaseFds() {
        if (ioctlSocket != null) {
            ioctlSocket.close();
        }
        LibC.close(fd);
        LibC.close(wakeFd);
    }
}
