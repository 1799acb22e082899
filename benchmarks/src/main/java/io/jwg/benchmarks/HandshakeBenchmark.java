package io.jwg.benchmarks;

import io.jwg.core.Constants;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Verdict;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Handshake cost on each side, through the engine's public entry points (MACs, index table,
 * Noise IKpsk2, keypair installation all included):
 * <ul>
 * <li>{@link #responder}: {@code Engine.decapsulate} of a fresh initiation — MAC1 check, consume
 *     the initiation (DH e·S, authenticated static and TAI64N timestamp), create the response
 *     (new ephemeral, DH e·E and e·S), derive and install the session. This is what a handshake
 *     flood costs us; the target is ≥ 3,000 per second per core.
 * <li>{@link #initiator}: {@code Tunnel.poll} emitting a new initiation (new ephemeral, DH e·S,
 *     encrypted static and timestamp, MAC1).
 * </ul>
 *
 * <p>Every initiation the responder sees must carry a strictly newer TAI64N timestamp (which is
 * rounded down to 2^24 ns), must come more than 20 ms after the previous one from the same peer
 * (flood guard), and the initiator sends at most one initiation per REKEY_TIMEOUT (5 s). Instead of
 * many peers, both engines run on a {@link ManualClock}: before each operation the clocks are
 * advanced (initiator by REKEY_TIMEOUT + 1 s, responder by 25 ms). Nothing in the handshake
 * reads time except those checks, so the work measured is unchanged; no sleeping is involved.
 *
 * <p>The responder's fresh initiation is produced by the initiator engine in an
 * invocation-level setup, which JMH leaves out of the timing (one operation is ~100 µs, so the
 * per-invocation timestamps are noise). The initiator benchmark also runs the tunnel's timer
 * check on each poll, as the daemon would.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HandshakeBenchmark {
    private static final long INITIATOR_STEP = Constants.REKEY_TIMEOUT + 1_000_000_000L;
    private static final long RESPONDER_STEP = 25_000_000L;

    /** Two engines that know each other on manual clocks, and the message buffers. */
    @State(Scope.Thread)
    public static class Peers {
        final ManualClock initiatorClock = new ManualClock(1_700_000_000_000_000_000L);
        final ManualClock responderClock = new ManualClock(1_700_000_000_000_000_000L);
        EnginePair pair;
        final ByteBuffer initiation = ByteBuffer.allocateDirect(EnginePair.MAX_DATAGRAM);
        final ByteBuffer response = ByteBuffer.allocateDirect(EnginePair.MAX_DATAGRAM);
        final Received received = new Received();

        /** One full handshake proves the wiring. */
        @Setup(Level.Trial)
        public void setup() {
            pair = new EnginePair(initiatorClock, initiatorClock, responderClock, responderClock);
            pair.handshake();
        }

        /** Steps A's clock past REKEY_TIMEOUT and has it emit a new initiation into {@link #initiation}. */
        void nextInitiation() {
            initiatorClock.advance(INITIATOR_STEP);
            pair.peerB.requestHandshake();
            if (pair.peerB.poll(initiation) != Verdict.WRITE_TO_NETWORK) {
                throw new IllegalStateException("no initiation");
            }
        }
    }

    /**
     * Peers plus a fresh initiation from A for each {@link #responder} call, made untimed. Extends
     * {@link Peers} rather than depending on it, because JMH 1.37 hands each helper-method
     * injection point a separate state instance; and is a state of its own so that
     * {@link #initiator} does not pay for invocation-level setup.
     */
    @State(Scope.Thread)
    public static class FreshInitiation extends Peers {
        /** Advances both clocks past the rate limits and has A emit a new initiation. */
        @Setup(Level.Invocation)
        public void create() {
            nextInitiation();
            responderClock.advance(RESPONDER_STEP);
        }
    }

    /** Responder: consume one initiation and produce the response. */
    @Benchmark
    public ByteBuffer responder(FreshInitiation peers) {
        Verdict verdict = peers.pair.b.decapsulate(peers.initiation, EnginePair.ENDPOINT_A, false, peers.response,
                peers.received);
        if (verdict != Verdict.WRITE_TO_NETWORK) {
            throw new IllegalStateException("initiation refused: " + peers.received.dropReason());
        }
        return peers.response;
    }

    /** Initiator: create one initiation. */
    @Benchmark
    public ByteBuffer initiator(Peers peers) {
        peers.nextInitiation();
        return peers.initiation;
    }
}
