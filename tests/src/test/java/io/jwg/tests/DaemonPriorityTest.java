package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code JWG_IO_NICE}: the threads that read the UDP socket and the TUN run ahead of the crypto
 * workers (nice -5 by default); without the privilege for that the daemon still works, at the
 * default priority, and says so; a bad value is refused in one line before anything is created.
 * The peer is wireguard-go, and traffic flows in every case. The JIT's threads run at nice 10 in
 * every case (the launcher's {@code -XX:CompilerThreadPriority}, as root), below everything else,
 * so compiling never delays start-up or packets. (The systemd unit's other way to the
 * privilege, {@code LimitNICE=}, cannot be tried here: raising RLIMIT_NICE needs
 * {@code CAP_SYS_RESOURCE}, which this machine's root does not have.)
 */
class DaemonPriorityTest {
    /** The TUN reader's name as the kernel keeps it (15 characters). */
    private static final String TUN_READER = "jwg-tun-reader-";
    private static final String JWG_INNER = "10.213.0.1";
    private static final String PEER_INNER = "10.213.0.2";
    /** The JIT's threads as the kernel names them (C1 and C2 compilers, the AOT training replay). */
    private static final List<String> JIT_THREADS = List.of("C1 CompilerThre", "C2 CompilerThre", "Training replay");
    /** Without CAP_SYS_NICE: setpriv drops it from the bounding set, so the exec'd launcher lacks it. */
    private static final List<String> NO_CAP_SYS_NICE = List.of("setpriv", "--bounding-set", "-sys_nice", "--inh-caps", "-sys_nice");

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("setpriv", "prlimit");
    }

    @Test
    void shouldRunTheReadersAtNiceMinusFiveByDefault() {
        Map<String, Integer> nice = niceWhileCarryingTraffic(List.of(), Map.of(), "Packet I/O threads run at nice -5");

        assertEquals(-5, nice.get("jwg-udp-1"), nice::toString);
        assertEquals(-5, nice.get(TUN_READER), nice::toString);
        assertCryptoAndTheRestInherited(nice);
    }

    @Test
    void shouldWorkAtTheDefaultPriorityAndSaySoWhenNotAllowed() {
        // RLIMIT_NICE is 0 unless raised (systemd: LimitNICE=), so without CAP_SYS_NICE nothing allows -5.
        List<String> wrapper = Stream.concat(NO_CAP_SYS_NICE.stream(), Stream.of("prlimit", "--nice=0:0")).toList();
        Map<String, Integer> nice = niceWhileCarryingTraffic(wrapper, Map.of(),
                "Could not give the packet I/O threads nice -5 (errno 13: needs CAP_SYS_NICE or LimitNICE=-5)");

        assertEquals(inherited(), nice.get("jwg-udp-1"), nice::toString);
        assertEquals(inherited(), nice.get(TUN_READER), nice::toString);
        assertCryptoAndTheRestInherited(nice);
    }

    @Test
    void shouldLeaveEveryThreadAloneWhenOff() {
        Map<String, Integer> nice = niceWhileCarryingTraffic(List.of(), Map.of("JWG_IO_NICE", "off"), null);

        assertEquals(inherited(), nice.get("jwg-udp-1"), nice::toString);
        assertEquals(inherited(), nice.get(TUN_READER), nice::toString);
        assertCryptoAndTheRestInherited(nice);
    }

    @Test
    void shouldRefuseABadValueInOneLineBeforeCreatingAnything() {
        String ifname = Daemon.uniqueIfname();
        try (Netns ns = Netns.create()) {
            ExecResult launch = ns.exec(Duration.ofSeconds(60), "env", "JWG_IO_NICE=-30", Jwg.executable().toString(), "-f", ifname);

            assertEquals(1, launch.exitCode(), launch::describe);
            List<String> lines = launch.stderr().lines().filter(line -> !line.isBlank()).toList();
            assertEquals(List.of("Invalid JWG_IO_NICE '-30': a nice value from -20 to 19, or off"), lines, launch::describe);
            assertFalse(ns.exec("ip", "link", "show", ifname).ok(), "the interface was created anyway");
            assertFalse(Files.exists(Daemon.socketOf(ifname)), "the UAPI socket was created anyway");
        }
    }

    /**
     * Starts jwg under {@code wrapper} with {@code env}, pings a wireguard-go peer through it both
     * ways, checks that {@code logLine} (if any) is in its log, and returns each thread's nice value.
     */
    private static Map<String, Integer> niceWhileCarryingTraffic(List<String> wrapper, Map<String, String> env, String logLine) {
        WgKeyPair jwgKeys = WgKeyPair.generate();
        WgKeyPair peerKeys = WgKeyPair.generate();
        try (Netns j = Netns.create(); Netns p = Netns.create()) {
            j.veth(p, "10.212.0.1/24", "10.212.0.2/24");
            try (Daemon jwg = Jwg.startUnder(j, Daemon.uniqueIfname(), wrapper, env); Daemon peer = Daemons.wireguardGo(p)) {
                Pair.configure(jwg, jwgKeys, Pair.PORT, peerKeys, "10.212.0.2:" + Pair.PORT, PEER_INNER + "/32", 0);
                jwg.up(JWG_INNER + "/24");
                Pair.configure(peer, peerKeys, Pair.PORT, jwgKeys, "10.212.0.1:" + Pair.PORT, JWG_INNER + "/32", 0);
                peer.up(PEER_INNER + "/24");

                String context = "\n" + jwg.describe() + "\n" + peer.describe();
                assertTrue(Pair.ping(j, PEER_INNER, 3).ok(), () -> "no traffic from jwg" + context);
                assertTrue(Pair.ping(p, JWG_INNER, 3).ok(), () -> "no traffic to jwg" + context);
                if (logLine != null) {
                    assertTrue(jwg.log().contains(logLine), () -> "the log does not say '" + logLine + "'" + context);
                }
                Map<String, Integer> nice = niceByThread(jwg.pid());
                assertTrue(nice.containsKey("jwg-udp-1") && nice.containsKey(TUN_READER),
                        () -> "reader threads missing: " + nice + context);
                return nice;
            }
        }
    }

    /** The nice value every thread of a daemon this test starts inherits: the test's own. */
    private static int inherited() {
        return niceOf(Path.of("/proc/self/stat"));
    }

    private static void assertCryptoAndTheRestInherited(Map<String, Integer> nice) {
        assertTrue(nice.keySet().stream().anyMatch(name -> name.startsWith("jwg-encrypt")), nice::toString);
        assertTrue(nice.keySet().stream().anyMatch(name -> name.startsWith("jwg-decrypt")), nice::toString);
        assertTrue(nice.containsKey("C2 CompilerThre"), () -> "no C2 compiler thread: " + nice);
        nice.forEach((name, value) -> {
            if (JIT_THREADS.contains(name)) {
                // 10 set by the JVM; a test run nicer than that keeps its own (lowering it needs no
                // privilege, but raising a priority back to 10 does).
                assertTrue(value == 10 || value > 10 && value == inherited(), () -> name + " not at nice 10: " + nice);
            } else if (!name.equals("jwg-udp-1") && !name.equals(TUN_READER)) {
                assertEquals(inherited(), value, () -> name + " changed priority: " + nice);
            }
        });
    }

    /** Field 19 of a {@code stat} file: the nice value (the command name before it may hold spaces). */
    private static int niceOf(Path stat) {
        try {
            String text = Files.readString(stat);
            return Integer.parseInt(text.substring(text.lastIndexOf(')') + 2).split(" ")[16]);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + stat, e);
        }
    }

    /** Thread name to nice value (field 19 of /proc/PID/task/TID/stat), for every thread of {@code pid}. */
    private static Map<String, Integer> niceByThread(long pid) {
        Map<String, Integer> nice = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String name;
                int value;
                try {
                    name = Files.readString(task.resolve("comm")).strip();
                    value = niceOf(task.resolve("stat"));
                } catch (IOException | IllegalStateException e) {
                    continue; // the thread ended meanwhile
                }
                // Names repeat (dynamic compiler threads); keep one that differs if any does.
                nice.merge(name, value, (a, b) -> a == inherited() ? b : a);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the threads of " + pid, e);
        }
        return nice;
    }
}
