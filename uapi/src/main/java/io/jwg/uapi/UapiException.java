package io.jwg.uapi;

/**
 * A failed UAPI operation: the negative errno the reply carries ({@code errno=N}) and, for the
 * log, why. The codes are wireguard-go's {@code ipc.IpcError*} values.
 */
public final class UapiException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Reading the request failed (line too long, timeout, broken connection). */
    public static final int EIO = -5;
    /** A key or value that is not accepted. */
    public static final int EINVAL = -22;
    /** A line without {@code '='}. */
    public static final int EPROTO = -71;
    /** The listen port could not be bound, or the fwmark could not be set. */
    public static final int EADDRINUSE = -98;

    private final int errno;

    /** An error with reply code {@code errno} (one of the constants) and a log message. */
    public UapiException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    /** An error caused by {@code cause}. */
    public UapiException(int errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /** The code the reply carries, e.g. -22. */
    public int errno() {
        return errno;
    }
}
