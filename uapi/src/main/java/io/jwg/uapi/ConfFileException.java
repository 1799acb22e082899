package io.jwg.uapi;

/**
 * A configuration file that cannot be used: unreadable, or a line {@code wg setconf} would reject.
 * The message is one line, {@code FILE:LINE: what is wrong}, and never quotes key material.
 */
public final class ConfFileException extends Exception {
    private static final long serialVersionUID = 1L;

    /** An error about the whole file, or about line {@code line} (1-based) when it is positive. */
    ConfFileException(String source, int line, String message) {
        super(line > 0 ? source + ":" + line + ": " + message : source + ": " + message);
    }
}
