package io.jwg.daemon;

import static io.jwg.daemon.Libc.*;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One {@code recvmmsg(2)} call's worth of native memory, and the decoding of what the kernel
 * wrote into it: each datagram's bytes, its source ({@code msg_name}) and the local address it
 * was sent to (an {@code IP_PKTINFO} or {@code IPV6_PKTINFO} control message).
 *
 * <p>Everything is allocated once. Per slot {@code i} (x86_64/aarch64 layouts):
 * <pre>
 *   headers  struct mmsghdr[size]   64 B each
 *              0 msg_name -> names[i]      8 msg_namelen (in: 28, out: actual)
 *             16 msg_iov  -> iovecs[i]    24 msg_iovlen = 1
 *             32 msg_control -> controls[i]
 *             40 msg_controllen (in: CONTROL_SIZE, out: used)
 *             48 msg_flags (out: MSG_TRUNC, MSG_CTRUNC)   56 msg_len (out: bytes received)
 *   iovecs   struct iovec[size]     16 B each: base -> data slot i, len = SLOT_SIZE
 *   names    sockaddr_in6 / sockaddr_in, 32 B each (28 used)
 *              0 family  2 port (big-endian)  4 flowinfo | in_addr  8 in6_addr  24 scope id
 *   controls CONTROL_SIZE B each: cmsghdr { 0 len (8 B), 8 level, 12 type }, data at 16
 *              in_pktinfo  { 0 ifindex, 4 ipi_spec_dst, 8 ipi_addr }
 *              in6_pktinfo { 0 ipi6_addr (16 B), 16 ifindex }
 *   data     size slots of SLOT_SIZE bytes (65,536 apart)
 * </pre>
 * The kernel rewrites {@code msg_namelen}, {@code msg_controllen} and {@code msg_flags}, so
 * {@link #receive} resets them before each call.
 *
 * <p>For IPv4 the local address is {@code ipi_spec_dst}, as in wireguard-go: for a unicast
 * datagram it is the destination address, and in general it is the local address a reply should
 * come from. Not thread-safe: one per receiving thread.
 */
final class RecvBatch {
    /** Bytes per datagram slot: the largest UDP payload. */
    static final int SLOT_SIZE = 65_535;
    private static final int SLOT_STRIDE = 65_536;

    private static final int MSG_TRUNC = 0x20;

    private static final int MSG_FLAGS = 48;
    private static final int MSG_LEN = 56;
    private static final int NAME_SIZE = 32;
    private static final int SOCKADDR_IN6_SIZE = 28;
    private static final int CMSG_LEVEL = 8;
    private static final int CMSG_TYPE = 12;
    /**
     * Room for an IPV6_PKTINFO (40 B) and an IP_PKTINFO (32 B), which an IPv4 datagram on a
     * dual-stack socket can carry, and a UDP_GRO segment size (24 B).
     */
    private static final int CONTROL_SIZE = 128;

    static {
        Native.register(RecvBatch.class, NativeLibrary.getInstance("c"));
    }

    private static native int recvmmsg(int fd, long msgvec, int vlen, int flags, long timeout);

    private final int size;
    /** Headers, iovecs, names and controls; absolute native-order access. */
    private final ByteBuffer meta;
    /** The same memory in network byte order, for ports and addresses. */
    private final ByteBuffer metaNetwork;
    private final long metaAddress;
    private final int iovecs;
    private final int names;
    private final int controls;
    private final ByteBuffer[] views;
    /**
     * The datagrams' memory, which {@link #views} cover: malloc'd and not zeroed, so only the
     * pages datagrams reach become resident. {@code ByteBuffer.allocateDirect} zeroes all of it,
     * and the 16 slots of 64 KiB (room for a UDP GRO super-datagram each) were 1 MiB of RSS per
     * socket from the start, even when nothing larger than a ping ever arrives.
     */
    private final Memory dataMemory;
    private final AddressCache sources;
    private final AddressCache locals;
    private int received;

    /** Room for {@code size} datagrams per call; the address caches are for one thread. */
    RecvBatch(int size, AddressCache sources, AddressCache locals) {
        this.size = size;
        this.sources = sources;
        this.locals = locals;
        iovecs = size * MMSGHDR_SIZE;
        names = iovecs + size * IOVEC_SIZE;
        controls = names + size * NAME_SIZE;
        int metaSize = controls + size * CONTROL_SIZE;
        meta = ByteBuffer.allocateDirect(metaSize + 8).alignedSlice(8).order(ByteOrder.nativeOrder());
        metaNetwork = meta.duplicate().order(ByteOrder.BIG_ENDIAN);
        metaAddress = addressOf(meta);
        dataMemory = new Memory((long) size * SLOT_STRIDE + 64);
        ByteBuffer data = dataMemory.getByteBuffer(0, dataMemory.size()).alignedSlice(64);
        long dataAddress = addressOf(data);
        views = new ByteBuffer[size];
        for (int i = 0; i < size; i++) {
            views[i] = data.slice(i * SLOT_STRIDE, SLOT_SIZE);
            int header = i * MMSGHDR_SIZE;
            int iovec = iovecs + i * IOVEC_SIZE;
            meta.putLong(header + MSG_NAME, metaAddress + names + (long) i * NAME_SIZE);
            meta.putLong(header + MSG_IOV, metaAddress + iovec);
            meta.putLong(header + MSG_IOVLEN, 1);
            meta.putLong(header + MSG_CONTROL, metaAddress + controls + (long) i * CONTROL_SIZE);
            meta.putLong(iovec, dataAddress + (long) i * SLOT_STRIDE);
            meta.putLong(iovec + 8, SLOT_SIZE);
        }
    }

    /** Datagrams per call. */
    int size() {
        return size;
    }

    /**
     * Reads up to {@link #size} datagrams from {@code fd} without blocking. Returns how many
     * (0..size), or {@code -errno} ({@code -EAGAIN} when none are waiting). Invalidates what
     * the previous call returned.
     */
    int receive(int fd) {
        for (int i = 0; i < size; i++) {
            int header = i * MMSGHDR_SIZE;
            meta.putInt(header + MSG_NAMELEN, SOCKADDR_IN6_SIZE);
            meta.putLong(header + MSG_CONTROLLEN, CONTROL_SIZE);
            meta.putInt(header + MSG_FLAGS, 0);
        }
        int n = recvmmsg(fd, metaAddress, size, MSG_DONTWAIT, 0);
        if (n < 0) {
            received = 0;
            return -Native.getLastError();
        }
        received = n;
        return n;
    }

    /** Whether datagram {@code i} was longer than a slot (its bytes are cut short: drop it). */
    boolean truncated(int i) {
        check(i);
        return (meta.getInt(i * MMSGHDR_SIZE + MSG_FLAGS) & MSG_TRUNC) != 0;
    }

    /**
     * Datagram {@code i}'s bytes: the slot's reusable view, position 0, limit the length. Valid
     * until the next {@link #receive}; read-only by convention.
     */
    ByteBuffer datagram(int i) {
        check(i);
        int length = Math.min(meta.getInt(i * MMSGHDR_SIZE + MSG_LEN), SLOT_SIZE);
        ByteBuffer view = views[i];
        view.limit(length).position(0);
        return view;
    }

    /** Where datagram {@code i} came from; null if the kernel gave no usable address. */
    InetSocketAddress source(int i) {
        check(i);
        int name = names + i * NAME_SIZE;
        int length = meta.getInt(i * MMSGHDR_SIZE + MSG_NAMELEN);
        int family = Short.toUnsignedInt(meta.getShort(name));
        int port = Short.toUnsignedInt(metaNetwork.getShort(name + 2));
        if (family == AF_INET6 && length >= SOCKADDR_IN6_SIZE) {
            return sources.socketAddress(metaNetwork.getLong(name + 8), metaNetwork.getLong(name + 16), port,
                    meta.getInt(name + 24));
        }
        if (family == AF_INET && length >= 16) {
            return sources.socketAddress(AddressCache.V4_MAPPED_HIGH, AddressCache.v4Low(metaNetwork.getInt(name + 4)),
                    port, 0);
        }
        return null;
    }

    /**
     * The local address datagram {@code i} was sent to, from its {@code IP_PKTINFO} (preferred:
     * it is what an IPv4 reply's source must be) or {@code IPV6_PKTINFO}; null without either.
     */
    InetAddress local(int i) {
        check(i);
        int control = controls + i * CONTROL_SIZE;
        int end = control + (int) Math.min(meta.getLong(i * MMSGHDR_SIZE + MSG_CONTROLLEN), CONTROL_SIZE);
        InetAddress v6 = null;
        int cmsg = control;
        while (cmsg + CMSG_HEADER <= end) {
            long length = meta.getLong(cmsg);
            if (length < CMSG_HEADER || length > end - cmsg) {
                break;
            }
            int level = meta.getInt(cmsg + CMSG_LEVEL);
            int type = meta.getInt(cmsg + CMSG_TYPE);
            int data = cmsg + CMSG_HEADER;
            if (level == SOL_IP && type == IP_PKTINFO && length >= CMSG_HEADER + 12) {
                int specDst = metaNetwork.getInt(data + 4);
                return locals.address(AddressCache.V4_MAPPED_HIGH, AddressCache.v4Low(specDst), 0);
            }
            if (level == SOL_IPV6 && type == IPV6_PKTINFO && length >= CMSG_HEADER + 20 && v6 == null) {
                v6 = locals.address(metaNetwork.getLong(data), metaNetwork.getLong(data + 8), meta.getInt(data + 16));
            }
            cmsg += (int) ((length + 7) & ~7L); // CMSG_ALIGN
        }
        return v6;
    }

    /**
     * The segment size of datagram {@code i} when the kernel coalesced several datagrams of one
     * flow into it ({@code UDP_GRO} control message): each {@code segmentSize} bytes are one
     * datagram, the last possibly shorter. 0 when it is a single datagram.
     */
    int segmentSize(int i) {
        check(i);
        int control = controls + i * CONTROL_SIZE;
        int end = control + (int) Math.min(meta.getLong(i * MMSGHDR_SIZE + MSG_CONTROLLEN), CONTROL_SIZE);
        int cmsg = control;
        while (cmsg + CMSG_HEADER <= end) {
            long length = meta.getLong(cmsg);
            if (length < CMSG_HEADER || length > end - cmsg) {
                break;
            }
            if (meta.getInt(cmsg + CMSG_LEVEL) == SOL_UDP && meta.getInt(cmsg + CMSG_TYPE) == UDP_GRO
                    && length >= CMSG_HEADER + 4) {
                return Math.max(0, meta.getInt(cmsg + CMSG_HEADER));
            }
            cmsg += (int) ((length + 7) & ~7L); // CMSG_ALIGN
        }
        return 0;
    }

    private void check(int i) {
        if (i < 0 || i >= received) {
            throw new IndexOutOfBoundsException("datagram " + i + " of " + received);
        }
    }
}
