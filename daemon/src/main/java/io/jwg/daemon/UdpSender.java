package io.jwg.daemon;

import static io.jwg.daemon.Libc.*;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Sends datagrams on the device's UDP socket with {@code sendmsg(2)}, straight from the calling
 * thread, optionally from a chosen local address (an {@code IP_PKTINFO}/{@code IPV6_PKTINFO}
 * control message: wireguard-go's sticky source address, which Netty cannot attach).
 *
 * <p>Why not {@code Channel.write}: from any thread but the event loop, each Netty write is a task
 * handed to the event loop, one more thread wake-up per packet; and Netty has no way to choose
 * the source address. One sender per thread; all its native memory is allocated once, and a send
 * allocates nothing unless the destination is new to this sender: encoded destinations are
 * cached per address object (the receive path hands the same object for the same endpoint), so
 * that replying to many sources in turn, as to a flood with cookie replies, allocates nothing.
 */
final class UdpSender {
    /** How long a full socket buffer may block a sender before the datagram is dropped. */
    private static final int FULL_BUFFER_WAIT_MILLIS = 100;

    // struct msghdr (x86_64/aarch64): name, namelen, iov, iovlen, control, controllen, flags
    private static final int MSGHDR_SIZE = 56;
    private static final int SOCKADDR_SIZE = 28;
    private static final int CONTROL_SIZE = 48;

    static {
        Native.register(UdpSender.class, NativeLibrary.getInstance("c"));
    }

    private static native long sendmsg(int fd, long msghdr, int flags);

    private static native int poll(long fds, long count, int timeoutMillis);

    private static native int sendmmsg(int fd, long msgvec, int vlen, int flags);

    /** Datagrams per sendmmsg call at most. */
    static final int BATCH = 64;
    /** A message's control data: a source address (40 B at most) and a UDP_SEGMENT (24 B). */
    private static final int BATCH_CONTROL_SIZE = 64;
    private static final int MSG_FLAGS = 48;
    // struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; } padded to 64 bytes

    /** The destination cache: four-way set-associative on identity. */
    private static final int DESTINATION_WAYS = 4;
    private static final int DESTINATION_SETS = 128;

    private final InetSocketAddress[] cachedDestinations = new InetSocketAddress[DESTINATION_SETS * DESTINATION_WAYS];
    private final boolean[] cachedForIpv6Socket = new boolean[DESTINATION_SETS * DESTINATION_WAYS];
    /** Encoded sockaddr of each entry, SOCKADDR_SIZE bytes apart; its length in cachedLengths. */
    private final byte[] cachedSockaddrs = new byte[DESTINATION_SETS * DESTINATION_WAYS * SOCKADDR_SIZE];
    private final byte[] cachedLengths = new byte[DESTINATION_SETS * DESTINATION_WAYS];
    private final byte[] nextVictim = new byte[DESTINATION_SETS];

    private final Memory memory = new Memory(MSGHDR_SIZE + IOVEC_SIZE + SOCKADDR_SIZE + CONTROL_SIZE + 8);
    /** BATCH mmsghdrs, then BATCH iovecs; allocated on the first batch send. */
    private Memory batchMemory;
    private long batchBase;
    private int batchSize;
    /** First batch entry of each message built by {@link #buildMessages}, and one past the last. */
    private final int[] messageStart = new int[BATCH + 1];
    private final long msghdr;
    private final long iovec;
    private final long sockaddr;
    private final long control;
    private final long pollfd;
    private ByteBuffer lastBuffer;
    private long lastBufferAddress;
    private InetSocketAddress lastDestination;
    private int sockaddrLength;
    private InetAddress lastSource;
    private int controlLength;
    private int lastErrno;

    UdpSender() {
        memory.clear();
        long base = Pointer.nativeValue(memory);
        msghdr = base;
        iovec = base + MSGHDR_SIZE;
        sockaddr = iovec + IOVEC_SIZE;
        control = sockaddr + SOCKADDR_SIZE + 4; // 8-byte aligned
        pollfd = control + CONTROL_SIZE;
        memory.setLong(MSG_NAME, sockaddr);
        memory.setLong(MSG_IOV, iovec);
        memory.setLong(MSG_IOVLEN, 1);
    }

    /** What a send came to. */
    enum Result { SENT, DROPPED, SOURCE_UNUSABLE, FAILED }

    /**
     * Sends the bytes between {@code datagram}'s position and limit (a direct buffer) to
     * {@code destination} through socket {@code fd}, from {@code source} when not null.
     * {@code ipv6Socket} says how to encode addresses (a dual-stack socket takes IPv4-mapped ones).
     */
    Result send(int fd, boolean ipv6Socket, ByteBuffer datagram, InetSocketAddress destination, InetAddress source) {
        if (datagram != lastBuffer) {
            lastBuffer = datagram;
            lastBufferAddress = addressOf(datagram);
        }
        if (destination != lastDestination) {
            if (!encodeDestination(destination, ipv6Socket)) {
                return Result.FAILED;
            }
            lastDestination = destination;
        }
        if (source != lastSource) {
            encodeSource(source, ipv6Socket);
            lastSource = source;
        }
        memory.setLong(iovec - msghdr, lastBufferAddress + datagram.position());
        memory.setLong(iovec - msghdr + 8, datagram.remaining());
        memory.setInt(MSG_NAMELEN, sockaddrLength);
        memory.setLong(MSG_CONTROL, controlLength == 0 ? 0 : control);
        memory.setLong(MSG_CONTROLLEN, controlLength);
        while (true) {
            long sent = sendmsg(fd, msghdr, MSG_DONTWAIT);
            if (sent >= 0) {
                return Result.SENT;
            }
            int errno = Native.getLastError();
            if (errno == EINTR) {
                continue;
            }
            lastErrno = errno;
            if (errno == EAGAIN) {
                if (!awaitWritable(fd)) {
                    return Result.DROPPED;
                }
                continue;
            }
            // EINVAL/EADDRNOTAVAIL with a source address: it is gone from this host.
            return source != null ? Result.SOURCE_UNUSABLE : Result.FAILED;
        }
    }

    /** Empties the batch. */
    void batchClear() {
        batchSize = 0;
        if (batchMemory == null) {
            batchMemory = new Memory((long) BATCH * (MMSGHDR_SIZE + IOVEC_SIZE + BATCH_CONTROL_SIZE));
            batchMemory.clear();
            batchBase = Pointer.nativeValue(batchMemory);
        }
    }

    /** Adds the {@code length} bytes at native {@code address} to the batch; false when it is full. */
    boolean batchAdd(long address, int length) {
        if (batchSize == BATCH) {
            return false;
        }
        long iov = (long) BATCH * MMSGHDR_SIZE + (long) batchSize * IOVEC_SIZE;
        batchMemory.setLong(iov, address);
        batchMemory.setLong(iov + 8, length);
        batchSize++;
        return true;
    }

    /** Datagrams in the batch. */
    int batchSize() {
        return batchSize;
    }

    /** Native address of batch entry {@code i}. */
    long batchAddress(int i) {
        return batchMemory.getLong((long) BATCH * MMSGHDR_SIZE + (long) i * IOVEC_SIZE);
    }

    /** Length of batch entry {@code i}. */
    int batchLength(int i) {
        return (int) batchMemory.getLong((long) BATCH * MMSGHDR_SIZE + (long) i * IOVEC_SIZE + 8);
    }

    /**
     * Sends batch entries {@code from..batchSize()} to {@code destination} (from {@code source}
     * when not null) with as few {@code sendmmsg(2)} calls as the kernel allows. Returns the index
     * of the first entry not sent ({@code batchSize()} when all were); {@link #lastResult()} then
     * says why: a full socket buffer for {@value #FULL_BUFFER_WAIT_MILLIS} ms (DROPPED), an
     * unusable source address (SOURCE_UNUSABLE) or an error for that entry (FAILED).
     */
    int batchSend(int fd, boolean ipv6Socket, int from, InetSocketAddress destination, InetAddress source) {
        if (destination != lastDestination) {
            if (!encodeDestination(destination, ipv6Socket)) {
                lastResult = Result.FAILED;
                return from;
            }
            lastDestination = destination;
        }
        if (source != lastSource) {
            encodeSource(source, ipv6Socket);
            lastSource = source;
        }
        boolean gso = UdpOffload.gso();
        int next = from;
        lastResult = Result.SENT;
        while (next < batchSize) {
            int messages = buildMessages(next, gso);
            int sent = sendmmsg(fd, batchBase, messages, MSG_DONTWAIT);
            if (sent > 0) {
                next = messageStart[sent];
                continue;
            }
            int errno = Native.getLastError();
            if (errno == EINTR) {
                continue;
            }
            lastErrno = errno;
            if (errno == EAGAIN) {
                if (!awaitWritable(fd)) {
                    lastResult = Result.DROPPED;
                    return next;
                }
                continue;
            }
            if (messageStart[1] - messageStart[0] > 1 && (errno == EIO || errno == EINVAL)) {
                // EIO: this kernel or device cannot segment (as wireguard-go, stop asking);
                // EINVAL: these datagrams exceed the path MTU, which GSO does not fragment.
                if (errno == EIO) {
                    UdpOffload.gsoFailed();
                }
                gso = false;
                continue;
            }
            lastResult = source != null ? Result.SOURCE_UNUSABLE : Result.FAILED;
            return next;
        }
        return next;
    }

    /**
     * Lays out the messages for entries {@code from..batchSize()}: with {@code gso}, each run of
     * equal-size datagrams (a last shorter one may end it) becomes one message with a
     * {@code UDP_SEGMENT} control message, its iovecs the run's entries in place; otherwise one
     * message per datagram. Fills {@link #messageStart}; returns the number of messages.
     */
    private int buildMessages(int from, boolean gso) {
        long iovecs = batchBase + (long) BATCH * MMSGHDR_SIZE;
        long controls = iovecs + (long) BATCH * IOVEC_SIZE;
        int messages = 0;
        int i = from;
        while (i < batchSize) {
            int start = i;
            int size = batchLength(i);
            int total = size;
            i++;
            if (gso && size > 0) {
                while (i < batchSize && i - start < UdpOffload.MAX_SEGMENTS) {
                    int length = batchLength(i);
                    if (length == 0 || length > size || total + length > UdpOffload.MAX_BYTES) {
                        break;
                    }
                    total += length;
                    i++;
                    if (length < size) {
                        break; // only the last segment may be shorter
                    }
                }
            }
            int count = i - start;
            long hdr = (long) messages * MMSGHDR_SIZE;
            long ctl = controls + (long) messages * BATCH_CONTROL_SIZE;
            int ctlLength = controlLength;
            for (int off = 0; off < controlLength; off += 8) {
                batchMemory.setLong(ctl - batchBase + off, memory.getLong(control - msghdr + off));
            }
            if (count > 1) {
                // struct cmsghdr { len = CMSG_LEN(2), SOL_UDP, UDP_SEGMENT } + u16 segment size
                long seg = ctl - batchBase + ctlLength;
                batchMemory.setLong(seg, CMSG_HEADER + 2);
                batchMemory.setInt(seg + 8, SOL_UDP);
                batchMemory.setInt(seg + 12, UDP_SEGMENT);
                batchMemory.setShort(seg + 16, (short) size);
                ctlLength += CMSG_HEADER + 8;
            }
            batchMemory.setLong(hdr + MSG_NAME, sockaddr);
            batchMemory.setInt(hdr + MSG_NAMELEN, sockaddrLength);
            batchMemory.setLong(hdr + MSG_IOV, iovecs + (long) start * IOVEC_SIZE);
            batchMemory.setLong(hdr + MSG_IOVLEN, count);
            batchMemory.setLong(hdr + MSG_CONTROL, ctlLength == 0 ? 0 : ctl);
            batchMemory.setLong(hdr + MSG_CONTROLLEN, ctlLength);
            batchMemory.setInt(hdr + MSG_FLAGS, 0);
            messageStart[messages++] = start;
        }
        messageStart[messages] = i;
        return messages;
    }

    private Result lastResult = Result.SENT;

    /** Why the last {@link #batchSend} stopped early. */
    Result lastResult() {
        return lastResult;
    }

    /** The errno of the last failed send, for logs. */
    int lastErrno() {
        return lastErrno;
    }

    private boolean awaitWritable(int fd) {
        memory.setInt(pollfd - msghdr, fd);
        memory.setShort(pollfd - msghdr + 4, POLLOUT);
        memory.setShort(pollfd - msghdr + 6, (short) 0);
        return poll(pollfd, 1, FULL_BUFFER_WAIT_MILLIS) > 0;
    }

    private boolean encodeDestination(InetSocketAddress destination, boolean ipv6Socket) {
        long off = sockaddr - msghdr;
        int hash = System.identityHashCode(destination);
        int base = ((hash ^ hash >>> 16) & (DESTINATION_SETS - 1)) * DESTINATION_WAYS;
        for (int i = base; i < base + DESTINATION_WAYS; i++) {
            if (cachedDestinations[i] == destination && cachedForIpv6Socket[i] == ipv6Socket) {
                sockaddrLength = cachedLengths[i];
                memory.write(off, cachedSockaddrs, i * SOCKADDR_SIZE, sockaddrLength);
                return true;
            }
        }
        if (!encodeNewDestination(destination, ipv6Socket)) {
            return false;
        }
        int set = base / DESTINATION_WAYS;
        int victim = base + nextVictim[set];
        nextVictim[set] = (byte) ((nextVictim[set] + 1) % DESTINATION_WAYS);
        cachedDestinations[victim] = destination;
        cachedForIpv6Socket[victim] = ipv6Socket;
        cachedLengths[victim] = (byte) sockaddrLength;
        memory.read(off, cachedSockaddrs, victim * SOCKADDR_SIZE, sockaddrLength);
        return true;
    }

    private boolean encodeNewDestination(InetSocketAddress destination, boolean ipv6Socket) {
        InetAddress address = destination.getAddress();
        if (address == null) {
            return false;
        }
        long off = sockaddr - msghdr;
        int port = destination.getPort();
        byte[] bytes = address.getAddress();
        if (ipv6Socket) {
            memory.setShort(off, (short) AF_INET6);
            memory.setShort(off + 2, Short.reverseBytes((short) port));
            memory.setInt(off + 4, 0);
            if (bytes.length == 4) {
                memory.setLong(off + 8, 0);
                memory.setInt(off + 16, 0xffff0000);
                memory.write(off + 20, bytes, 0, 4);
            } else {
                memory.write(off + 8, bytes, 0, 16);
            }
            memory.setInt(off + 24, address instanceof Inet6Address v6 ? v6.getScopeId() : 0);
            sockaddrLength = SOCKADDR_SIZE;
        } else {
            if (!(address instanceof Inet4Address)) {
                return false;
            }
            memory.setShort(off, (short) AF_INET);
            memory.setShort(off + 2, Short.reverseBytes((short) port));
            memory.write(off + 4, bytes, 0, 4);
            memory.setLong(off + 8, 0);
            sockaddrLength = 16;
        }
        return true;
    }

    private void encodeSource(InetAddress source, boolean ipv6Socket) {
        long off = control - msghdr;
        if (source == null) {
            controlLength = 0;
            return;
        }
        byte[] bytes = source.getAddress();
        if (bytes.length == 4) {
            // struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
            memory.setLong(off, CMSG_HEADER + 12);
            memory.setInt(off + 8, SOL_IP);
            memory.setInt(off + 12, IP_PKTINFO);
            memory.setInt(off + 16, 0);
            memory.write(off + 20, bytes, 0, 4);
            memory.setInt(off + 24, 0);
            controlLength = CMSG_HEADER + 16;
        } else if (ipv6Socket) {
            // struct in6_pktinfo { in6_addr addr; int ifindex; }
            memory.setLong(off, CMSG_HEADER + 20);
            memory.setInt(off + 8, SOL_IPV6);
            memory.setInt(off + 12, IPV6_PKTINFO);
            memory.write(off + 16, bytes, 0, 16);
            memory.setInt(off + 32, source instanceof Inet6Address v6 ? v6.getScopeId() : 0);
            controlLength = CMSG_HEADER + 24;
        } else {
            controlLength = 0;
        }
    }
}
