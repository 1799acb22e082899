package io.jwg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resource use as {@code /proc} reports it: CPU time (user + system, all threads)
 * and resident memory, current ({@code VmRSS}), peak ({@code VmHWM}) and anonymous
 * ({@code RssAnon}: heap, stacks, direct buffers; without the mapped jar, libraries and AOT cache).
 *
 * @param cpuMillis CPU time used so far, in milliseconds
 * @param rssKb     resident set size now, in KiB
 * @param hwmKb     peak resident set size, in KiB
 * @param anonKb    anonymous resident memory now, in KiB
 */
public record ProcStats(long cpuMillis, long rssKb, long hwmKb, long anonKb) {
    /** USER_HZ: the unit of the CPU fields of /proc/PID/stat; 100 on every Linux ABI jwg runs on. */
    private static final long TICKS_PER_SECOND = 100;

    /** Reads the stats of process {@code pid}. */
    public static ProcStats of(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may contain spaces; the fields after it are plain.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
            return new ProcStats(ticks * 1000 / TICKS_PER_SECOND, kb(status, "VmRSS:"), kb(status, "VmHWM:"),
                    kb(status, "RssAnon:"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc of " + pid, e);
        }
    }

    /** CPU used between {@code earlier} and this sample, as a percentage of one core over {@code millis}. */
    public double cpuPercentSince(ProcStats earlier, long millis) {
        return millis <= 0 ? 0 : 100.0 * (cpuMillis - earlier.cpuMillis) / millis;
    }

    private static long kb(String status, String key) {
        return status.lines()
                .filter(line -> line.startsWith(key))
                .map(line -> line.substring(key.length()).strip().split("\\s+")[0])
                .mapToLong(Long::parseLong)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + key + " in /proc status"));
    }
}
