package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An idle tunnel costs next to nothing: once traffic with a wireguard-go peer has stopped, the
 * crypto workers, the handshake worker, the rtnetlink listener and the UAPI server's threads
 * sleep until there is work, without waking on a timer (wireguard-go's goroutines do the same).
 * What still wakes: the protocol timers' thread (at most every 100 ms), the UDP event loop
 * (Netty's own timer), the JVM's housekeeping, and the TUN reader when the kernel itself sends
 * on the interface (IPv6 router solicitations after it comes up).
 */
class DaemonIdleTest {
    private static final String JWG_INNER = "10.214.0.1";
    private static final String PEER_INNER = "10.214.0.2";
    /** Threads that must not wake at all while idle, by the prefix of their kernel name (15 chars). */
    private static final List<String> ASLEEP = List.of("jwg-encrypt", "jwg-decrypt", "jwg-handshake", "jwg-netlink",
            "uapi-timer", "uapi-watch");

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldLetItsWorkerThreadsSleepWhileTheTunnelIsIdle() throws InterruptedException {
        WgKeyPair jwgKeys = WgKeyPair.generate();
        WgKeyPair peerKeys = WgKeyPair.generate();
        try (Netns j = Netns.create(); Netns p = Netns.create()) {
            j.veth(p, "10.215.0.1/24", "10.215.0.2/24");
            try (Daemon jwg = Jwg.start(j); Daemon peer = Daemons.wireguardGo(p)) {
                Pair.configure(jwg, jwgKeys, Pair.PORT, peerKeys, "10.215.0.2:" + Pair.PORT, PEER_INNER + "/32", 0);
                jwg.up(JWG_INNER + "/24");
                Pair.configure(peer, peerKeys, Pair.PORT, jwgKeys, "10.215.0.1:" + Pair.PORT, JWG_INNER + "/32", 0);
                peer.up(PEER_INNER + "/24");
                String context = "\n" + jwg.describe() + "\n" + peer.describe();
                assertTrue(Pair.ping(j, PEER_INNER, 5).ok(), () -> "no traffic from jwg" + context);
                assertTrue(Pair.ping(p, JWG_INNER, 5).ok(), () -> "no traffic to jwg" + context);

                // Quiet now: no keepalive is due for 10 s, no rekey for 2 minutes.
                Thread.sleep(1000);
                Map<String, Long> before = switchesByThread(jwg.pid());
                Thread.sleep(3000);
                Map<String, Long> after = switchesByThread(jwg.pid());

                Map<String, Long> woke = new TreeMap<>();
                after.forEach((thread, count) -> {
                    Long was = before.get(thread);
                    if (was != null && count > was) {
                        woke.put(thread, count - was);
                    }
                });
                assertTrue(before.keySet().stream().anyMatch(t -> t.contains("jwg-encrypt")), before::toString);
                assertTrue(before.keySet().stream().anyMatch(t -> t.contains("uapi-watch")), before::toString);
                for (String thread : woke.keySet()) {
                    String name = thread.substring(thread.indexOf(' ') + 1);
                    assertTrue(ASLEEP.stream().noneMatch(name::startsWith),
                            () -> name + " woke while idle; context switches over 3 s by thread: " + woke + context);
                }
            }
        }
    }

    /** "TID NAME" to the thread's context switches so far (voluntary and not), for every thread of {@code pid}. */
    private static Map<String, Long> switchesByThread(long pid) {
        Map<String, Long> switches = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    long count = Files.readAllLines(task.resolve("status")).stream()
                            .filter(line -> line.startsWith("voluntary_ctxt_switches") || line.startsWith("nonvoluntary_ctxt_switches"))
                            .mapToLong(line -> Long.parseLong(line.substring(line.indexOf(':') + 1).strip()))
                            .sum();
                    switches.put(task.getFileName() + " " + name, count);
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the threads of " + pid, e);
        }
        return switches;
    }
}
