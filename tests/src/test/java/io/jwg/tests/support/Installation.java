package io.jwg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * jwg installed by {@code scripts/install} into a prefix under {@code /var/lib}, once per test
 * JVM and removed at its exit. Not under the checkout: the unit sandbox of
 * {@code unit-sandbox.sh} hides /tmp, /root and /home, as systemd's PrivateTmp and ProtectHome
 * do, and a checkout often lives in one of them (a CI clone in /tmp, root's in /root). The
 * prefix is what systemd would see as {@code /usr/local}.
 */
public final class Installation {
    /** Installing may build the jar and runs the ahead-of-time training once. */
    public static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(5);

    private static Installation shared;

    private final Path prefix;

    private Installation(Path prefix) {
        this.prefix = prefix;
    }

    /** The shared installation, made on first use; throws with the installer's output if it fails. */
    public static synchronized Installation get() {
        if (shared == null) {
            Path prefix = Path.of("/var/lib", "jwgt-install-" + ProcessHandle.current().pid());
            ShutdownCleanup.register(() -> deleteTree(prefix));
            Exec.requireOk(install("--prefix", prefix.toString()));
            shared = new Installation(prefix);
        }
        return shared;
    }

    /** Runs {@code scripts/install args...} of this checkout. */
    public static ExecResult install(String... args) {
        List<String> command = new ArrayList<>(List.of(Jwg.home().resolve("scripts/install").toString()));
        command.addAll(List.of(args));
        return Exec.run(INSTALL_TIMEOUT, null, command);
    }

    /** PREFIX. */
    public Path prefix() {
        return prefix;
    }

    /** The installed launcher, PREFIX/bin/jwg. */
    public Path launcher() {
        return prefix.resolve("bin/jwg");
    }

    /** Where the units went, PREFIX/lib/systemd/system. */
    public Path unitDir() {
        return prefix.resolve("lib/systemd/system");
    }

    /**
     * The values of {@code key=} lines in an installed unit or drop-in ({@code name} relative to
     * {@link #unitDir()}), in order.
     */
    public List<String> unitValues(String name, String key) {
        try (Stream<String> lines = Files.lines(unitDir().resolve(name))) {
            return lines.filter(line -> line.startsWith(key + "="))
                    .map(line -> line.substring(key.length() + 1))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes {@code dir} and everything in it; quiet when it is already gone. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.err.println("jwgt: cannot remove " + dir + ": " + e);
        }
    }
}
