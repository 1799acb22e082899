package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.TestSettings;
import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The jwg daemon's process contract, which must be wireguard-go's: it exits and removes its UAPI
 * socket on SIGTERM/SIGINT, when its interface is deleted and when its socket is deleted;
 * {@code jwg IFNAME} daemonizes and returns 0 only once the socket listens; bad or taken names
 * exit 1; a stale socket is replaced; and {@code wg-quick} drives it through
 * {@code WG_QUICK_USERSPACE_IMPLEMENTATION}.
 *
 * <p>Run with {@code -Djwg.test.impl=wireguard-go} to validate the tests with wireguard-go in
 * jwg's role (see {@link Daemons}). One assertion is jwg's own and marked so: a failed launch
 * prints exactly one line on stderr (wireguard-go prints its error on stdout and a banner on
 * stderr; with wireguard-go in jwg's role the test checks wireguard-go's form instead).
 */
class DaemonLifecycleTest {
    /** How fast the daemon must notice and exit (issue #3). */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(2);
    /** A signal is a graceful stop, bounded by issue #6 (measured 40-370 ms, DaemonNotifyTest). */
    private static final Duration SIGNAL_EXIT_WAIT = Duration.ofSeconds(1);
    /** A daemonizing launch may build the jar (jwg) and starts a JVM: generous, but bounded. */
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(90);

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "wireguard-go", "ping", "wg-quick", "bash", "kill");
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldExitAndRemoveSocketWhenItsLinkIsDeleted() {
        try (Netns ns = Netns.create(); Daemon daemon = Daemons.jwg(ns)) {
            ns.execOk("ip", "link", "del", daemon.ifname());
            assertExitedAndCleanedUp(daemon, ns, EXIT_WAIT);
        }
    }

    @Test
    void shouldExitAndRemoveSocketOnSigterm() {
        try (Netns ns = Netns.create(); Daemon daemon = Daemons.jwg(ns)) {
            Exec.runOk("kill", "-TERM", Long.toString(daemon.pid()));
            assertExitedAndCleanedUp(daemon, ns, SIGNAL_EXIT_WAIT);
        }
    }

    @Test
    void shouldExitAndRemoveSocketOnSigint() {
        try (Netns ns = Netns.create(); Daemon daemon = Daemons.jwg(ns)) {
            Exec.runOk("kill", "-INT", Long.toString(daemon.pid()));
            assertExitedAndCleanedUp(daemon, ns, SIGNAL_EXIT_WAIT);
        }
    }

    @Test
    void shouldExitWhenItsSocketIsDeleted() throws IOException {
        try (Netns ns = Netns.create(); Daemon daemon = Daemons.jwg(ns)) {
            Files.delete(daemon.socket());
            assertExitedAndCleanedUp(daemon, ns, EXIT_WAIT);
        }
    }

    @Test
    void shouldDaemonizeAndReturnOnlyOnceTheSocketListens() {
        String ifname = Daemon.uniqueIfname();
        Path socket = Daemon.socketOf(ifname);
        try (Netns ns = Netns.create()) {
            try {
                ExecResult launch = launch(ns, ifname);
                // Checked before anything else: the socket must already be there when it returns.
                boolean socketAtReturn = Daemon.listening(socket);

                assertEquals(0, launch.exitCode(), launch::describe);
                assertTrue(socketAtReturn, () -> socket + " not listening when the launcher returned\n" + launch.describe());
                assertTrue(ns.exec("ip", "link", "show", ifname).ok(), "interface missing when the launcher returned");
                List<ProcessHandle> daemons = processesIn(ns);
                assertFalse(daemons.isEmpty(), "nothing left running in the namespace after the launcher returned");
                ns.execOk("wg", "set", ifname, "listen-port", "51820");
                assertEquals("51820", ns.execOk("wg", "show", ifname, "listen-port").stdout().strip());
                assertTrue(daemons.stream().allMatch(ProcessHandle::isAlive), "the daemon did not keep running");

                daemons.forEach(ProcessHandle::destroy); // SIGTERM
                Await.assertWithin(EXIT_WAIT, () -> processesIn(ns).isEmpty() && !Files.exists(socket),
                        () -> "daemonized process did not exit and remove " + socket + " on SIGTERM");
            } finally {
                deleteQuietly(socket);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bad/name", "sixteen-chars-xx"})
    void shouldExitWithOneWhenTheNameIsInvalid(String ifname) {
        try (Netns ns = Netns.create()) {
            ExecResult launch = launch(ns, ifname);

            assertEquals(1, launch.exitCode(), launch::describe);
            assertOneErrorLine(launch);
            assertTrue(processesIn(ns).isEmpty(), "a process was left behind");
        }
    }

    @Test
    void shouldExitWithOneOnAnInvalidAeadChoice() {
        if (!Daemons.jwgIsReal()) {
            return; // JWG_AEAD is jwg's own switch; wireguard-go has nothing to validate here
        }
        try (Netns ns = Netns.create()) {
            String ifname = Daemon.uniqueIfname();
            ExecResult launch = ns.exec(LAUNCH_TIMEOUT, "env", "JWG_AEAD=bogus", Daemons.jwgExecutable(), ifname);

            assertEquals(1, launch.exitCode(), launch::describe);
            assertOneErrorLine(launch);
            assertTrue(launch.stderr().contains("JWG_AEAD must be auto, openssl or jdk"), launch::describe);
            assertTrue(processesIn(ns).isEmpty(), "a process was left behind");
            assertFalse(ns.exec("ip", "link", "show", ifname).ok(), "the interface was created");
        }
    }

    @Test
    void shouldRefuseAnInvalidTestOnlySettingInOneLine() {
        if (!Daemons.jwgIsReal()) {
            return; // a jwg setting; wireguard-go has no such thing
        }
        try (Netns ns = Netns.create()) {
            String property = "-D" + TestSettings.REKEY_AFTER_TIME_PROPERTY + "=0";
            ExecResult launch = ns.exec(LAUNCH_TIMEOUT, "env", "JWG_EXTRA_JAVA_OPTS=" + property, Daemons.jwgExecutable(),
                    "-f", Daemon.uniqueIfname());

            assertEquals(1, launch.exitCode(), launch::describe);
            assertOneErrorLine(launch);
            assertTrue(launch.stderr().contains(property + ": expected a whole number of seconds from 1 to 120"),
                    launch::describe);
            assertTrue(processesIn(ns).isEmpty(), "a process was left behind");
        }
    }

    @Test
    void shouldRefuseANameWhoseDaemonIsRunning() {
        try (Netns ns = Netns.create(); Netns other = Netns.create(); Daemon running = Daemons.jwg(ns)) {
            // Same namespace: the TUN name is taken. Other namespace: the (host-wide) socket is live.
            for (Netns where : List.of(ns, other)) {
                ExecResult launch = launch(where, running.ifname());

                assertEquals(1, launch.exitCode(), () -> "in " + where + ": " + launch.describe());
                assertOneErrorLine(launch);
            }
            assertTrue(processesIn(other).isEmpty(), "a process was left behind");
            assertTrue(running.isAlive(), running::describe);
            // The live socket was neither replaced nor removed.
            running.wgOk("show", running.ifname());
        }
    }

    @Test
    void shouldReplaceAStaleSocket() throws IOException {
        String ifname = Daemon.uniqueIfname();
        Path socket = Daemon.socketOf(ifname);
        Files.createDirectories(socket.getParent());
        // Bound, then closed without unlinking: the file a killed daemon leaves behind.
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(socket));
        }
        try (Netns ns = Netns.create(); Daemon daemon = Daemons.jwg(ns, ifname)) {
            daemon.wgOk("set", ifname, "listen-port", "51820");
            assertEquals(51820, daemon.listenPort());
        } finally {
            deleteQuietly(socket);
        }
    }

    /**
     * {@code wg-quick up} with jwg as {@code WG_QUICK_USERSPACE_IMPLEMENTATION} (there is no kernel
     * module, so wg-quick falls back to it), the tunnel carries pings, and {@code wg-quick down},
     * which removes the socket, makes the daemon exit and the interface disappear.
     */
    @Test
    void shouldComeUpAndGoDownWithWgQuick() throws IOException {
        WgKeyPair own = WgKeyPair.generate();
        WgKeyPair far = WgKeyPair.generate();
        String ifname = Daemon.uniqueIfname();
        Path dir = Files.createTempDirectory("jwgt-wg-quick");
        Path conf = dir.resolve(ifname + ".conf"); // wg-quick takes the interface name from the file name
        try (Netns ns = Netns.create(); Netns farNs = Netns.create()) {
            ns.veth(farNs, Pair.OUTER_A4 + "/24", Pair.OUTER_B4 + "/24");
            try (Daemon go = Daemons.wireguardGo(farNs)) {
                Pair.configure(go, far, Pair.PORT, own, null, Pair.INNER_A4 + "/32", 0);
                go.up(Pair.INNER_B4 + "/24");
                Files.writeString(Files.createFile(conf,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))), """
                        [Interface]
                        Address = %s/24
                        ListenPort = %d
                        PrivateKey = %s

                        [Peer]
                        PublicKey = %s
                        Endpoint = %s:%d
                        AllowedIPs = %s/32
                        PersistentKeepalive = 1
                        """.formatted(Pair.INNER_A4, Pair.PORT, own.privateKey(), far.publicKey(),
                        Pair.OUTER_B4, Pair.PORT, Pair.INNER_B4));

                ExecResult up = ns.exec(LAUNCH_TIMEOUT, "env",
                        "WG_QUICK_USERSPACE_IMPLEMENTATION=" + Daemons.jwgExecutable(), "wg-quick", "up", conf.toString());
                assertTrue(up.ok(), up::describe);
                assertTrue(isSocket(Daemon.socketOf(ifname)), () -> "no userspace socket: " + up.describe());
                assertFalse(processesIn(ns).isEmpty(), "no daemon running after wg-quick up");
                DaemonInteropTest.assertPing(ns, Pair.INNER_B4, go);
                DaemonInteropTest.assertPing(farNs, Pair.INNER_A4, go);
                assertEquals("1", ns.execOk("wg", "show", ifname, "persistent-keepalive").stdout().strip().split("\t")[1]);

                ExecResult down = ns.exec("wg-quick", "down", conf.toString());
                assertTrue(down.ok(), down::describe);
                Await.assertWithin(EXIT_WAIT, () -> processesIn(ns).isEmpty()
                                && !Files.exists(Daemon.socketOf(ifname))
                                && !ns.exec("ip", "link", "show", ifname).ok(),
                        () -> "after wg-quick down: processes " + processesIn(ns) + ", socket "
                                + Files.exists(Daemon.socketOf(ifname)) + "\n" + down.describe());
            }
        } finally {
            deleteQuietly(Daemon.socketOf(ifname));
            deleteQuietly(conf);
            deleteQuietly(dir);
        }
    }

    /** Runs the implementation under test as {@code EXE IFNAME} (daemonizing) in {@code ns}. */
    private static ExecResult launch(Netns ns, String ifname) {
        return ns.exec(LAUNCH_TIMEOUT, Daemons.jwgExecutable(), ifname);
    }

    /**
     * A failed launch explains itself in one line. jwg: exactly one non-empty line on stderr (jwg's
     * own contract). wireguard-go, validating the test in jwg's role: an {@code ERROR:} line on stdout.
     */
    private static void assertOneErrorLine(ExecResult launch) {
        if (Daemons.jwgIsReal()) {
            List<String> lines = launch.stderr().lines().filter(line -> !line.isBlank()).toList();
            assertEquals(1, lines.size(), () -> "expected one line on stderr: " + launch.describe());
        } else {
            assertTrue(launch.stdout().lines().anyMatch(line -> line.startsWith("ERROR:")), launch::describe);
        }
    }

    /** The daemon exited within {@code bound}, its socket is gone, and so is its interface. */
    private static void assertExitedAndCleanedUp(Daemon daemon, Netns ns, Duration bound) {
        assertTrue(daemon.awaitExit(bound), () -> "still running after " + bound + "\n" + daemon.describe());
        assertFalse(Files.exists(daemon.socket(), LinkOption.NOFOLLOW_LINKS),
                () -> daemon.socket() + " left behind\n" + daemon.log());
        Await.assertWithin(EXIT_WAIT, () -> !ns.exec("ip", "link", "show", daemon.ifname()).ok(),
                () -> "interface left behind");
    }

    /** Every process in {@code ns}; a fresh namespace holds only what the test started there. */
    private static List<ProcessHandle> processesIn(Netns ns) {
        return Exec.run("ip", "netns", "pids", ns.name()).stdout().lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .map(Long::parseLong)
                .map(ProcessHandle::of)
                .flatMap(Optional::stream)
                .filter(ProcessHandle::isAlive)
                .toList();
    }

    private static boolean isSocket(Path path) {
        try {
            return Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
