package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Pair;
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
 * What still wakes: the protocol timers' thread (about once a second), the UDP event loop
 * (Netty's own timer), the JVM's housekeeping, and the TUN reader when the kernel itself sends
 * on the interface (IPv6 router solicitations after it comes up).
 */
class DaemonIdleTest {
    /** Threads that must not wake at all while idle, by the prefix of their kernel name (15 chars). */
    private static final List<String> ASLEEP = List.of("jwg-encrypt", "jwg-decrypt", "jwg-handshake", "jwg-netlink",
            "uapi-timer", "uapi-watch");

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldLetItsWorkerThreadsSleepWhileTheTunnelIsIdle() throws InterruptedException {
        try (Pair pair = Pair.builder().a(Jwg::start).b(Daemons.wireguardGoFactory()).build()) {
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsB(), Pair.INNER_A4);

            // Quiet now: no keepalive is due for 10 s, no rekey for 2 minutes.
            Thread.sleep(1000);
            Map<String, Long> before = switchesByThread(pair.a().pid());
            Thread.sleep(3000);
            Map<String, Long> after = switchesByThread(pair.a().pid());

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
                        () -> name + " woke while idle; context switches over 3 s by thread: " + woke + "\n" + pair.describe());
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
