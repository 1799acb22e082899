package io.jwg.daemon;

import static io.jwg.daemon.Libc.SOCK_CLOEXEC;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * systemd's readiness protocol ({@code sd_notify(3)}) for {@code Type=notify} services: one
 * datagram such as {@code READY=1} to the Unix socket named by {@code $NOTIFY_SOCKET}, either a
 * path or, with a leading {@code @}, a name in the abstract namespace. Without
 * {@code NOTIFY_SOCKET} every call does nothing. A failed notification is logged and otherwise
 * ignored, as libsystemd's callers do: the service manager then times the service out.
 *
 * <p>The daemon starts no processes, so no child can inherit the variable; the launcher removes
 * it from the ones it starts (the ahead-of-time cache's training run, a daemonized JVM).
 */
final class SdNotify {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** {@code struct sockaddr_un}: sa_family_t, then 108 bytes of path. */
    private static final int SUN_PATH_OFFSET = 2;
    private static final int SUN_PATH_MAX = 108;

    static {
        Native.register(SdNotify.class, NativeLibrary.getInstance("c"));
    }

    private static native int socket(int domain, int type, int protocol);

    private static native long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength);

    private static native int close(int fd);

    private final String socket;
    private final Log log;
    private final AtomicBoolean stopping = new AtomicBoolean();

    private SdNotify(String socket, Log log) {
        this.socket = socket;
        this.log = log;
    }

    /** The notifier for {@code NOTIFY_SOCKET} in {@code env}; a no-op one when it is unset or empty. */
    static SdNotify fromEnvironment(Map<String, String> env, Log log) {
        String socket = env.get("NOTIFY_SOCKET");
        return new SdNotify(socket == null || socket.isEmpty() ? null : socket, log);
    }

    /** {@code READY=1}: start-up finished. */
    void ready() {
        send("READY=1");
    }

    /** {@code STOPPING=1}: shutdown has begun; sent once, whichever stop path calls first. */
    void stopping() {
        if (stopping.compareAndSet(false, true)) {
            send("STOPPING=1");
        }
    }

    /** Sends {@code state} (newline-separated assignments). */
    private void send(String state) {
        if (socket == null) {
            return;
        }
        byte[] address = address(socket);
        if (address == null) {
            log.error("Cannot notify the service manager: unsupported NOTIFY_SOCKET " + socket);
            return;
        }
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            log.error("Cannot notify the service manager: socket failed, errno " + Native.getLastError());
            return;
        }
        try {
            byte[] message = state.getBytes(StandardCharsets.UTF_8);
            if (sendto(fd, message, message.length, MSG_NOSIGNAL, address, address.length) != message.length) {
                log.error("Cannot notify the service manager at " + socket + ": errno " + Native.getLastError());
                return;
            }
            log.debug("Notified the service manager: " + state);
        } finally {
            close(fd);
        }
    }

    /**
     * The {@code sockaddr_un} for {@code socket}, trimmed to its used length: a path is sent with
     * its terminating NUL; an abstract name ({@code @name}) as a leading NUL and the name, no NUL
     * after it, because the address length is part of an abstract name. Null when unsupported
     * (relative paths, systemd's {@code vsock:} form) or too long.
     */
    static byte[] address(String socket) {
        boolean path = socket.startsWith("/");
        if (!path && !socket.startsWith("@")) {
            return null;
        }
        byte[] name = socket.getBytes(StandardCharsets.UTF_8);
        int length = path ? name.length + 1 : name.length;
        if (name.length < 2 || length > SUN_PATH_MAX) {
            return null;
        }
        byte[] address = new byte[SUN_PATH_OFFSET + length];
        address[0] = (byte) AF_UNIX; // sa_family, little-endian u16
        System.arraycopy(name, 0, address, SUN_PATH_OFFSET, name.length);
        if (!path) {
            address[SUN_PATH_OFFSET] = 0;
        }
        return address;
    }
}
