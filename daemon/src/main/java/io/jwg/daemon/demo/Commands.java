package io.jwg.daemon.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the host tools the demo drives ({@code ip}, {@code ping}, {@code iperf3}, {@code wg}). */
final class Commands {
    private Commands() {
    }

    /** The outcome of one command: exit status and combined output. */
    record Result(int status, String output) {
        boolean ok() {
            return status == 0;
        }
    }

    /** Runs {@code command} (at most {@code timeoutSeconds}) and returns status and output. */
    static Result run(long timeoutSeconds, String... command) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", command));
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /** Runs {@code command} and throws with its output unless it succeeds. */
    static String ok(String... command) {
        Result result = run(60, command);
        if (!result.ok()) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + result.output().strip());
        }
        return result.output();
    }

    /** {@code command} prefixed with {@code ip netns exec NS}. */
    static String[] in(String netns, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        full.addAll(Arrays.asList(command));
        return full.toArray(String[]::new);
    }

    /** True when {@code name} is an executable on PATH. */
    static boolean exists(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (new java.io.File(dir, name).canExecute()) {
                return true;
            }
        }
        return false;
    }
}
