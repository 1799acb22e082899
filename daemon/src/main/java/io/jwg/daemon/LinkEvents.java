package io.jwg.daemon;

import static io.jwg.daemon.Libc.*;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Listens for rtnetlink link messages ({@code RTMGRP_LINK}) in the daemon's network namespace and
 * calls back on every one, so that {@code ip link set up/down/mtu} is acted on at once instead of
 * at the next periodic probe (wireguard-go's netlink listener). It cannot see a TUN that was moved
 * into another namespace; the periodic probe covers that case. Failure to open the socket is not
 * fatal: the probe alone still works, only slower.
 */
final class LinkEvents implements AutoCloseable {
    private static final int AF_NETLINK = 16;
    private static final int SOCK_RAW = 3;
    private static final int NETLINK_ROUTE = 0;
    private static final int RTMGRP_LINK = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int BUFFER = 16_384;

    static {
        Native.register(LinkEvents.class, NativeLibrary.getInstance("c"));
    }

    private static native int socket(int domain, int type, int protocol);

    private static native int bind(int fd, Pointer address, int length);

    private static native int setsockopt(int fd, int level, int name, Pointer value, int length);

    private static native long recv(int fd, Pointer buffer, long length, int flags);

    private static native int close(int fd);

    private final int fd;
    private final Memory buffer = new Memory(BUFFER);
    private final Runnable onEvent;
    private final Thread thread;
    private volatile boolean running = true;

    private LinkEvents(int fd, Runnable onEvent) {
        this.fd = fd;
        this.onEvent = onEvent;
        this.thread = new DaemonThreads("jwg-netlink").newThread(this::run);
    }

    /** Starts listening, or returns null (logged) when rtnetlink is unavailable. */
    static LinkEvents start(Runnable onEvent, Log log) {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            log.error("Failed to open netlink socket: errno " + Native.getLastError() + "; probing link state only");
            return null;
        }
        Memory address = new Memory(12);
        address.clear();
        address.setShort(0, (short) AF_NETLINK);
        address.setInt(8, RTMGRP_LINK);
        Memory timeout = new Memory(16);
        timeout.setLong(0, 0);
        timeout.setLong(8, 200_000); // 200 ms, so close() is noticed
        if (bind(fd, address, 12) < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16) < 0) {
            log.error("Failed to bind netlink socket: errno " + Native.getLastError() + "; probing link state only");
            close(fd);
            return null;
        }
        LinkEvents events = new LinkEvents(fd, onEvent);
        events.thread.start();
        return events;
    }

    private void run() {
        while (running) {
            long n = recv(fd, buffer, BUFFER, 0);
            if (n > 0 && running) {
                onEvent.run();
            }
        }
        close(fd);
    }

    @Override
    public void close() {
        running = false;
    }
}
