package io.jwg.tun;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An {@code AF_INET} datagram socket for interface ioctls ({@code SIOCGIFMTU}, ...) that follows
 * a TUN device into whatever network namespace it currently lives in.
 *
 * <p>Interface ioctls resolve names in the socket's namespace, and a socket keeps the namespace it
 * was created in. When the device has been moved ({@code ip link set IF netns OTHER}),
 * {@code TUNGETDEVNETNS} on the TUN fd hands us an fd of the new namespace; a short-lived platform
 * thread enters it with {@code setns} (which only affects the calling thread), creates the
 * replacement socket there and ends. Namespaces are compared by inode, as
 * {@code /proc/self/fd/N} shows them ({@code net:[4026531840]}).
 *
 * <p>Not on the packet path; all methods are synchronized so a swap never closes a socket in use.
 */
final class NetnsSocket implements AutoCloseable {
    /** {@code _IO('T', 227)}: an fd of the TUN device's current network namespace (Linux 5.2+). */
    static final long TUNGETDEVNETNS = 0x54e3;

    private int socketFd;
    private String netns;

    private NetnsSocket(int socketFd, String netns) {
        this.socketFd = socketFd;
        this.netns = netns;
    }

    /** A socket in the calling thread's network namespace. */
    static NetnsSocket open() throws IOException {
        int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("cannot create ioctl socket: " + LibC.describe(LibC.errno()));
        }
        try {
            return new NetnsSocket(fd, namespaceOf(Path.of("/proc/thread-self/ns/net")));
        } catch (IOException e) {
            LibC.close(fd);
            throw e;
        }
    }

    /**
     * Runs the interface ioctl {@code request} on {@code ifreq} in the namespace the TUN device
     * behind {@code tunFd} lives in. Returns 0, or the errno of the failed ioctl.
     */
    synchronized int ioctl(int tunFd, long request, IfReq ifreq) throws IOException {
        if (socketFd < 0) {
            throw new IOException("ioctl socket closed");
        }
        follow(tunFd);
        return LibC.ioctl(socketFd, request, ifreq.memory) < 0 ? LibC.errno() : 0;
    }

    /** Moves the socket into the device's namespace if the device moved since the last call. */
    private void follow(int tunFd) throws IOException {
        int nsFd = LibC.ioctl(tunFd, TUNGETDEVNETNS, Pointer.NULL);
        if (nsFd < 0) {
            int errno = LibC.errno();
            if (errno == LibC.ENOTTY || errno == LibC.EINVAL) {
                return; // kernel before 5.2: cannot tell, assume the device stayed where it was
            }
            if (errno == LibC.EBADFD) {
                throw new IOException("the interface was deleted");
            }
            throw new IOException("cannot find the interface's network namespace: " + LibC.describe(errno));
        }
        try {
            String current = namespaceOf(Path.of("/proc/self/fd/" + nsFd));
            if (current.equals(netns)) {
                return;
            }
            int replacement = socketIn(nsFd);
            LibC.close(socketFd);
            socketFd = replacement;
            netns = current;
        } finally {
            LibC.close(nsFd);
        }
    }

    /** Creates a socket inside the namespace {@code nsFd}, on a thread of its own. */
    private static int socketIn(int nsFd) throws IOException {
        int[] result = {-1, 0}; // fd, errno
        String[] failedStep = {null};
        Thread thread = Thread.ofPlatform().name("jwg-netns-socket").daemon().unstarted(() -> {
            if (LibC.setns(nsFd, LibC.CLONE_NEWNET) < 0) {
                result[1] = LibC.errno();
                failedStep[0] = "enter the interface's network namespace";
                return;
            }
            result[0] = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
            if (result[0] < 0) {
                result[1] = LibC.errno();
                failedStep[0] = "create an ioctl socket in the interface's network namespace";
            }
            // The thread now ends, and with it its membership of the other namespace.
        });
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // The thread still finishes; its socket, if any, is leaked rather than raced over.
            throw new InterruptedIOException("interrupted while following the interface's network namespace");
        }
        if (result[0] < 0) {
            throw new IOException("cannot " + failedStep[0] + ": " + LibC.describe(result[1]));
        }
        return result[0];
    }

    /** The namespace identity a {@code /proc} namespace link names, e.g. {@code net:[4026531840]}. */
    private static String namespaceOf(Path link) throws IOException {
        return Files.readSymbolicLink(link).toString();
    }

    @Override
    public synchronized void close() {
        if (socketFd >= 0) {
            LibC.close(socketFd);
            socketFd = -1;
        }
    }
}
