package io.jwg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A userspace WireGuard daemon with wireguard-go's contract, running in the foreground
 * ({@code EXE -f IFNAME}) inside a {@link Netns} and configured only through {@code wg} over its
 * UAPI socket. {@link WireGuardGo} and {@link Jwg} are the two implementations; interop tests are
 * written against this type so the same test drives either (see {@link Daemons}).
 *
 * <p>The daemon's output (verbose log) goes to a file under {@code target/}, readable through
 * {@link #log()} for failure messages. {@link #close()} stops it (SIGTERM, then SIGKILL) and
 * removes its socket and interface; a JVM shutdown hook does the same if a test never closes it.
 */
public abstract class Daemon implements AutoCloseable {
    /** Where wireguard-go (and jwg) put UAPI sockets; shared by every namespace on the host. */
    public static final Path SOCKET_DIR = Path.of("/var/run/wireguard");

    private static final Duration STOP_GRACE = Duration.ofSeconds(2);
    private static final Duration POLL = Duration.ofMillis(20);

    private final Netns netns;
    private final String ifname;
    private final Path log;
    private final Process process;
    private final Runnable cleanup;
    private boolean closed;

    /**
     * Starts {@code command} (the daemon's full command line, run inside {@code netns}) with
     * {@code WG_PROCESS_FOREGROUND=1}, {@code LOG_LEVEL=verbose} and {@code extraEnv}, output to
     * {@code log}. Subclasses call {@link #awaitSocket(Duration)} afterwards, through
     * {@link Setup#orClose}.
     */
    protected Daemon(Netns netns, String ifname, List<String> command, Map<String, String> extraEnv, Path log) {
        this.netns = netns;
        this.ifname = ifname;
        this.log = log;
        ProcessBuilder builder = new ProcessBuilder(netns.command(command.toArray(String[]::new)))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("WG_PROCESS_FOREGROUND", "1");
        builder.environment().put("LOG_LEVEL", "verbose");
        builder.environment().putAll(extraEnv);
        try {
            this.process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        Process started = process;
        this.cleanup = ShutdownCleanup.register(() -> stop(started, netns, ifname));
    }

    /** A fresh interface name, {@code wgt} + 6 hex digits: unique on the host, within IFNAMSIZ. */
    public static String uniqueIfname() {
        return uniqueIfname("wgt");
    }

    /** A fresh interface name, {@code prefix} (at most 9 characters) + 6 hex digits. */
    public static String uniqueIfname(String prefix) {
        return prefix + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    }

    /** The UAPI socket path for {@code ifname}. */
    public static Path socketOf(String ifname) {
        return SOCKET_DIR.resolve(ifname + ".sock");
    }

    /** Which implementation this is, for messages: {@code wireguard-go} or {@code jwg}. */
    public abstract String implementation();

    /** The interface (and socket) name. */
    public final String ifname() {
        return ifname;
    }

    /** The namespace the daemon was started in (its UDP socket stays there even if the TUN moves). */
    public final Netns netns() {
        return netns;
    }

    /** The UAPI socket the daemon listens on. */
    public final Path socket() {
        return socketOf(ifname);
    }

    /**
     * The daemon's process id. {@code ip netns exec} and the {@code bin/jwg} launcher both exec
     * into the daemon, so this is the daemon itself, not a wrapper.
     */
    public final long pid() {
        return process.pid();
    }

    /** The daemon's process, to signal it or await its exit. */
    public final Process process() {
        return process;
    }

    /** Whether the daemon process still runs. */
    public final boolean isAlive() {
        return process.isAlive();
    }

    /** The file the daemon's output goes to. */
    public final Path logFile() {
        return log;
    }

    /** The daemon's output so far, for assertion messages. */
    public final String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Runs {@code wg args...} inside the namespace, e.g. {@code wg("show", ifname(), "dump")}. */
    public final ExecResult wg(String... args) {
        List<String> command = new ArrayList<>(List.of("wg"));
        command.addAll(Arrays.asList(args));
        return netns.exec(command.toArray(String[]::new));
    }

    /** Like {@link #wg} but throws, with the daemon's log, unless it succeeds. */
    public final ExecResult wgOk(String... args) {
        ExecResult result = wg(args);
        if (!result.ok()) {
            throw new AssertionError(result.describe() + "\n--- " + this + " log\n" + log());
        }
        return result;
    }

    /** Sets the private key the way users do: {@code wg set IF private-key FILE}, file mode 0600. */
    public final void setPrivateKey(String base64) {
        withKeyFile(base64, file -> wgOk("set", ifname, "private-key", file.toString()));
    }

    /** Sets a peer's pre-shared key: {@code wg set IF peer PUB preshared-key FILE}, file mode 0600. */
    public final void setPresharedKey(String peerPublicKey, String base64) {
        withKeyFile(base64, file -> wgOk("set", ifname, "peer", peerPublicKey, "preshared-key", file.toString()));
    }

    /** Adds {@code cidr} to the interface (IPv6 with {@code nodad}) and brings it up. */
    public final void up(String cidr) {
        addAddress(cidr);
        netns.execOk("ip", "link", "set", ifname, "up");
    }

    /** Adds {@code cidr} to the interface; IPv6 without duplicate address detection, usable at once. */
    public final void addAddress(String cidr) {
        if (cidr.contains(":")) {
            netns.execOk("ip", "-6", "addr", "add", cidr, "dev", ifname, "nodad");
        } else {
            netns.execOk("ip", "addr", "add", cidr, "dev", ifname);
        }
    }

    /**
     * The latest handshake with {@code peerPublicKey} in seconds since the epoch, 0 when none,
     * read from {@code wg show IF dump}.
     */
    public final long latestHandshake(String peerPublicKey) {
        return Long.parseLong(peerField(peerPublicKey, 4));
    }

    /** The peer's endpoint as {@code wg show IF dump} prints it ({@code (none)} when unknown). */
    public final String endpoint(String peerPublicKey) {
        return peerField(peerPublicKey, 2);
    }

    /** Bytes received from the peer, from {@code wg show IF dump}. */
    public final long rxBytes(String peerPublicKey) {
        return Long.parseLong(peerField(peerPublicKey, 5));
    }

    /** Bytes sent to the peer, from {@code wg show IF dump}. */
    public final long txBytes(String peerPublicKey) {
        return Long.parseLong(peerField(peerPublicKey, 6));
    }

    /** The UDP port the daemon listens on, from {@code wg show IF listen-port}. */
    public final int listenPort() {
        return Integer.parseInt(wgOk("show", ifname, "listen-port").stdout().strip());
    }

    /** {@code wg show IF} plus the log, for assertion messages. */
    public final String describe() {
        return "--- " + this + ": wg show\n" + wg("show", ifname).describe() + "\n--- " + this + " log\n" + log();
    }

    /**
     * Waits up to {@code timeout} for the daemon process to exit; returns whether it did. Never
     * blocks longer, so a hung daemon fails the test instead of hanging it.
     */
    public final boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the daemon (SIGTERM, then SIGKILL) and removes its socket and interface. Idempotent. */
    @Override
    public final synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop(process, netns, ifname);
        } finally {
            ShutdownCleanup.unregister(cleanup);
        }
        afterStop();
    }

    /** Checks made once the daemon has stopped; the default checks nothing. */
    protected void afterStop() {
    }

    @Override
    public String toString() {
        return implementation() + " " + ifname + " in " + netns;
    }

    /**
     * Waits (at most {@code timeout}) until the UAPI socket accepts a connection; throws with the
     * log if the daemon exits first. Existence is not enough: a stale socket file may be there
     * before the daemon replaces it.
     */
    protected final void awaitSocket(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!listening(socket())) {
            if (!process.isAlive()) {
                throw new IllegalStateException(this + " exited with " + process.exitValue()
                        + " before creating " + socket() + "\n--- log\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + socket() + " after " + timeout + "\n--- log\n" + log());
            }
            sleep(POLL);
        }
    }

    /** Whether a Unix socket at {@code path} accepts connections (connects and hangs up at once). */
    public static boolean listening(Path path) {
        if (!Files.exists(path)) {
            return false;
        }
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return channel.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** A new log file for {@code ifname} under {@code target/<dir>/}, or in /tmp when that fails. */
    protected static Path logFile(String dir, String ifname) {
        Path directory = Path.of("target", dir);
        try {
            Files.createDirectories(directory);
            return Files.createTempFile(directory, ifname + "-", ".log");
        } catch (IOException e) {
            try {
                return Files.createTempFile("jwgt-" + ifname + "-", ".log");
            } catch (IOException again) {
                throw new UncheckedIOException(again);
            }
        }
    }

    private String peerField(String peerPublicKey, int field) {
        // Peer lines: public-key preshared-key endpoint allowed-ips latest-handshake rx tx keepalive
        return wgOk("show", ifname, "dump").stdout().lines()
                .skip(1)
                .map(line -> line.split("\t"))
                .filter(fields -> fields.length >= 8 && fields[0].equals(peerPublicKey))
                .map(fields -> fields[field])
                .findFirst()
                .orElseThrow(() -> new AssertionError("no peer " + peerPublicKey + " on " + this + "\n"
                        + wg("show", ifname, "dump").stdout().lines().collect(Collectors.joining("\n"))));
    }

    /** Hands {@code base64} to {@code use} in a private temporary file, deleted afterwards. */
    private static void withKeyFile(String base64, Consumer<Path> use) {
        Path file = null;
        try {
            file = Files.createTempFile("jwgt-key", ".key",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, base64 + "\n");
            use.accept(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // A temp file in /tmp is not worth failing the test over.
                }
            }
        }
    }

    private static void stop(Process process, Netns netns, String ifname) {
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            // Removed by the daemon on SIGTERM, but not after SIGKILL.
            Files.deleteIfExists(socketOf(ifname));
        } catch (IOException e) {
            System.err.println("jwgt: cannot remove socket of " + ifname + ": " + e);
        }
        // Usually gone with the process's TUN fd; the namespace may already be gone too.
        Exec.run(netns.command("ip", "link", "del", ifname).toArray(String[]::new));
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis()); // polling another process's state; no clock to inject
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
