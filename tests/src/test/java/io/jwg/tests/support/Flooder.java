package io.jwg.tests.support;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code flood.py} (a test resource) inside a namespace: one python process sending UDP as
 * fast as it can from many source addresses to one port, counting what comes back. Modes:
 * {@code handshake} (initiations with a valid MAC1 for the target's public key) and
 * {@code garbage} (random bytes of every type word and size).
 */
public final class Flooder {
    private Flooder() {
    }

    /** What one run did, from the script's JSON line. */
    public record Result(ExecResult exec, long sent, long pps, double seconds, Map<String, Long> replies) {
        /** Replies of {@code type} and {@code size} the flooder received. */
        public long replies(int type, int size) {
            return replies.getOrDefault("type" + type + "_" + size, 0L);
        }

        @Override
        public String toString() {
            return sent + " datagrams in " + seconds + " s (" + pps + "/s), replies " + replies;
        }
    }

    /** A flood in progress. */
    public static final class Run implements AutoCloseable {
        private final Background process;
        private final Duration duration;

        private Run(Background process, Duration duration) {
            this.process = process;
            this.duration = duration;
        }

        /** Waits for the flood to end and returns what it did; throws if the script failed. */
        public Result await() {
            ExecResult exec = process.await(duration.plusSeconds(30));
            if (!exec.ok()) {
                throw new AssertionError("flood.py failed: " + exec.describe());
            }
            String json = exec.stdout().strip();
            Map<String, Long> replies = new TreeMap<>();
            Matcher reply = Pattern.compile("\"(type-?\\d+_\\d+)\":\\s*(\\d+)").matcher(json);
            while (reply.find()) {
                replies.put(reply.group(1), Long.parseLong(reply.group(2)));
            }
            return new Result(exec, number(json, "sent"), number(json, "pps"), Double.parseDouble(field(json, "seconds")),
                    replies);
        }

        @Override
        public void close() {
            process.close();
        }
    }

    /**
     * Starts sending initiations with a valid MAC1 for {@code publicKey} (base64) to
     * {@code target:port} from each of {@code sources}, for {@code duration}.
     */
    public static Run handshakes(Netns ns, String target, int port, Duration duration, List<String> sources,
            String publicKey) {
        return start(ns, duration, "handshake", target, Integer.toString(port), seconds(duration),
                String.join(",", sources), publicKey);
    }

    /** Starts sending random datagrams of every type word and size to {@code target:port} from each of {@code sources}. */
    public static Run garbage(Netns ns, String target, int port, Duration duration, List<String> sources) {
        return start(ns, duration, "garbage", target, Integer.toString(port), seconds(duration), String.join(",", sources));
    }

    private static String seconds(Duration duration) {
        return Double.toString(duration.toMillis() / 1000.0);
    }

    private static Run start(Netns ns, Duration duration, String... args) {
        List<String> command = new ArrayList<>(List.of("python3", script().toString()));
        command.addAll(List.of(args));
        return new Run(Background.start(ns, command.toArray(String[]::new)), duration);
    }

    private static long number(String json, String key) {
        return Long.parseLong(field(json, key));
    }

    private static String field(String json, String key) {
        Matcher matcher = Pattern.compile("\"" + key + "\":\\s*([-0-9.]+)").matcher(json);
        if (!matcher.find()) {
            throw new AssertionError("no \"" + key + "\" in flood.py output: " + json);
        }
        return matcher.group(1);
    }

    private static Path script() {
        try {
            return Path.of(Flooder.class.getResource("/flood.py").toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("flood.py is missing from the test resources", e);
        }
    }
}
