package io.jwg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * iperf3 across a tunnel: a one-shot server ({@code iperf3 -s -1}) in one namespace, a client with
 * JSON output in another, every step bounded by a timeout. Only the few numbers the tests check
 * are read from the JSON, by pattern (the tests carry no JSON library).
 */
public final class Iperf {
    private static final int PORT = 5201;
    private static final Duration SERVER_START = Duration.ofSeconds(5);

    private Iperf() {
    }

    /** What a finished client run reported. */
    public record Result(ExecResult exec, long bytesSent, long bytesReceived, double lostPercent, boolean lossReported) {
    }

    /**
     * Runs a server bound to {@code serverAddress} in {@code serverNs} and a client in
     * {@code clientNs} with {@code clientArgs} (e.g. {@code -n 256M}, {@code -R}, {@code -u -b 200M}),
     * killing both after {@code timeout}. Throws with the output if the client fails.
     */
    public static Result run(Netns serverNs, String serverAddress, Netns clientNs, Duration timeout, String... clientArgs) {
        Process server;
        try {
            server = new ProcessBuilder(serverNs.command("iperf3", "-s", "-1", "-B", serverAddress, "-p", Integer.toString(PORT)))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start iperf3 server", e);
        }
        try {
            Await.assertWithin(SERVER_START, () -> listening(serverNs),
                    () -> "iperf3 server not listening on " + serverAddress + ":" + PORT);
            List<String> command = new ArrayList<>(List.of("iperf3", "-c", serverAddress, "-p", Integer.toString(PORT), "-J"));
            command.addAll(List.of(clientArgs));
            ExecResult result = clientNs.exec(timeout, command.toArray(String[]::new));
            if (!result.ok()) {
                throw new AssertionError("iperf3 failed: " + result.describe());
            }
            String json = result.stdout();
            // The summary is the top-level "end" object; interval and stream objects have numeric "end"s.
            Matcher summary = Pattern.compile("\"end\"\\s*:\\s*\\{").matcher(json);
            int at = -1;
            while (summary.find()) {
                at = summary.start();
            }
            if (at < 0) {
                throw new AssertionError("no summary in iperf3 output: " + result.describe());
            }
            String end = json.substring(at);
            // TCP and (since iperf3 3.x) UDP both report end.sum_sent and end.sum_received; for UDP
            // sum_received also carries the server's loss count.
            String received = section(end, "sum_received");
            return new Result(result, number(section(end, "sum_sent"), "bytes"), number(received, "bytes"),
                    received.contains("\"lost_percent\"") ? decimal(received, "lost_percent") : Double.NaN,
                    received.contains("\"lost_percent\""));
        } finally {
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
        }
    }

    private static boolean listening(Netns ns) {
        return ns.exec("ss", "-Hltn", "sport", "=", ":" + PORT).stdout().contains(":" + PORT);
    }

    /** The text of the JSON object named {@code name} (up to its first closing brace: the ones read here are flat). */
    private static String section(String json, String name) {
        int at = json.indexOf("\"" + name + "\"");
        if (at < 0) {
            throw new AssertionError("no \"" + name + "\" in iperf3 output: " + json);
        }
        int close = json.indexOf('}', at);
        return json.substring(at, close < 0 ? json.length() : close);
    }

    private static long number(String object, String key) {
        return (long) decimal(object, key);
    }

    private static double decimal(String object, String key) {
        Matcher matcher = Pattern.compile("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(object);
        if (!matcher.find()) {
            throw new AssertionError("no \"" + key + "\" in " + object);
        }
        return Double.parseDouble(matcher.group(1));
    }
}
