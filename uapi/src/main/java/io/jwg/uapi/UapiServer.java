package io.jwg.uapi;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The UAPI socket of one interface, {@code /var/run/wireguard/IFNAME.sock}, as wireguard-go's
 * {@code ipc/uapi_linux.go} + {@code uapi_unix.go} make it:
 * <ul>
 *   <li>the directory is created 0755 if missing; the socket is 0600 from the moment it appears
 *       (bound in a private 0700 directory, chmod-ed, then renamed into place, so no umask games);
 *   <li>an existing socket nobody listens on (a crashed daemon's) is replaced; one that accepts a
 *       connection is left alone and {@link #bind} fails with "in use";
 *   <li>{@link #adopt} takes an inherited listening descriptor instead ({@code WG_UAPI_FD});
 *   <li>when the socket file disappears or is replaced, {@code onSocketDeleted} runs once (the
 *       daemon exits then, as wireguard-go does); {@link #close()} removes the file if it is still
 *       ours.
 * </ul>
 * Each connection is served by its own thread ({@link UapiConnection}); a client that stops
 * sending or reading is dropped after the idle timeout, and at most {@link Options#maxConnections}
 * are served at once (more are closed on accept), so a hostile client cannot exhaust the daemon.
 */
public final class UapiServer implements AutoCloseable {
    /** Where wireguard-go and {@code wg} look for userspace interfaces. */
    public static final Path SOCKET_DIRECTORY = Path.of("/var/run/wireguard");
    private static final Logger LOG = Logger.getLogger(UapiServer.class.getName());

    /**
     * Tunables.
     *
     * @param idleTimeout     how long a blocking read or write of one connection may take
     * @param lockedLimit     how long one set operation may keep streaming under the config lock
     * @param maxConnections  connections served at once
     */
    public record Options(Duration idleTimeout, Duration lockedLimit, int maxConnections) {
        /** 15 s idle, 120 s locked streaming, 64 connections. */
        public static final Options DEFAULT = new Options(Duration.ofSeconds(15), Duration.ofSeconds(120), 64);
    }

    private final UapiDevice device;
    private final Path socketPath;
    private final Object fileKey;
    private final Options options;
    private final Runnable onSocketDeleted;
    private final ServerSocketChannel channel; // null when adopted
    private final int adoptedFd;              // -1 when bound here
    private final Set<UapiConnection> connections = ConcurrentHashMap.newKeySet();
    /** Reaps expired connections while there are any; the file check's fallback. Idle: asleep. */
    private final ScheduledExecutorService timer;
    private final SocketFileWatch watch; // null when there is no file of ours
    private final long reapMillis;
    private ScheduledFuture<?> reaper; // guarded by connections; scheduled only while some are open
    private final Thread acceptor;
    private final AtomicBoolean closed = new AtomicBoolean();

    private UapiServer(UapiDevice device, Path socketPath, Object fileKey, Options options, Runnable onSocketDeleted,
            ServerSocketChannel channel, int adoptedFd) {
        this.device = device;
        this.socketPath = socketPath;
        this.fileKey = fileKey;
        this.options = options;
        this.onSocketDeleted = onSocketDeleted;
        this.channel = channel;
        this.adoptedFd = adoptedFd;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("uapi-timer-" + socketPath.getFileName()).factory());
        this.reapMillis = Math.max(10, Math.min(options.idleTimeout().toMillis() / 4, 250));
        this.watch = fileKey == null ? null : new SocketFileWatch(socketPath, fileKey, this::socketGone, timer);
        this.acceptor = Thread.ofPlatform().daemon().name("uapi-accept-" + socketPath.getFileName())
                .start(channel != null ? this::acceptChannels : this::acceptFds);
    }

    /** Binds {@code /var/run/wireguard/IFNAME.sock} with default options. */
    public static UapiServer bind(String ifname, UapiDevice device, Runnable onSocketDeleted) throws IOException {
        return bind(SOCKET_DIRECTORY, ifname, device, Options.DEFAULT, onSocketDeleted);
    }

    /** Binds {@code directory/IFNAME.sock}; throws "in use" if a live socket is there. */
    public static UapiServer bind(Path directory, String ifname, UapiDevice device, Options options,
            Runnable onSocketDeleted) throws IOException {
        Path path = socketPath(directory, ifname);
        if (!Files.isDirectory(directory)) {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS) && isLive(path)) {
            throw new IOException("UAPI socket " + path + " is in use by another process");
        }
        Path privateDir = Files.createTempDirectory(directory, "." + ifname + "-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            Path staging = privateDir.resolve("s");
            server.bind(UnixDomainSocketAddress.of(staging));
            Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rw-------"));
            try {
                Files.move(staging, path, StandardCopyOption.ATOMIC_MOVE); // rename(2) replaces a stale file
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename a socket into " + directory, e);
            }
            return new UapiServer(device, path, SocketFileWatch.fileKey(path), options, onSocketDeleted, server, -1);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        } finally {
            Files.deleteIfExists(privateDir.resolve("s"));
            Files.deleteIfExists(privateDir);
        }
    }

    /**
     * Serves an inherited listening socket ({@code WG_UAPI_FD}, bound by whoever started us at
     * {@code directory/IFNAME.sock}). The file there, if any, is watched and removed on close.
     */
    public static UapiServer adopt(int fd, Path directory, String ifname, UapiDevice device, Options options,
            Runnable onSocketDeleted) throws IOException {
        if (fd < 0) {
            throw new IllegalArgumentException("bad descriptor " + fd);
        }
        Path path = socketPath(directory, ifname);
        Object key = null;
        try {
            key = SocketFileWatch.fileKey(path);
        } catch (NoSuchFileException e) {
            // nothing at the usual path to watch or remove
        }
        return new UapiServer(device, path, key, options, onSocketDeleted, null, fd);
    }

    /** {@code directory/IFNAME.sock}. */
    public static Path socketPath(Path directory, String ifname) {
        Objects.requireNonNull(ifname, "ifname");
        if (ifname.isEmpty() || ifname.contains("/") || ifname.equals(".") || ifname.equals("..")) {
            throw new IllegalArgumentException("bad interface name \"" + ifname + "\"");
        }
        return directory.resolve(ifname + ".sock");
    }

    /** The socket file. */
    public Path socketPath() {
        return socketPath;
    }

    /** Connections being served now. */
    public int connectionCount() {
        return connections.size();
    }

    private static boolean isLive(Path path) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false; // ECONNREFUSED (stale), not a socket, gone: all replaceable
        }
    }

    private void acceptChannels() {
        while (!closed.get()) {
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (IOException e) {
                if (!closed.get()) {
                    LOG.log(Level.WARNING, "UAPI accept failed", e);
                }
                return;
            }
            serve(new ChannelTransport(client), Thread.ofVirtual());
        }
    }

    private void acceptFds() {
        while (!closed.get()) {
            int client;
            try {
                if (!NativeSocket.awaitReadable(adoptedFd, 100)) {
                    continue;
                }
                client = NativeSocket.accept(adoptedFd);
            } catch (IOException e) {
                if (!closed.get()) {
                    LOG.log(Level.WARNING, "UAPI accept failed", e);
                }
                return;
            }
            // Native blocking calls would pin a virtual thread's carrier: platform threads here.
            serve(new NativeSocket.FdTransport(client), Thread.ofPlatform().daemon());
        }
    }

    private void serve(UapiConnection.Transport transport, Thread.Builder threads) {
        UapiConnection connection = new UapiConnection(device, transport, options.idleTimeout().toNanos(),
                options.lockedLimit().toNanos());
        if (connections.size() >= options.maxConnections() || closed.get()) {
            connection.close();
            return;
        }
        synchronized (connections) {
            connections.add(connection);
            if (reaper == null) {
                reaper = timer.scheduleWithFixedDelay(this::reap, reapMillis, reapMillis, TimeUnit.MILLISECONDS);
            }
        }
        threads.name("uapi-conn").start(() -> {
            try {
                connection.run();
            } finally {
                connections.remove(connection);
            }
        });
    }

    private void reap() {
        long now = System.nanoTime();
        for (UapiConnection connection : connections) {
            if (connection.reapIfExpired(now)) {
                LOG.fine("UAPI client timed out");
            }
        }
        synchronized (connections) {
            if (connections.isEmpty() && reaper != null) {
                reaper.cancel(false);
                reaper = null;
            }
        }
    }

    private void socketGone() {
        if (!closed.get()) {
            onSocketDeleted.run();
        }
    }

    /** Stops accepting, drops every connection and removes the socket file if it is still ours. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (watch != null) {
            watch.close();
        }
        timer.shutdownNow();
        try {
            if (channel != null) {
                channel.close();
            } else {
                NativeSocket.shutdown(adoptedFd);
            }
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing the UAPI socket", e);
        }
        try {
            acceptor.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (channel == null) {
            NativeSocket.close(adoptedFd);
        }
        for (UapiConnection connection : connections) {
            connection.close();
        }
        if (fileKey != null) {
            try {
                if (fileKey.equals(SocketFileWatch.currentKey(socketPath))) {
                    Files.delete(socketPath);
                }
            } catch (IOException e) {
                // already gone, or replaced by another daemon: not ours to remove
            }
        }
    }

    /** A JDK Unix-domain channel; closing it from the reaper wakes a blocked read or write. */
    private record ChannelTransport(SocketChannel channel) implements UapiConnection.Transport {
        @Override
        public int read(ByteBuffer dst) throws IOException {
            return channel.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return channel.write(src);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
