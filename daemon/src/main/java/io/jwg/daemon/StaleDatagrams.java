package io.jwg.daemon;

import static io.jwg.daemon.Libc.*;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.io.IOException;

/**
 * Tells apart, on a socket that was bound but not read while the interface was down, the
 * datagrams that arrived before the link went up from those that arrived after. The kernel
 * module refuses the first (it has no socket while down) and reads the second; jwg must do the
 * same. Answering an initiation a peer sent while we were down would cross with the initiation
 * we send ourselves on coming up, and crossed handshakes both fail until the 5 s retry.
 *
 * <p>The kernel stamps each queued datagram's arrival ({@code SO_TIMESTAMPNS}, real time) while
 * {@link #stamp} is on; {@link #discardBefore} peeks at the head of the queue and drops datagrams
 * until one arrived at or after the given instant. Used once per link-up, never on the packet path.
 */
final class StaleDatagrams {
    /** {@code SO_TIMESTAMPNS} (the 64-bit {@code _OLD} value, also its cmsg type): asm-generic and x86. */
    private static final int SO_TIMESTAMPNS = 35;
    private static final int MSG_PEEK = 2;
    private static final int CONTROL_SIZE = 256;
    /** More than a default-sized receive queue can hold; a bound in case the clock is off. */
    private static final int MAX_DISCARDS = 100_000;

    static {
        Native.register(StaleDatagrams.class, NativeLibrary.getInstance("c"));
    }

    private static native int setsockopt(int fd, int level, int name, int[] value, int length);

    private static native long recvmsg(int fd, Memory msghdr, int flags);

    private StaleDatagrams() {
    }

    /**
     * Has the kernel stamp each datagram's arrival on {@code fd}, or stop. When no other socket on
     * the box asked for timestamps, the kernel turns them on from a work item a moment later;
     * what arrives before that is stamped when read, so counts as not stale.
     */
    static void stamp(int fd, boolean on) throws IOException {
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, new int[] {on ? 1 : 0}, 4) < 0) {
            throw new IOException("setsockopt SO_TIMESTAMPNS: errno " + Native.getLastError());
        }
    }

    /**
     * Drops the datagrams at the head of {@code fd}'s queue that arrived before
     * {@code epochNanos} (real time), up to the first that did not; returns how many. A datagram
     * without a stamp counts as not stale.
     */
    static int discardBefore(int fd, long epochNanos) {
        // msghdr, one iovec of one byte (a peek needs no more), the byte, the control buffer.
        Memory memory = new Memory(56 + IOVEC_SIZE + 8 + CONTROL_SIZE);
        memory.clear();
        long iovec = 56;
        long data = iovec + IOVEC_SIZE;
        long control = data + 8;
        memory.setPointer(MSG_IOV, memory.share(iovec));
        memory.setLong(MSG_IOVLEN, 1);
        memory.setPointer(iovec, memory.share(data));
        memory.setLong(iovec + 8, 1);
        int discarded = 0;
        while (discarded < MAX_DISCARDS) {
            memory.setPointer(MSG_CONTROL, memory.share(control));
            memory.setLong(MSG_CONTROLLEN, CONTROL_SIZE);
            if (recvmsg(fd, memory, MSG_PEEK | MSG_DONTWAIT) < 0) {
                return discarded; // empty (EAGAIN), or an error the reader will meet and report
            }
            long arrived = arrival(memory, control, memory.getLong(MSG_CONTROLLEN));
            if (arrived < 0 || arrived >= epochNanos) {
                return discarded;
            }
            memory.setLong(MSG_CONTROLLEN, 0);
            memory.setPointer(MSG_CONTROL, null);
            if (recvmsg(fd, memory, MSG_DONTWAIT) < 0) {
                return discarded;
            }
            discarded++;
        }
        return discarded;
    }

    /** The {@code SCM_TIMESTAMPNS} among the control messages, in epoch nanoseconds; -1 if none. */
    private static long arrival(Memory memory, long control, long length) {
        long end = control + Math.min(length, CONTROL_SIZE);
        long at = control;
        while (at + CMSG_HEADER <= end) {
            long cmsgLength = memory.getLong(at);
            if (cmsgLength < CMSG_HEADER) {
                return -1;
            }
            if (memory.getInt(at + 8) == SOL_SOCKET && memory.getInt(at + 12) == SO_TIMESTAMPNS
                    && at + CMSG_HEADER + 16 <= end) {
                return memory.getLong(at + CMSG_HEADER) * 1_000_000_000L + memory.getLong(at + CMSG_HEADER + 8);
            }
            at += (cmsgLength + 7) & ~7L;
        }
        return -1;
    }
}
