package io.jwg.uapi;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection, wireguard-go's {@code IpcHandle}: any number of operations, each
 * {@code get=1\n\n} or {@code set=1\n} + lines + a blank line, each answered with
 * {@code errno=N\n\n} (after the configuration, for get). Any other operation line closes the
 * connection without a reply, as does EOF.
 *
 * <p>Set sections: a line is at most {@value #MAX_LINE} bytes with its newline (Go's
 * {@code bufio.Scanner} limit; longer is EIO), a CR before the newline is dropped. A set error is
 * answered at once; the rest of that section, up to its blank line, is then skipped (wireguard-go
 * loses it in its scanner buffer when, as with {@code wg}, it arrived together).
 *
 * <p>Locking: the first {@value #UNLOCKED_SECTION_BYTES} bytes of a set section are read and
 * parsed without the device's config lock, so a client that stalls mid-section holds nothing;
 * a syntax error stops reading there. Longer sections (bulk configuration) are then applied and
 * streamed under the lock, bounded by the idle timeout per read and an overall limit.
 *
 * <p>Blocking reads and writes carry a deadline that the server's reaper enforces by closing the
 * connection, so a silent client costs one idle virtual thread and a 64 KiB buffer, never a lock.
 */
final class UapiConnection implements Runnable {
    /** Go's bufio.MaxScanTokenSize: the longest set line, newline included. */
    static final int MAX_LINE = 64 * 1024;
    /** Set-section bytes read before the config lock is taken. */
    static final int UNLOCKED_SECTION_BYTES = 64 * 1024;
    private static final Logger LOG = Logger.getLogger(UapiConnection.class.getName());
    private static final byte[] GET = "get=1\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SET = "set=1\n".getBytes(StandardCharsets.US_ASCII);

    /** The byte stream under a connection; close() must wake a blocked read or write. */
    interface Transport extends Closeable {
        /** Reads at least one byte, or returns -1 at EOF. */
        int read(ByteBuffer dst) throws IOException;

        /** Writes some bytes of {@code src}. */
        int write(ByteBuffer src) throws IOException;
    }

    private final UapiDevice device;
    private final Transport transport;
    private final long idleTimeoutNanos;
    private final long lockedLimitNanos;
    private final ByteBuffer in = ByteBuffer.allocate(MAX_LINE).flip();
    private volatile long deadline = Long.MAX_VALUE;
    private volatile boolean closed;

    UapiConnection(UapiDevice device, Transport transport, long idleTimeoutNanos, long lockedLimitNanos) {
        this.device = device;
        this.transport = transport;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.lockedLimitNanos = lockedLimitNanos;
    }

    /** Closes the connection if a blocking read or write has passed its deadline. */
    boolean reapIfExpired(long now) {
        if (now - deadline > 0) {
            close();
            return true;
        }
        return false;
    }

    boolean isClosed() {
        return closed;
    }

    void close() {
        closed = true;
        try {
            transport.close();
        } catch (IOException e) {
            // nothing left to do for a connection being dropped
        }
    }

    @Override
    public void run() {
        try {
            serve();
        } catch (IOException e) {
            LOG.log(Level.FINE, "UAPI connection ended", e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "UAPI connection failed", e); // never takes the daemon down
        } finally {
            close();
        }
    }

    private void serve() throws IOException {
        while (true) {
            int op = readOperation();
            if (op == 0) {
                return;
            }
            if (op == 'g') {
                int next = readByte(Long.MAX_VALUE);
                if (next < 0) {
                    return;
                }
                if (next != '\n') {
                    LOG.fine(() -> "trailing character in UAPI get: " + next);
                    reply(UapiException.EINVAL);
                    continue;
                }
                StringBuilder out = new StringBuilder(1024);
                synchronized (device.configLock()) {
                    UapiGet.format(device, out);
                }
                out.append("errno=0\n\n");
                write(out);
            } else {
                SetOutcome outcome = set();
                reply(outcome.errno);
                if (outcome.closeAfter) {
                    return;
                }
                if (outcome.skipRest && !skipSection()) {
                    return;
                }
            }
        }
    }

    /** Reads an operation line: 'g', 's', or 0 for EOF or anything else (close, no reply). */
    private int readOperation() throws IOException {
        int first = readByte(Long.MAX_VALUE);
        byte[] expected = first == 'g' ? GET : first == 's' ? SET : null;
        if (expected == null) {
            return 0;
        }
        for (int i = 1; i < expected.length; i++) {
            if (readByte(Long.MAX_VALUE) != expected[i]) {
                return 0;
            }
        }
        return first;
    }

    private record SetOutcome(int errno, boolean skipRest, boolean closeAfter) {
    }

    private SetOutcome set() {
        UapiSet op = new UapiSet(device);
        List<UapiSet.Line> pending = new ArrayList<>();
        UapiException failure = null;
        boolean ended = false;
        int bytes = 0;
        while (bytes < UNLOCKED_SECTION_BYTES) {
            String line;
            try {
                line = readLine(Long.MAX_VALUE);
            } catch (IOException e) {
                failure = new UapiException(UapiException.EIO, "failed to read input: " + e.getMessage(), e);
                break;
            }
            if (line == null || line.isEmpty()) {
                ended = true;
                break;
            }
            bytes += line.length() + 1;
            try {
                pending.add(op.parse(line));
            } catch (UapiException e) {
                failure = e;
                break;
            }
        }
        synchronized (device.configLock()) {
            try {
                for (UapiSet.Line line : pending) {
                    op.apply(line);
                }
                if (failure != null) {
                    throw failure;
                }
                long limit = System.nanoTime() + lockedLimitNanos;
                while (!ended) {
                    String line;
                    try {
                        line = readLine(limit);
                    } catch (IOException e) {
                        throw new UapiException(UapiException.EIO, "failed to read input: " + e.getMessage(), e);
                    }
                    if (line == null || line.isEmpty()) {
                        break;
                    }
                    op.apply(op.parse(line));
                }
                op.finish();
                return new SetOutcome(0, false, false);
            } catch (UapiException e) {
                // Unlike wireguard-go, the peer section closes on error too, so that what was
                // applied to it (a new endpoint, a keepalive turned on) reaches the device.
                op.finish();
                LOG.fine(() -> "IPC error " + e.errno() + ": " + e.getMessage());
                boolean io = e.errno() == UapiException.EIO;
                return new SetOutcome(e.errno(), !io, io);
            }
        }
    }

    /** Skips set lines up to the blank line ending the section; false at EOF or on error. */
    private boolean skipSection() {
        try {
            while (true) {
                String line = readLine(Long.MAX_VALUE);
                if (line == null) {
                    return false;
                }
                if (line.isEmpty()) {
                    return true;
                }
            }
        } catch (IOException e) {
            return false;
        }
    }

    private void reply(int errno) throws IOException {
        write(new StringBuilder(16).append("errno=").append(errno).append("\n\n"));
    }

    private void write(CharSequence text) throws IOException {
        ByteBuffer out = StandardCharsets.ISO_8859_1.encode(text.toString());
        while (out.hasRemaining()) {
            arm(Long.MAX_VALUE);
            try {
                transport.write(out);
            } finally {
                deadline = Long.MAX_VALUE;
            }
        }
    }

    /**
     * Reads one set line without its newline (and one CR before it), or the last bytes before
     * EOF, or null at EOF. Throws for a line longer than {@link #MAX_LINE} and on timeouts.
     */
    private String readLine(long limit) throws IOException {
        int start = in.position();
        int scanned = start;
        while (true) {
            for (; scanned < in.limit(); scanned++) {
                if (in.get(scanned) == '\n') {
                    int end = scanned > start && in.get(scanned - 1) == '\r' ? scanned - 1 : scanned;
                    String line = new String(in.array(), start, end - start, StandardCharsets.ISO_8859_1);
                    in.position(scanned + 1);
                    return line;
                }
            }
            if (start > 0) { // make room: move the partial line to the front
                in.compact().flip();
                scanned -= start;
                start = 0;
            }
            if (in.limit() == in.capacity()) {
                throw new IOException("bufio.Scanner: token too long");
            }
            if (!fill(limit)) {
                if (in.limit() == start) {
                    return null;
                }
                int end = in.get(in.limit() - 1) == '\r' ? in.limit() - 1 : in.limit();
                String line = new String(in.array(), start, end - start, StandardCharsets.ISO_8859_1);
                in.position(in.limit());
                return line;
            }
        }
    }

    private int readByte(long limit) throws IOException {
        if (!in.hasRemaining()) {
            in.clear().flip();
            if (!fill(limit)) {
                return -1;
            }
        }
        return in.get() & 0xFF;
    }

    /** Appends what the client sent next after the buffered bytes; false at EOF. */
    private boolean fill(long limit) throws IOException {
        int position = in.position();
        in.position(in.limit()).limit(in.capacity());
        int n;
        arm(limit);
        try {
            n = transport.read(in);
        } finally {
            deadline = Long.MAX_VALUE;
            in.limit(in.position()).position(position);
        }
        return n > 0;
    }

    private void arm(long limit) {
        long idle = System.nanoTime() + idleTimeoutNanos;
        deadline = limit - idle < 0 ? limit : idle;
    }
}
