package io.jwg.tun;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The few libc calls the Linux TUN needs, bound with JNA direct mapping (no per-call reflection
 * or argument arrays). Calls report failure as -1; read {@link #errno()} right after, on the
 * same thread (JNA saves errno per thread after every native call).
 *
 * <p>Buffers on the packet path are passed as raw addresses ({@code long}) so a read or write
 * allocates nothing; everything else uses JNA {@link Pointer}s. Constants are the Linux values
 * shared by x86_64 and aarch64 (the asm-generic ones).
 */
final class LibC {
    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    static final int F_GETFL = 3;
    static final int F_SETFL = 4;

    static final int EFD_NONBLOCK = O_NONBLOCK;
    static final int EFD_CLOEXEC = O_CLOEXEC;

    static final int AF_INET = 2;
    static final int AF_UNIX = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_SEQPACKET = 5;
    static final int SOCK_CLOEXEC = O_CLOEXEC;

    static final int CLONE_NEWNET = 0x40000000;

    static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;
    /** sizeof(struct pollfd): int fd, short events, short revents. */
    static final int POLLFD_SIZE = 8;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EBUSY = 16;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int ENOTTY = 25;
    static final int EBADFD = 77;

    static {
        Native.register(LibC.class, NativeLibrary.getInstance("c"));
    }

    private LibC() {
    }

    static native int open(String path, int flags);

    static native int close(int fd);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native long writev(int fd, long iov, int iovcnt);

    static native int ioctl(int fd, long request, Pointer arg);

    static native int fcntl(int fd, int cmd, int arg);

    static native int poll(Pointer fds, long nfds, int timeoutMillis);

    static native int eventfd(int initval, int flags);

    static native int socket(int domain, int type, int protocol);

    /** {@code sv} receives the two fds. */
    static native int socketpair(int domain, int type, int protocol, int[] sv);

    static native int setns(int fd, int nstype);

    static native String strerror(int errnum);

    /** errno of this thread's last native call. */
    static int errno() {
        return Native.getLastError();
    }

    /** The libc text for {@code errno}, e.g. "Device or resource busy". */
    static String describe(int errno) {
        String text = strerror(errno);
        return text == null ? "errno " + errno : text;
    }
}
