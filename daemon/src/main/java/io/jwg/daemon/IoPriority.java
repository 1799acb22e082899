package io.jwg.daemon;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The scheduling priority of the threads that move packets between the kernel and the crypto
 * queues: the UDP socket's event loop and the TUN reader. They run at {@code nice} {@value #DEFAULT}
 * unless {@code JWG_IO_NICE} says otherwise ({@code off} or {@code 0}: the default priority).
 *
 * <p>Why: the kernel's WireGuard receives in softirq context, ahead of every task, and does its
 * crypto in ordinary worker threads. A userspace daemon's readers instead compete for the CPU
 * with its own crypto workers and everything else on the box; on a busy 2-vCPU machine a reader
 * waits for a CPU while datagrams pile up in the socket's receive queue (measured: up to
 * 1.5 MB), where no queue discipline sees them, and every flow of every peer waits behind them.
 * Ahead of the crypto, the readers keep the socket drained and the backlog forms in the per-peer
 * queues, where {@link Codel} keeps it short. Measured (two jwg daemons, one TCP stream and a
 * 500/s UDP probe through the tunnel, 5-6 alternating runs each): p99 round trip 4.8 ms at the
 * default priority, 1.1-1.2 ms at nice -5, 1.7 ms at -10; throughput unchanged. A reader runs
 * only while packets arrive (sealing or opening what the workers have not taken, as before), so
 * it cannot hold a CPU for longer than the traffic keeps it busy.
 *
 * <p>A negative nice value needs {@code CAP_SYS_NICE} or an {@code RLIMIT_NICE} that allows it
 * (systemd: {@code LimitNICE=}); without either the threads keep the default priority and the
 * daemon says so once in its verbose log.
 */
final class IoPriority {
    static final String ENV = "JWG_IO_NICE";
    static final int DEFAULT = -5;
    /** No change: the threads run at whatever priority the process has. */
    static final IoPriority NONE = new IoPriority(0, null);

    private static final int PRIO_PROCESS = 0;

    static {
        Native.register("c");
    }

    private final int nice;
    private final Log log;
    private final AtomicBoolean reported = new AtomicBoolean();

    private IoPriority(int nice, Log log) {
        this.nice = nice;
        this.log = log;
    }

    private static native int setpriority(int which, int who, int prio) throws LastErrorException;

    private static native int gettid();

    /**
     * The priority {@code value} of {@value #ENV} asks for (null: the default).
     *
     * @throws IllegalArgumentException with a one-line message when it is not a nice value
     */
    static IoPriority parse(String value, Log log) {
        if (value == null || value.isBlank()) {
            return new IoPriority(DEFAULT, log);
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("off")) {
            return NONE;
        }
        int nice;
        try {
            nice = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            nice = Integer.MIN_VALUE;
        }
        if (nice < -20 || nice > 19) {
            throw new IllegalArgumentException("Invalid " + ENV + " '" + value + "': a nice value from -20 to 19, or off");
        }
        return nice == 0 ? NONE : new IoPriority(nice, log);
    }

    /** The nice value asked for; 0 when the priority is left alone. */
    int nice() {
        return nice;
    }

    /**
     * Gives the calling thread this priority, or reports (once, in the verbose log) that the
     * kernel refused. Linux applies {@code setpriority(PRIO_PROCESS, tid)} to one thread.
     */
    private void applyToCurrentThread() {
        try {
            setpriority(PRIO_PROCESS, gettid(), nice);
            report("Packet I/O threads run at nice " + nice);
        } catch (LastErrorException e) {
            report("Could not give the packet I/O threads nice " + nice + " (errno " + e.getErrorCode()
                    + ": needs CAP_SYS_NICE or LimitNICE=" + nice + "); they run at the default priority");
        }
    }

    /** {@code task}, run at this priority. */
    Runnable around(Runnable task) {
        if (nice == 0) {
            return task;
        }
        return () -> {
            applyToCurrentThread();
            task.run();
        };
    }

    private void report(String message) {
        if (log != null && reported.compareAndSet(false, true)) {
            log.debug(message);
        }
    }
}
