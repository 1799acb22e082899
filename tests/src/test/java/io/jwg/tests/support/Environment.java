package io.jwg.tests.support;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions of the root/netns test layer. A test calls these first, or from
 * {@code @BeforeEach}; when a requirement is missing the test is skipped with the reason printed
 * to stderr, except under {@code CI=true}, where a skipped interop test would hide a broken
 * pipeline, so it fails instead. Prefer {@code @BeforeEach} to {@code @BeforeAll}: surefire
 * reports a class aborted in {@code @BeforeAll} as zero tests run, not as skipped.
 */
public final class Environment {
    private static final int CAP_NET_ADMIN = 12;
    private static final int CAP_SYS_ADMIN = 21;

    private Environment() {
    }

    /**
     * Whether this run is CI. The parent pom hands surefire {@code CI=${env.CI}}; with CI unset,
     * Maven 3.9.11 with surefire 3.5.4 passes an empty value (checked), and other versions may pass
     * the unresolved text {@code ${env.CI}}, so only the exact value {@code true} counts.
     */
    public static boolean isCi() {
        return "true".equals(System.getenv("CI"));
    }

    /** Requires effective uid 0 with CAP_NET_ADMIN and CAP_SYS_ADMIN (network namespaces, TUN). */
    public static void requireRoot() {
        String status;
        try {
            status = Files.readString(Path.of("/proc/self/status"));
        } catch (IOException e) {
            unmet("cannot read /proc/self/status (" + e.getMessage() + "); not Linux?");
            return;
        }
        String[] uids = field(status, "Uid:").split("\\s+");
        if (uids.length < 2 || !uids[1].equals("0")) {
            unmet("needs root (network namespaces); run scripts/test, which elevates itself");
            return;
        }
        String capEff = field(status, "CapEff:");
        long capabilities = capEff.isEmpty() ? 0 : Long.parseUnsignedLong(capEff, 16);
        if ((capabilities & (1L << CAP_NET_ADMIN)) == 0 || (capabilities & (1L << CAP_SYS_ADMIN)) == 0) {
            unmet("root but without CAP_NET_ADMIN/CAP_SYS_ADMIN (unprivileged container?)");
        }
    }

    /**
     * Everything a netns interop test against wireguard-go needs: root, a TUN device, and the
     * {@code ip}, {@code wg}, {@code wireguard-go} and {@code ping} commands. Call it from
     * {@code @BeforeEach} (surefire does not report an abort in {@code @BeforeAll} as a skip).
     */
    public static void requireWireGuardGoInterop() {
        requireRoot();
        requireTun();
        requireCommands("ip", "wg", "wireguard-go", "ping");
    }

    /** Requires every named command to be an executable on PATH. */
    public static void requireCommands(String... commands) {
        List<String> missing = new ArrayList<>();
        for (String command : commands) {
            if (!onPath(command)) {
                missing.add(command);
            }
        }
        if (!missing.isEmpty()) {
            unmet("missing commands " + missing + " (scripts/test installs them on Debian)");
        }
    }

    /** Requires {@code /dev/net/tun} to exist and be openable for reading and writing. */
    public static void requireTun() {
        try (RandomAccessFile tun = new RandomAccessFile("/dev/net/tun", "rw")) {
            tun.getFD(); // opened is all we need to know
        } catch (IOException e) {
            unmet("cannot open /dev/net/tun (" + e.getMessage() + ")");
        }
    }

    /**
     * Skips the current test with {@code reason}, printed to stderr so skips are visible in the
     * build log; under {@code CI=true} throws an {@link AssertionError} instead.
     */
    public static void unmet(String reason) {
        if (isCi()) {
            throw new AssertionError("requirement not met, and CI=true turns skips into failures: " + reason);
        }
        System.err.println("SKIPPED: " + reason);
        Assumptions.abort(reason);
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String directory : path.split(":")) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, command))) {
                return true;
            }
        }
        return false;
    }

    private static String field(String procStatus, String key) {
        return procStatus.lines()
                .filter(line -> line.startsWith(key))
                .map(line -> line.substring(key.length()).strip())
                .findFirst()
                .orElse("");
    }
}
