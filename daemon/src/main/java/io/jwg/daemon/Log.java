package io.jwg.daemon;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The daemon's log, in wireguard-go's format and levels: {@code LOG_LEVEL=verbose} (or
 * {@code debug}) prints {@code DEBUG:} and {@code ERROR:} lines, {@code error} (the default) only
 * errors, {@code silent} nothing. One line per event; keys appear only as short prefixes.
 */
public final class Log {
    /** The levels wireguard-go knows. */
    public enum Level { SILENT, ERROR, VERBOSE }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss");

    private final Level level;
    private final String prefix;
    private final PrintStream out;

    /** A log for interface {@code ifname} at {@code level}, writing to {@code out}. */
    public Log(Level level, String ifname, PrintStream out) {
        this.level = level;
        this.prefix = "(" + ifname + ") ";
        this.out = out;
    }

    /** Parses {@code LOG_LEVEL} as wireguard-go does: unknown or unset means {@code error}. */
    public static Level parseLevel(String value) {
        if (value == null) {
            return Level.ERROR;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "verbose", "debug" -> Level.VERBOSE;
            case "silent" -> Level.SILENT;
            default -> Level.ERROR;
        };
    }

    /** True when debug lines are printed (callers skip building messages otherwise). */
    public boolean verbose() {
        return level == Level.VERBOSE;
    }

    /** Logs a {@code DEBUG:} line. */
    public void debug(String message) {
        if (level == Level.VERBOSE) {
            print("DEBUG: ", message);
        }
    }

    /** Logs an {@code ERROR:} line. */
    public void error(String message) {
        if (level != Level.SILENT) {
            print("ERROR: ", message);
        }
    }

    private void print(String kind, String message) {
        // One line per event, whatever an exception message holds.
        String line = kind + prefix + LocalDateTime.now().format(TIME) + " " + message.replace('\n', ' ').replace('\r', ' ');
        synchronized (out) {
            out.println(line);
        }
    }
}
