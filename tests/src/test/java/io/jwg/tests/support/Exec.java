package io.jwg.tests.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs external commands to completion with a timeout. Output goes to temporary files rather than
 * pipes, so a command that leaves a daemon behind holding its stdout cannot hang the test.
 */
public final class Exec {
    /** Timeout used when the caller names none; generous, since CI machines can be slow. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private Exec() {
    }

    /** Runs {@code command} with the default timeout and no input. */
    public static ExecResult run(String... command) {
        return run(DEFAULT_TIMEOUT, null, List.of(command));
    }

    /**
     * Runs {@code command}, feeding it {@code stdin} (or nothing when null), and kills it with its
     * descendants when it outlives {@code timeout}.
     */
    public static ExecResult run(Duration timeout, String stdin, List<String> command) {
        Path out = null;
        Path err = null;
        Path in = null;
        try {
            out = Files.createTempFile("jwgt-exec", ".out");
            err = Files.createTempFile("jwgt-exec", ".err");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (stdin != null) {
                in = Files.createTempFile("jwgt-exec", ".in");
                Files.writeString(in, stdin);
                builder.redirectInput(in.toFile());
            } else {
                builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            }
            Process process = builder.start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
            return new ExecResult(List.copyOf(command), finished ? process.exitValue() : -1, !finished,
                    Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            // Most often "no such file": report it like a shell would rather than as an exception.
            return new ExecResult(List.copyOf(command), 127, false, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
            deleteQuietly(in);
        }
    }

    /** Like {@link #run(String...)} but throws, with the full output, unless the command succeeds. */
    public static ExecResult runOk(String... command) {
        return requireOk(run(command));
    }

    /** Returns {@code result} when it succeeded, else throws an {@link AssertionError} describing it. */
    public static ExecResult requireOk(ExecResult result) {
        if (!result.ok()) {
            throw new AssertionError(result.describe());
        }
        return result;
    }

    private static void deleteQuietly(Path path) {
        if (path == null) {
            return;
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // A leftover temp file is harmless; the command's own result matters more.
        }
    }
}
