package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.TestSettings;
import io.jwg.tests.support.Await;
import io.jwg.tests.support.Background;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.ProcStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A soak with forced rekeys (issue #7): jwg with the test-only
 * {@code -Djwg.test.rekeyAfterTimeSeconds=10} rekeys every ten seconds instead of every two
 * minutes, while iperf3 TCP runs through the tunnel without a pause, against wireguard-go and,
 * at the same time, against another jwg. Every rekey must be seamless: no second of iperf3
 * without bytes for longer than REKEY_TIMEOUT (5 s), a handshake about every ten seconds (from
 * {@code wg show latest-handshakes}, polled every second), no ERROR line in jwg's log and no
 * buffer leak ({@link Jwg} checks that when it stops).
 *
 * <p>It lasts {@code -Djwg.test.soakMinutes} (default 10, which {@code ./mvnw verify} and CI
 * run); use {@code -Djwg.test.soakMinutes=1} while developing, or leave the class out with
 * {@code -DexcludedGroups=soak}.
 */
@Tag("soak")
class DaemonSoakTest {
    private static final Duration SOAK = Duration.ofMinutes(Long.getLong("jwg.test.soakMinutes", 10));
    private static final int REKEY_SECONDS = 10;
    private static final int REKEY_TIMEOUT_SECONDS = 5;
    /** Paced, so two soaks and four daemons share a small CI machine without starving each other. */
    private static final String RATE = "20M";
    private static final int IPERF_PORT = 5201;
    /** Growth of jwg's anonymous memory allowed between the middle and the end of the soak. */
    private static final long ANON_GROWTH_KB = 16 * 1024;

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("iperf3", "ss");
    }

    @Test
    void shouldRekeyEveryTenSecondsWithoutStallingAgainstWireGuardGoAndJwg() throws Exception {
        String rekey = "-D" + TestSettings.REKEY_AFTER_TIME_PROPERTY + "=" + REKEY_SECONDS;
        Function<Netns, Daemon> fastRekeyingJwg = ns -> Daemons.jwgIsReal()
                ? Jwg.startWithJavaOptions(ns, Daemon.uniqueIfname(), rekey) : Daemons.jwg(ns);
        try (Pair withGo = Pair.builder().a(fastRekeyingJwg).b(Daemons.wireguardGoFactory()).onlyAKnowsEndpoint().build();
                Pair withJwg = Pair.builder().a(fastRekeyingJwg).b(fastRekeyingJwg).onlyAKnowsEndpoint().build()) {
            List<Soak> soaks = List.of(new Soak("jwg<->wireguard-go", withGo), new Soak("jwg<->jwg", withJwg));
            for (Soak soak : soaks) {
                soak.start();
            }
            long start = System.nanoTime();
            long end = start + SOAK.toNanos();
            boolean halfway = false;
            while (System.nanoTime() - end < 0) {
                boolean pastHalf = System.nanoTime() - start > SOAK.toNanos() / 2;
                for (Soak soak : soaks) {
                    soak.poll(pastHalf && !halfway);
                }
                halfway = pastHalf;
                Thread.sleep(1000); // sampling other processes once a second; no clock to inject
            }
            for (Soak soak : soaks) {
                soak.finish();
            }
            for (Soak soak : soaks) {
                soak.report();
            }
            for (Soak soak : soaks) {
                soak.check();
            }
        }
    }

    /** One pair under iperf3, sampled every second. */
    private static final class Soak {
        private final String name;
        private final Pair pair;
        private final TreeSet<Long> handshakes = new TreeSet<>();
        private Background server;
        private Background client;
        private ExecResult result;
        private List<Long> seconds;
        private long peakRssKb;
        private long halfwayAnonKb;
        private long endAnonKb;

        Soak(String name, Pair pair) {
            this.name = name;
            this.pair = pair;
        }

        void start() {
            pair.pingOk(pair.nsA(), Pair.INNER_B4); // jwg initiates: it holds the initiator's keypairs
            server = Background.start(pair.nsB(), "iperf3", "-s", "-1", "-B", Pair.INNER_B4, "-p", Integer.toString(IPERF_PORT));
            Await.assertWithin(Duration.ofSeconds(5), () -> pair.nsB().exec("ss", "-Hltn", "sport", "=", ":" + IPERF_PORT)
                    .stdout().contains(":" + IPERF_PORT), () -> name + ": iperf3 server not listening");
            client = Background.start(pair.nsA(), "iperf3", "-c", Pair.INNER_B4, "-p", Integer.toString(IPERF_PORT),
                    "-t", Long.toString(SOAK.toSeconds()), "-i", "1", "-b", RATE, "-J");
        }

        /** Samples the handshakes and jwg's memory; {@code halfway} marks the sample taken at half time. */
        void poll(boolean halfway) {
            ExecResult latest = pair.a().wg("show", pair.a().ifname(), "latest-handshakes");
            for (String line : latest.stdout().lines().toList()) {
                String[] fields = line.split("\\s+");
                if (fields.length == 2 && !fields[1].equals("0")) {
                    handshakes.add(Long.parseLong(fields[1]));
                }
            }
            ProcStats stats = ProcStats.of(pair.a().pid());
            peakRssKb = Math.max(peakRssKb, stats.hwmKb());
            endAnonKb = stats.anonKb();
            if (halfway) {
                halfwayAnonKb = stats.anonKb();
            }
        }

        void finish() {
            result = client.await(Duration.ofSeconds(60));
            server.await(Duration.ofSeconds(10));
            client.close();
            server.close();
        }

        void report() {
            seconds = result.ok() ? intervalBytes(result.stdout()) : List.of();
            System.out.printf("SOAK %s: %d s, %d MB through, longest stall %d s, %d handshakes seen, gaps %s s,"
                            + " jwg peak RSS %d KiB, anonymous %d KiB at half time, %d KiB at the end%n",
                    name, seconds.size(), seconds.stream().mapToLong(Long::longValue).sum() >> 20, longestZeroRun(seconds),
                    handshakes.size(), gaps(), peakRssKb, halfwayAnonKb, endAnonKb);
        }

        private List<Long> gaps() {
            List<Long> gaps = new ArrayList<>();
            Long previous = null;
            for (long at : handshakes) {
                if (previous != null) {
                    gaps.add(at - previous);
                }
                previous = at;
            }
            return gaps;
        }

        void check() {
            String context = "\n--- " + name + ": iperf3\n" + result.describe().lines().limit(60).reduce("", (x, y) -> x + "\n" + y)
                    + "\n" + pair.describe();
            assertTrue(result.ok(), () -> name + ": iperf3 failed" + context);
            int stall = longestZeroRun(seconds);
            long maxGap = gaps().stream().mapToLong(Long::longValue).max().orElse(-1);
            assertTrue(seconds.size() >= SOAK.toSeconds() - 2, () -> name + ": " + seconds.size() + " intervals" + context);
            assertTrue(stall <= REKEY_TIMEOUT_SECONDS,
                    () -> name + ": " + stall + " s in a row without a byte through" + context);
            assertEquals(0, errorLines(pair.a()), () -> name + ": ERROR lines in jwg's log" + context);
            if (pair.b() instanceof Jwg) {
                assertEquals(0, errorLines(pair.b()), () -> name + ": ERROR lines in the other jwg's log" + context);
            }
            if (!Daemons.jwgIsReal()) {
                return; // wireguard-go in jwg's role rekeys every two minutes: nothing more to hold it to
            }
            long expected = SOAK.toSeconds() / REKEY_SECONDS;
            assertTrue(handshakes.size() >= expected * 2 / 3 && handshakes.size() <= expected + 3,
                    () -> name + ": " + handshakes.size() + " handshakes seen, expected about " + expected + context);
            assertTrue(maxGap <= 2L * REKEY_SECONDS, () -> name + ": " + maxGap + " s between two handshakes" + context);
            assertTrue(endAnonKb - halfwayAnonKb < ANON_GROWTH_KB, () -> name + ": jwg's anonymous memory grew from "
                    + halfwayAnonKb + " KiB at half time to " + endAnonKb + " KiB" + context);
        }

        private static long errorLines(Daemon daemon) {
            return daemon.log().lines().filter(line -> line.startsWith("ERROR")).count();
        }
    }

    /** Bytes per one-second interval of an iperf3 {@code -J} report (the summed streams). */
    static List<Long> intervalBytes(String json) {
        int intervals = json.indexOf("\"intervals\"");
        int end = json.lastIndexOf("\"end\"");
        if (intervals < 0 || end < intervals) {
            throw new AssertionError("no intervals in iperf3 output: " + json);
        }
        List<Long> bytes = new ArrayList<>();
        Matcher sum = Pattern.compile("\"sum\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)").matcher(json.substring(intervals, end));
        while (sum.find()) {
            bytes.add(Long.parseLong(sum.group(1)));
        }
        return bytes;
    }

    /** The longest run of zeros. */
    static int longestZeroRun(List<Long> values) {
        int longest = 0;
        int run = 0;
        for (long value : values) {
            run = value == 0 ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return longest;
    }
}
