package io.jwg.tests.support;

import java.util.List;

/**
 * Outcome of one finished (or timed-out) external command: its exit code and everything it
 * printed. {@link #describe()} renders all of it, for assertion messages.
 *
 * @param command  the command line as run
 * @param exitCode the exit status, or -1 when the command timed out and was killed
 * @param timedOut whether the command ran past its timeout
 * @param stdout   standard output, decoded as UTF-8
 * @param stderr   standard error, decoded as UTF-8
 */
public record ExecResult(List<String> command, int exitCode, boolean timedOut, String stdout, String stderr) {

    /** Whether the command finished in time with exit status 0. */
    public boolean ok() {
        return !timedOut && exitCode == 0;
    }

    /** The command, its status and its output, for failure messages. */
    public String describe() {
        String status = timedOut ? "timed out" : "exit " + exitCode;
        return String.join(" ", command) + " -> " + status
                + (stdout.isBlank() ? "" : "\n--- stdout\n" + stdout.strip())
                + (stderr.isBlank() ? "" : "\n--- stderr\n" + stderr.strip());
    }
}
