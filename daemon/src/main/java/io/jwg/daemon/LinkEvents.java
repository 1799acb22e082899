package io.jwg.daemon;

import static io.jwg.daemon.Libc.*;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.agrona.concurrent.SystemEpochNanoClock;

/**
 * Listens for rtnetlink link messages ({@code RTMGRP_LINK}) in the daemon's network namespace and
 * calls back on every one, so that {@code ip link set up/down/mtu} is acted on at once instead of
 * at the next periodic probe (wireguard-go's netlink listener). It cannot see a TUN that was moved
 * into another namespace; the periodic probe covers that case. Failure to open the socket is not
 * fatal: the probe alone still works, only slower.
 *
 * <p>The thread sleeps in {@code poll(2)} on the socket and an eventfd that {@link #close} signals,
 * so an idle daemon's listener never wakes for nothing.
 */
final class LinkEvents implements AutoCloseable {
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int NETLINK_ROUTE = 0;
    private static final int RTMGRP_LINK = 1;
    private static final int BUFFER = 16_384;

    static {
        Native.register(LinkEvents.class, NativeLibrary.getInstance("c"));
    }

    private static native int socket(int domain, int type, int protocol);

    private static native int bind(int fd, Pointer address, int length);

    private static native long recv(int fd, Pointer buffer, long length, int flags);

    private static native int eventfd(int initial, int flags);

    private static native int poll(Pointer fds, long count, int timeoutMillis);

    private static native long write(int fd, Pointer buffer, long length);

    private static native int close(int fd);

    private final int fd;
    private final int wakeFd;
    private final Memory buffer = new Memory(BUFFER);
    private final Memory pollFds = new Memory(2L * POLLFD_SIZE);
    private final LongConsumer onEvent;
    private final Thread thread;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LinkEvents(int fd, int wakeFd, LongConsumer onEvent) {
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.onEvent = onEvent;
        pollFds.clear();
        pollFds.setInt(0, fd);
        pollFds.setShort(4, POLLIN);
        pollFds.setInt(POLLFD_SIZE, wakeFd);
        pollFds.setShort(POLLFD_SIZE + 4, POLLIN);
        this.thread = new DaemonThreads("jwg-netlink").newThread(this::run);
    }

    /**
     * Starts listening, or returns null (logged) when rtnetlink is unavailable. {@code onEvent}
     * gets the real time (epoch nanoseconds) at which the listener woke for the message, the
     * closest to the change itself that user space can tell.
     */
    static LinkEvents start(LongConsumer onEvent, Log log) {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            log.error("Failed to open netlink socket: errno " + Native.getLastError() + "; probing link state only");
            return null;
        }
        Memory address = new Memory(12);
        address.clear();
        address.setShort(0, (short) AF_NETLINK);
        address.setInt(8, RTMGRP_LINK);
        if (bind(fd, address, 12) < 0) {
            log.error("Failed to bind netlink socket: errno " + Native.getLastError() + "; probing link state only");
            close(fd);
            return null;
        }
        int wakeFd = eventfd(0, EFD_CLOEXEC);
        if (wakeFd < 0) {
            log.error("Failed to create eventfd: errno " + Native.getLastError() + "; probing link state only");
            close(fd);
            return null;
        }
        LinkEvents events = new LinkEvents(fd, wakeFd, onEvent);
        events.thread.start();
        return events;
    }

    private void run() {
        // Only close()'s signal ends the loop, so the fds are closed after its write, never before.
        while (true) {
            pollFds.setShort(6, (short) 0);
            pollFds.setShort(POLLFD_SIZE + 6, (short) 0);
            if (poll(pollFds, 2, -1) < 0) {
                continue; // EINTR
            }
            long woke = SystemEpochNanoClock.INSTANCE.nanoTime();
            if ((pollFds.getShort(POLLFD_SIZE + 6) & POLLIN) != 0) {
                break;
            }
            if (pollFds.getShort(6) != 0) {
                long n = recv(fd, buffer, BUFFER, MSG_DONTWAIT);
                // ENOBUFS: messages were lost, so the state may have changed without one.
                if ((n > 0 || n < 0 && Native.getLastError() == ENOBUFS) && !closed.get()) {
                    onEvent.accept(woke);
                }
            }
        }
        close(fd);
        close(wakeFd);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Memory one = new Memory(8);
            one.setLong(0, 1);
            write(wakeFd, one, 8);
        }
    }
}
