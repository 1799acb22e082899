package io.jwg.daemon;

import static io.jwg.daemon.Libc.*;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;

/**
 * The UDP socket options Netty does not expose, set with {@code setsockopt(2)} on the channel's
 * own file descriptor: {@code SO_MARK} for the fwmark and the {@code *BUFFORCE} buffer sizes
 * (which ignore {@code rmem_max}, as wireguard-go uses them when running as root).
 */
final class SocketOptions {
    private static final int SO_SNDBUF = 7;
    private static final int SO_RCVBUF = 8;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SO_RCVBUFFORCE = 33;
    private static final int SO_MARK = 36;

    static {
        Native.register("c");
    }

    private SocketOptions() {
    }

    private static native int setsockopt(int fd, int level, int name, int[] value, int length) throws LastErrorException;

    /** Sets the firewall mark of outgoing packets; 0 clears it. */
    static void setMark(int fd, int mark) throws IOException {
        set(fd, SO_MARK, mark, "SO_MARK");
    }

    /**
     * Asks the kernel for coalesced receives ({@code UDP_GRO}); false when it refuses (an older
     * kernel), which only means datagrams keep arriving one by one.
     */
    static boolean enableGro(int fd) {
        try {
            setsockopt(fd, SOL_UDP, UDP_GRO, new int[] {1}, 4);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /** Sets both socket buffers to {@code bytes}, forcing past the sysctl limits where allowed. */
    static void setBuffers(int fd, int bytes) {
        trySet(fd, SO_RCVBUFFORCE, SO_RCVBUF, bytes);
        trySet(fd, SO_SNDBUFFORCE, SO_SNDBUF, bytes);
    }

    private static void trySet(int fd, int forced, int plain, int bytes) {
        try {
            set(fd, forced, bytes, "force");
        } catch (IOException e) {
            try {
                set(fd, plain, bytes, "plain");
            } catch (IOException ignored) {
                // Like wireguard-go: a smaller buffer is not a reason to fail.
            }
        }
    }

    private static void set(int fd, int name, int value, String what) throws IOException {
        try {
            setsockopt(fd, SOL_SOCKET, name, new int[] {value}, 4);
        } catch (LastErrorException e) {
            throw new IOException("setsockopt " + what + ": errno " + e.getErrorCode(), e);
        }
    }
}
