package io.jwg.daemon;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The Linux ABI values the daemon's socket code shares (x86_64/aarch64: the asm-generic
 * constants and the 64-bit struct layouts), in one place instead of one copy per caller.
 *
 * <pre>
 * struct msghdr (56 B)          struct mmsghdr (64 B)    struct cmsghdr (16 B + data)
 *   0 void  *msg_name             0 struct msghdr          0 size_t cmsg_len
 *   8 int    msg_namelen         56 unsigned msg_len       8 int    cmsg_level
 *  16 iovec *msg_iov                                      12 int    cmsg_type
 *  24 size_t msg_iovlen
 *  32 void  *msg_control        struct iovec (16 B): base, len
 *  40 size_t msg_controllen
 *  48 int    msg_flags
 * </pre>
 */
final class Libc {
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_CLOEXEC = 0x80000;

    static final int SOL_SOCKET = 1;
    static final int SOL_IP = 0;
    static final int IP_PKTINFO = 8;
    static final int SOL_IPV6 = 41;
    static final int IPV6_PKTINFO = 50;
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;

    static final int MSG_DONTWAIT = 0x40;

    static final short POLLIN = 1;
    static final short POLLOUT = 4;
    /** {@code struct pollfd}: int fd, short events, short revents. */
    static final int POLLFD_SIZE = 8;
    static final int EFD_CLOEXEC = 0x80000;

    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int ENOBUFS = 105;

    static final int MSG_NAME = 0;
    static final int MSG_NAMELEN = 8;
    static final int MSG_IOV = 16;
    static final int MSG_IOVLEN = 24;
    static final int MSG_CONTROL = 32;
    static final int MSG_CONTROLLEN = 40;
    static final int MMSGHDR_SIZE = 64;
    static final int IOVEC_SIZE = 16;
    static final int CMSG_HEADER = 16;

    private Libc() {
    }

    /**
     * The native address of {@code direct}'s memory (its start, whatever its position). Through
     * {@link MemorySegment}, which C2 scalar-replaces, not JNA's {@code getDirectBufferPointer},
     * whose {@code Pointer} is allocated in native code on every call.
     */
    static long addressOf(ByteBuffer direct) {
        return MemorySegment.ofBuffer(direct).address() - direct.position();
    }
}
