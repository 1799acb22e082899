package io.jwg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Debian's {@code wireguard-go} running in the foreground inside a {@link Netns}: the reference
 * implementation jwg is tested against. Its verbose log goes to {@code target/wireguard-go/} for
 * diagnosis. {@link #close()} stops it and removes its UAPI socket and interface.
 */
public final class WireGuardGo implements AutoCloseable {
    /** Where wireguard-go (and jwg) put UAPI sockets; shared by every namespace on the host. */
    public static final Path SOCKET_DIR = Path.of("/var/run/wireguard");

    private static final Duration START_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    private final Netns netns;
    private final String ifname;
    private final Path log;
    private final Process process;
    private final Runnable cleanup;
    private boolean closed;

    private WireGuardGo(Netns netns, String ifname, Path log, Process process) {
        this.netns = netns;
        this.ifname = ifname;
        this.log = log;
        this.process = process;
        this.cleanup = ShutdownCleanup.register(() -> stop(process, netns, ifname));
    }

    /** A fresh interface name, {@code wgt} + 6 hex digits: unique on the host, within IFNAMSIZ. */
    public static String uniqueIfname() {
        return "wgt" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    }

    /** Starts wireguard-go on a new uniquely named interface in {@code netns}. */
    public static WireGuardGo start(Netns netns) {
        return start(netns, uniqueIfname());
    }

    /**
     * Starts {@code wireguard-go -f ifname} in {@code netns} and waits (at most 5 s) until its
     * UAPI socket exists; throws with its log if it exits or never gets there.
     */
    public static WireGuardGo start(Netns netns, String ifname) {
        Path log = logFile(ifname);
        ProcessBuilder builder = new ProcessBuilder(netns.command("wireguard-go", "-f", ifname))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("WG_PROCESS_FOREGROUND", "1");
        builder.environment().put("LOG_LEVEL", "verbose");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start wireguard-go", e);
        }
        return Setup.orClose(new WireGuardGo(netns, ifname, log, process), WireGuardGo::awaitSocket);
    }

    /** The interface (and socket) name. */
    public String ifname() {
        return ifname;
    }

    /** The namespace the interface lives in. */
    public Netns netns() {
        return netns;
    }

    /** The UAPI socket wireguard-go listens on. */
    public Path socket() {
        return SOCKET_DIR.resolve(ifname + ".sock");
    }

    /** wireguard-go's log so far, for assertion messages. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Runs {@code wg args...} inside the namespace, e.g. {@code wg("show", ifname(), "dump")}. */
    public ExecResult wg(String... args) {
        List<String> command = new ArrayList<>(List.of("wg"));
        command.addAll(Arrays.asList(args));
        return netns.exec(command.toArray(String[]::new));
    }

    /** Like {@link #wg} but throws, with wireguard-go's log, unless it succeeds. */
    public ExecResult wgOk(String... args) {
        ExecResult result = wg(args);
        if (!result.ok()) {
            throw new AssertionError(result.describe() + "\n--- wireguard-go log\n" + log());
        }
        return result;
    }

    /** Sets the private key the way users do: {@code wg set IF private-key FILE}, file mode 0600. */
    public void setPrivateKey(String base64) {
        withKeyFile(base64, file -> wgOk("set", ifname, "private-key", file.toString()));
    }

    /** Sets a peer's pre-shared key: {@code wg set IF peer PUB preshared-key FILE}, file mode 0600. */
    public void setPresharedKey(String peerPublicKey, String base64) {
        withKeyFile(base64, file -> wgOk("set", ifname, "peer", peerPublicKey, "preshared-key", file.toString()));
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

    /** Adds {@code cidr} to the interface and brings it up. */
    public void up(String cidr) {
        netns.execOk("ip", "addr", "add", cidr, "dev", ifname);
        netns.execOk("ip", "link", "set", ifname, "up");
    }

    /**
     * The latest handshake with {@code peerPublicKey} in seconds since the epoch, 0 when none,
     * read from {@code wg show IF dump}.
     */
    public long latestHandshake(String peerPublicKey) {
        // Peer lines: public-key preshared-key endpoint allowed-ips latest-handshake rx tx keepalive
        return wgOk("show", ifname, "dump").stdout().lines()
                .skip(1)
                .map(line -> line.split("\t"))
                .filter(fields -> fields.length >= 8 && fields[0].equals(peerPublicKey))
                .mapToLong(fields -> Long.parseLong(fields[4]))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no peer " + peerPublicKey + " on " + ifname));
    }

    /** Stops wireguard-go (SIGTERM, then SIGKILL) and removes its socket and interface. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop(process, netns, ifname);
        } finally {
            ShutdownCleanup.unregister(cleanup);
        }
    }

    @Override
    public String toString() {
        return "wireguard-go " + ifname + " in " + netns;
    }

    private void awaitSocket() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(socket())) {
            if (!process.isAlive()) {
                throw new IllegalStateException("wireguard-go exited with " + process.exitValue()
                        + " before creating " + socket() + "\n--- log\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + socket() + " after " + START_TIMEOUT + "\n--- log\n" + log());
            }
            try {
                Thread.sleep(20); // polling a file that another process creates; no clock to inject
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + socket(), e);
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
            // wireguard-go removes it on SIGTERM, but not after SIGKILL.
            Files.deleteIfExists(SOCKET_DIR.resolve(ifname + ".sock"));
        } catch (IOException e) {
            System.err.println("jwgt: cannot remove socket of " + ifname + ": " + e);
        }
        // Usually gone with the process's TUN fd; the namespace may already be gone too.
        Exec.run(netns.command("ip", "link", "del", ifname).toArray(String[]::new));
    }

    private static Path logFile(String ifname) {
        Path dir = Path.of("target", "wireguard-go");
        try {
            Files.createDirectories(dir);
            return Files.createTempFile(dir, ifname + "-", ".log");
        } catch (IOException e) {
            try {
                return Files.createTempFile("jwgt-" + ifname + "-", ".log");
            } catch (IOException again) {
                throw new UncheckedIOException(again);
            }
        }
    }
}
