package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.PrometheusText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * jwg's Prometheus endpoint (issue #6) checked against the real tools: jwg serving metrics on
 * {@code [::1]:9586} in one namespace, wireguard-go as its peer in another ({@link Pair}), pings
 * through the tunnel, and then a scrape must say for that peer exactly what {@code wg show IF
 * dump} says at the same moment, in the families and labels of the widely used WireGuard
 * exporter. A garbage datagram must show up as a drop, and the handshake and process metrics
 * must be there. Metrics are off unless asked for; a bad address or a taken port fails start-up
 * in one line. Metrics are jwg's own, so this test runs jwg even under
 * {@code -Djwg.test.impl=wireguard-go}.
 */
class MetricsTest {
    private static final String ADDRESS = "[::1]:9586";
    private static final String URL = "http://[::1]:9586/metrics";
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(90);

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("curl", "python3", "ss");
    }

    @Test
    void shouldReportForEachPeerWhatWgShowReports() {
        try (Pair pair = Pair.builder()
                .a(ns -> Jwg.start(ns, ifname(), List.of(), Map.of("JWG_METRICS_ADDRESS", ADDRESS)))
                .b(Daemons.wireguardGoFactory())
                .build()) {
            Netns ns = pair.nsA();
            Daemon jwg = pair.a();
            String ifname = jwg.ifname();
            String peer = pair.keysB().publicKey();
            assertEquals(0, scrape(ns).value("jwg_packets_dropped_total", "interface", ifname, "reason", "invalid_message"));

            pair.pingOk(ns, Pair.INNER_B4);
            assertTrue(Pair.ping(ns, Pair.INNER_B6, 5).ok(), pair::describe);
            pair.nsB().execOk("python3", "-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                    + ".sendto(b'not a WireGuard message', ('" + Pair.OUTER_A4 + "', " + Pair.PORT + "))");
            Await.assertWithin(Duration.ofSeconds(5),
                    () -> scrape(ns).value("jwg_packets_dropped_total", "interface", ifname, "reason", "invalid_message") == 1,
                    () -> "the garbage datagram was not counted as invalid_message\n" + scrape(ns).text());

            Observed seen = scrapeWithDump(ns, jwg, peer);
            String[] dump = seen.dumpLine();
            String[] labels = {"interface", ifname, "public_key", peer, "allowed_ips", dump[3]};
            assertEquals(Pair.INNER_B4 + "/32," + Pair.INNER_B6 + "/128", dump[3]);
            assertEquals(Long.parseLong(dump[6]), (long) seen.metrics().value("wireguard_sent_bytes_total", labels), "tx");
            assertEquals(Long.parseLong(dump[5]), (long) seen.metrics().value("wireguard_received_bytes_total", labels), "rx");
            assertEquals(Long.parseLong(dump[4]), (long) seen.metrics().value("wireguard_latest_handshake_seconds", labels),
                    "latest handshake");
            assertTrue(Long.parseLong(dump[5]) > 0 && Long.parseLong(dump[6]) > 0 && Long.parseLong(dump[4]) > 0,
                    () -> String.join("\t", dump));

            PrometheusText metrics = seen.metrics();
            assertTrue(metrics.value("jwg_handshakes_initiated_total", "interface", ifname) >= 1, metrics::text);
            assertTrue(metrics.value("jwg_handshakes_completed_total", "interface", ifname) >= 1, metrics::text);
            assertTrue(metrics.value("jwg_handshake_duration_seconds_count", "interface", ifname) >= 1, metrics::text);
            assertEquals(1, metrics.value("jwg_peers", "interface", ifname));
            assertEquals(0, metrics.value("jwg_under_load", "interface", ifname));
            assertTrue(metrics.value("process_resident_memory_bytes") > 0, metrics::text);
            assertTrue(metrics.value("process_cpu_seconds_total") > 0, metrics::text);
            assertTrue(metrics.value("jvm_memory_used_bytes", "area", "heap") > 0, metrics::text);
        }
    }

    @Test
    void shouldListenOnNothingByDefault() {
        try (Netns ns = Netns.create(); Daemon jwg = Jwg.start(ns, ifname())) {
            ns.execOk("ip", "link", "set", jwg.ifname(), "up");
            String listening = ns.execOk("ss", "-Hltn").stdout();
            assertTrue(listening.isBlank(), () -> "TCP listeners in a namespace holding only jwg:\n" + listening);
            assertFalse(ns.exec("curl", "-sf", "--max-time", "2", URL).ok());
        }
    }

    @Test
    void shouldServeTheOptionsAddressWhenDaemonized() {
        String ifname = ifname();
        try (Netns ns = Netns.create()) {
            try {
                ExecResult launch = ns.exec(LAUNCH_TIMEOUT, Jwg.executable().toString(), "--metrics", "127.0.0.1:9586", ifname);
                assertEquals(0, launch.exitCode(), launch::describe);
                PrometheusText metrics = PrometheusText.parse(ns.execOk("curl", "-sf", "--max-time", "5",
                        "http://127.0.0.1:9586/metrics").stdout());
                assertEquals(0, metrics.value("jwg_peers", "interface", ifname), metrics::text);
            } finally {
                stopDaemonsIn(ns, ifname);
            }
        }
    }

    @Test
    void shouldFailToStartInOneLineOnABadAddress() {
        String ifname = ifname();
        try (Netns ns = Netns.create()) {
            ExecResult option = ns.exec(LAUNCH_TIMEOUT, Jwg.executable().toString(), "--metrics", "::1:9586", ifname);
            assertOneLineFailure(option, "invalid metrics address '::1:9586'");
            ExecResult variable = ns.exec(LAUNCH_TIMEOUT, "env", "JWG_METRICS_ADDRESS=127.0.0.1:99999",
                    Jwg.executable().toString(), "-f", ifname);
            assertOneLineFailure(variable, "invalid metrics address '127.0.0.1:99999'");
            assertFalse(ns.exec("ip", "link", "show", ifname).ok(), "the interface was created anyway");
        }
    }

    @Test
    void shouldFailToStartInOneLineWhenThePortIsTaken() throws IOException {
        String ifname = ifname();
        try (Netns ns = Netns.create()) {
            Process holder = new ProcessBuilder(ns.command("python3", "-c", "import socket, time; "
                    + "s = socket.socket(socket.AF_INET6); s.bind(('::1', 9586)); s.listen(); print('ok', flush=True); "
                    + "time.sleep(300)")).redirectErrorStream(true).start();
            try {
                assertEquals("ok", new String(holder.getInputStream().readNBytes(2)), "the port holder did not start");
                ExecResult launch = ns.exec(LAUNCH_TIMEOUT, Jwg.executable().toString(), "--metrics", ADDRESS, ifname);
                assertOneLineFailure(launch, "Failed to serve metrics on " + ADDRESS + ": ");
                Await.assertWithin(Duration.ofSeconds(2), () -> !ns.exec("ip", "link", "show", ifname).ok(),
                        () -> "the interface was left behind");
                assertFalse(Files.exists(Daemon.socketOf(ifname)), "the UAPI socket was left behind");
            } finally {
                holder.destroyForcibly();
            }
        }
    }

    /** What a scrape and {@code wg show dump} said about one peer, taken back to back. */
    private record Observed(PrometheusText metrics, String[] dumpLine) {
    }

    /**
     * A scrape and the peer's {@code wg show IF dump} line from the same moment: scrape, dump,
     * scrape again, and retry unless the peer's values did not move in between (a keepalive may
     * always be on its way).
     */
    private static Observed scrapeWithDump(Netns ns, Daemon jwg, String peer) {
        for (int attempt = 0; attempt < 10; attempt++) {
            PrometheusText first = scrape(ns);
            String[] dump = jwg.wgOk("show", jwg.ifname(), "dump").stdout().lines().skip(1)
                    .map(line -> line.split("\t")).filter(fields -> fields[0].equals(peer)).findFirst()
                    .orElseThrow(() -> new AssertionError("peer missing from wg show dump\n" + jwg.describe()));
            PrometheusText second = scrape(ns);
            if (peerValues(first, peer).equals(peerValues(second, peer))) {
                return new Observed(first, dump);
            }
        }
        throw new AssertionError("the peer's counters never held still for a scrape and a dump\n" + jwg.describe());
    }

    private static List<Double> peerValues(PrometheusText metrics, String peer) {
        return List.of(metrics.value("wireguard_sent_bytes_total", "public_key", peer),
                metrics.value("wireguard_received_bytes_total", "public_key", peer),
                metrics.value("wireguard_latest_handshake_seconds", "public_key", peer));
    }

    private static PrometheusText scrape(Netns ns) {
        return PrometheusText.parse(ns.execOk("curl", "-sf", "--max-time", "5", URL).stdout());
    }

    /** Exit 1 with exactly one line on stderr, containing {@code expected}. */
    private static void assertOneLineFailure(ExecResult launch, String expected) {
        assertEquals(1, launch.exitCode(), launch::describe);
        List<String> lines = launch.stderr().lines().filter(line -> !line.isBlank()).toList();
        assertEquals(1, lines.size(), () -> "expected one line on stderr: " + launch.describe());
        assertTrue(lines.getFirst().contains(expected), launch::describe);
    }

    /** SIGTERM to what runs in {@code ns} (a daemonized jwg), then waits for its socket to go. */
    private static void stopDaemonsIn(Netns ns, String ifname) {
        Exec.run("ip", "netns", "pids", ns.name()).stdout().lines().map(String::strip).filter(pid -> !pid.isEmpty())
                .forEach(pid -> Exec.run("kill", "-TERM", pid));
        Await.until(Duration.ofSeconds(5), () -> !Files.exists(Daemon.socketOf(ifname)));
        try {
            Files.deleteIfExists(Daemon.socketOf(ifname));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh interface name with this test's prefix. */
    private static String ifname() {
        return "jm" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    }
}
