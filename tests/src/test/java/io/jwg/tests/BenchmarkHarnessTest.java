package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Jwg;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end harness (issue #5) works: {@code benchmarks/e2e.py} measures all three pairs
 * (jwg, wireguard-go, mixed) through real tunnels and writes every figure of every round as JSON,
 * and {@code benchmarks/e2e-targets.py} judges the targets round by round. Behaviour
 * only: the run is one short round, and no figure is compared with a speed.
 */
class BenchmarkHarnessTest {
    /** Every figure e2e.py records per pair and round. */
    private static final List<String> FIGURES = List.of("launch_ms", "launch_b_ms", "rtt_sparse_p50_us",
            "rtt_sparse_p90_us", "rtt_idle_p50_us", "rtt_idle_p99_us", "rtt_idle_p999_us", "tcp1_mbps", "tcp4_mbps",
            "cpu_s_per_gb", "udp_mbps", "udp_loss_pct", "rtt_load_p50_us", "rtt_load_p99_us", "rtt_load_p999_us",
            "added_load_p99_us", "rss_a_mb", "rss_b_mb");

    @TempDir
    Path dir;

    @Test
    void shouldJudgeEachTargetRoundByRound() throws Exception {
        // TCP: 2.0x, 1.0x, 2.0x -> the median meets 1.5x, one round does not.
        // Idle p50: 0.5x, 0.6x, 0.7x -> every round. Added p99: 1500, 1200, 500 us -> no.
        Path json = dir.resolve("run.json");
        Files.writeString(json, "{\"commit\": \"abc\", \"date\": \"d\", \"rounds\": {"
                + "\"jwg-jwg\": [" + round(200, 50, 1500) + ", " + round(100, 60, 1200) + ", " + round(200, 70, 500) + "],"
                + "\"wg-wg\": [" + round(100, 100, 9000) + ", " + round(100, 100, 9000) + ", " + round(100, 100, 9000) + "]}}");

        Result result = run(60, "python3", "benchmarks/e2e-targets.py", json.toString());

        assertEquals(0, result.exit, result.output);
        assertTrue(row(result.output, "TCP 1 stream, jwg<->jwg").endsWith("median (2/3 rounds)"), result.output);
        assertTrue(row(result.output, "RTT idle p50, jwg<->jwg").endsWith("every round"), result.output);
        assertTrue(row(result.output, "added p99 under load, jwg<->jwg").endsWith("no (1/3 rounds)"), result.output);
        assertFalse(result.output.contains("jwg<->wg-go"), "no mixed pair in this run: " + result.output);
    }

    @Test
    void shouldRefuseAMissingFileInOneLine() throws Exception {
        Result result = run(60, "python3", "benchmarks/e2e-targets.py", dir.resolve("absent.json").toString());

        assertEquals(1, result.exit, result.output);
        assertEquals(1, result.output.strip().lines().count(), result.output);
        assertTrue(result.output.startsWith("e2e-targets.py: cannot read"), result.output);
    }

    @Test
    void shouldMeasureAllThreePairsAndWriteEveryFigure() throws Exception {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("iperf3", "python3");
        Path json = dir.resolve("e2e.json");

        Result result = run(600, "python3", "benchmarks/e2e.py", "--rounds", "1", "--seconds", "1", "--warm", "0",
                "--probes", "100", "--json", json.toString());

        assertEquals(0, result.exit, result.output);
        String text = Files.readString(json);
        for (String pair : List.of("jwg-jwg", "wg-wg", "jwg-wg")) {
            String round = firstRound(text, pair);
            for (String figure : FIGURES) {
                Matcher m = Pattern.compile("\"" + figure + "\": (-?[0-9.]+(?:e[-+]?[0-9]+)?)").matcher(round);
                assertTrue(m.find(), pair + " lacks a number for " + figure + ": " + round);
                if (figure.endsWith("_mbps") || figure.startsWith("rss_") || figure.startsWith("rtt_")) {
                    assertTrue(Double.parseDouble(m.group(1)) > 0, pair + " " + figure + " = " + m.group(1));
                }
            }
        }
        assertTrue(result.output.contains("TCP 1 stream"), result.output);
        assertTrue(result.output.contains("wg-go<->wg-go"), result.output);
        assertTrue(result.output.contains("target (issue #5)"), result.output);
        assertTrue(row(result.output, "TCP 1 stream, jwg<->wg-go").contains("round"), result.output);
        Result namespaces = run(30, "ip", "netns", "list");
        assertFalse(namespaces.output.contains("jea") || namespaces.output.contains("jeb"), namespaces.output);
    }

    /** One pair's figures for one round: TCP rate, idle p50 and added p99 as given, the rest fixed. */
    private static String round(double tcp1, double idleP50, double addedP99) {
        return "{\"tcp1_mbps\": " + tcp1 + ", \"rtt_idle_p50_us\": " + idleP50 + ", \"rtt_load_p50_us\": 100"
                + ", \"added_load_p99_us\": " + addedP99 + ", \"rss_a_mb\": 90, \"rss_b_mb\": 90"
                + ", \"launch_ms\": 400, \"launch_b_ms\": 400}";
    }

    /** The text of the first round object of {@code pair} in e2e.py's JSON (its rounds are flat objects). */
    private static String firstRound(String json, String pair) {
        int rounds = json.indexOf("\"rounds\"");
        int at = json.indexOf("\"" + pair + "\": [", rounds);
        assertTrue(rounds >= 0 && at >= 0, "no rounds of " + pair + " in " + json);
        int open = json.indexOf('{', at);
        return json.substring(open, json.indexOf('}', open) + 1);
    }

    /** The output line that starts with {@code label}. */
    private static String row(String output, String label) {
        return output.lines().filter(l -> l.startsWith(label)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + label + " in:\n" + output)).strip();
    }

    private record Result(int exit, String output) {}

    /** Runs a command in the checkout's root; stdout and stderr together, through a file so the timeout holds. */
    private Result run(int timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "out", ".txt");
        Process p = new ProcessBuilder(command).directory(Jwg.home().toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s:\n"
                        + Files.readString(log));
            }
        } finally {
            p.destroyForcibly();
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
