package io.jwg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command started now and left running while the test does other things (a ping during a
 * flood, iperf3 during a soak), its output going to temporary files. The process is running when
 * {@link #start} returns, which a task handed to an executor does not promise.
 * {@link #await} collects the result; {@link #close} kills it (and its descendants) if still
 * running and removes the files.
 */
public final class Background implements AutoCloseable {
    private final List<String> command;
    private final Process process;
    private final Path out;
    private final Path err;

    private Background(List<String> command, Process process, Path out, Path err) {
        this.command = command;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    /** Starts {@code command} inside {@code ns}. */
    public static Background start(Netns ns, String... command) {
        List<String> line = ns.command(command);
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("jwgt-bg", ".out");
            err = Files.createTempFile("jwgt-bg", ".err");
            Process process = new ProcessBuilder(line)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            return new Background(List.copyOf(line), process, out, err);
        } catch (IOException e) {
            delete(out);
            delete(err);
            throw new UncheckedIOException("cannot start " + line, e);
        }
    }

    /** The process, e.g. to signal it. */
    public Process process() {
        return process;
    }

    /** Output so far (standard output). */
    public String stdout() {
        return read(out);
    }

    /** Waits up to {@code timeout} for the command to finish (killing it then) and returns what it did. */
    public ExecResult await(Duration timeout) {
        boolean finished;
        try {
            finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + command, e);
        }
        if (!finished) {
            kill();
        }
        return new ExecResult(command, finished ? process.exitValue() : -1, !finished, read(out), read(err));
    }

    @Override
    public void close() {
        kill();
        delete(out);
        delete(err);
    }

    private void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static void delete(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A leftover temp file is harmless.
        }
    }
}
