package io.jwg.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Runs the packet path once through two throwaway devices ({@link StandInPair}) when the
 * interface first comes up, so that the JIT has compiled it before the first real packets.
 *
 * <p>Why: a new daemon compiles its packet path from the ahead-of-time cache's profiles as its
 * classes initialize, but among about 1,500 start-up compilations, and part of the path stays
 * C1-compiled: a method the cache's profile compiled with C2 depending on a class not yet
 * initialized is compiled at tier 2 first, and when that class is initialized while the tier-2
 * compilation still waits in the queue, the JIT skips the move to C2; tier-2 code asks again
 * only every 2,048 calls. Sparse traffic (a ping every 0.25 s) took minutes to make those calls;
 * a burst of packets makes them at once. This is that burst, on the daemon's own thread.
 * Measured (fresh pair of jwg daemons, 40 pings 0.25 s apart, 5 pairs each): pooled median
 * round trip 726 µs without, 620 µs with; the first 8 pings 957 → 686 µs.
 *
 * <p>When: at the first link-up, not at start, so that two daemons started one after the other
 * on a small machine do not slow each other's start (launch-to-ready of the second went from
 * about 0.46 s to 0.8 s when this ran at start). The price is paid by the first handshake, which
 * shares the CPU with it: in {@code jwg demo} the first ping, handshake included, took 24-77 ms
 * with it and 27-52 ms without. Running it at nice 19 or under {@code SCHED_IDLE} did not help
 * (a starved thread also holds up the JVM's safepoints: one handshake took 214 ms).
 *
 * <p>It binds two UDP sockets on ephemeral ports of the loopback address for a moment; without a
 * loopback interface it gives up quietly.
 */
final class PathWarmUp {
    /** Round trips at the first link-up (system property {@code jwg.pathWarmUp}, 0 for none). */
    static final int ROUND_TRIPS = Math.max(0, Integer.getInteger("jwg.pathWarmUp", 3_000));

    private PathWarmUp() {
    }

    /** Starts {@link #run} with {@link #ROUND_TRIPS} on its own thread, reporting to {@code log}. */
    static void start(Log log) {
        if (ROUND_TRIPS == 0) {
            return;
        }
        Thread.ofPlatform().daemon().name("jwg-path-warm-up").start(() -> {
            long start = System.nanoTime();
            try {
                int through = run(ROUND_TRIPS);
                log.debug("Packet path warmed up: " + through + " of " + 2 * ROUND_TRIPS + " packets through in "
                        + (System.nanoTime() - start) / 1_000_000 + " ms");
            } catch (IOException | RuntimeException e) {
                log.debug("Packet path warm-up skipped: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * {@code roundTrips} sparse round trips through a new pair, the second half IPv4 only;
     * returns how many of their packets came through.
     */
    static int run(int roundTrips) throws IOException, InterruptedException {
        Log quiet = new Log(Log.Level.SILENT, "warm-up", new PrintStream(OutputStream.nullOutputStream()));
        try (StandInPair pair = StandInPair.open("warm", quiet, false)) {
            pair.connect();
            int through = pair.roundTrips(roundTrips / 2, true);
            pair.ipv4Only();
            return through + pair.roundTrips(roundTrips - roundTrips / 2, false);
        }
    }
}
