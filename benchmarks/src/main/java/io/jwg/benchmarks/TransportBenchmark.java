package io.jwg.benchmarks;

import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Verdict;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The transport data path of the protocol core, per packet: {@code Tunnel.encapsulate} (and
 * {@code Engine.encapsulate}, which first routes by destination address), and
 * {@code Engine.decapsulate} (index lookup, AEAD open, replay window, timers, inner source check)
 * of a 1420-byte IPv4 packet between two engines that completed a real handshake in setup.
 * Run it with {@code -prof gc}: the design requires ≈ 0 B/op here.
 *
 * <p>Decapsulation cannot replay one datagram: the replay window would drop every copy after the
 * first, and the benchmark would time the drop path. So {@link #decapsulate} opens a batch of
 * {@value #BATCH} datagrams that an invocation-level setup freshly encapsulated (new counters)
 * and JMH reports per datagram ({@code @OperationsPerInvocation}). JMH times each invocation
 * alone, so the setup's encryption is not in the score; a batch of ~0.3 ms makes the per-call
 * timestamp overhead negligible. Caveat: {@code -prof gc} counts the whole thread, so
 * decapsulate's B/op also contains the setup's encapsulations (subtract the
 * {@link #encapsulate} figure). {@link #roundTrip} (encapsulate + decapsulate back to back) is the
 * cross-check with no setup in between.
 *
 * <p>Clocks are the real system clocks, as in the daemon (one {@code nanoTime} per packet is
 * part of the cost); sessions live 180 s, far longer than a fork of this benchmark.
 * {@code buffers} chooses direct buffers (what Netty's epoll transport hands over) or heap ones.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TransportBenchmark {
    static final int BATCH = 256;
    private static final int PACKET = 1420;

    /** Two engines with a completed handshake, a packet and the buffers. */
    static final class Session {
        final EnginePair pair;
        final ByteBuffer packet;
        final ByteBuffer wire;
        final ByteBuffer inner;
        final boolean direct;
        final Received received = new Received();

        /** Handshake, buffers, and one checked round trip. */
        Session(String buffers) {
            pair = new EnginePair(SystemNanoClock.INSTANCE, SystemEpochNanoClock.INSTANCE,
                    SystemNanoClock.INSTANCE, SystemEpochNanoClock.INSTANCE);
            pair.handshake();
            direct = buffers.equals("direct");
            packet = EnginePair.ipv4Packet(PACKET, "10.0.0.1", "10.0.0.2", direct);
            wire = allocate(EnginePair.MAX_DATAGRAM, direct);
            inner = allocate(EnginePair.MAX_DATAGRAM, direct);
            // The packet must come out where it went in, or nothing below means anything.
            EnginePair.expect(pair.a.encapsulate(packet, wire, received), Verdict.WRITE_TO_NETWORK, "encapsulate");
            EnginePair.expect(pair.b.decapsulate(wire, EnginePair.ENDPOINT_A, false, inner, received),
                    Verdict.WRITE_TO_TUNNEL, "decapsulate");
            if (!inner.equals(packet)) {
                throw new IllegalStateException("round trip changed the packet");
            }
        }
    }

    /** The session for the single-packet benchmarks. */
    @State(Scope.Thread)
    public static class Link {
        /** Buffer kind for packets and datagrams. */
        @Param({"direct", "heap"})
        public String buffers;

        Session session;

        /** Builds the session. */
        @Setup(Level.Trial)
        public void setup() {
            session = new Session(buffers);
        }
    }

    /**
     * A session plus fresh datagrams for one {@link #decapsulate} invocation. A state of its own
     * so that only that benchmark pays for (untimed) invocation-level setup; it owns its session
     * because JMH 1.37 hands each helper-method injection point a separate state instance.
     */
    @State(Scope.Thread)
    public static class Batch {
        /** Buffer kind for packets and datagrams. */
        @Param({"direct", "heap"})
        public String buffers;

        Session session;
        final ByteBuffer[] datagrams = new ByteBuffer[BATCH];

        /** Session and buffers. */
        @Setup(Level.Trial)
        public void setup() {
            session = new Session(buffers);
            for (int i = 0; i < BATCH; i++) {
                datagrams[i] = allocate(EnginePair.MAX_DATAGRAM, session.direct);
            }
        }

        /** Encapsulates the packet into every slot, so each carries a new counter; not timed. */
        @Setup(Level.Invocation)
        public void refill() {
            for (ByteBuffer datagram : datagrams) {
                if (session.pair.peerB.encapsulate(session.packet, datagram) != Verdict.WRITE_TO_NETWORK) {
                    throw new IllegalStateException("encapsulate failed");
                }
            }
        }
    }

    /** Seal one packet for a known peer (no routing), as the per-peer encryption path does. */
    @Benchmark
    public ByteBuffer encapsulate(Link link) {
        Session s = link.session;
        if (s.pair.peerB.encapsulate(s.packet, s.wire) != Verdict.WRITE_TO_NETWORK) {
            throw new IllegalStateException("encapsulate failed");
        }
        return s.wire;
    }

    /** Route by destination address, then seal: what the TUN reader does per packet. */
    @Benchmark
    public ByteBuffer routeAndEncapsulate(Link link) {
        Session s = link.session;
        if (s.pair.a.encapsulate(s.packet, s.wire, s.received) != Verdict.WRITE_TO_NETWORK) {
            throw new IllegalStateException("encapsulate failed");
        }
        return s.wire;
    }

    /** Open {@value #BATCH} fresh datagrams; the score is per datagram. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public ByteBuffer decapsulate(Batch batch) {
        Session s = batch.session;
        for (ByteBuffer datagram : batch.datagrams) {
            if (s.pair.b.decapsulate(datagram, EnginePair.ENDPOINT_A, false, s.inner, s.received)
                    != Verdict.WRITE_TO_TUNNEL) {
                throw new IllegalStateException("decapsulate dropped: " + s.received.dropReason());
            }
        }
        return s.inner;
    }

    /** Seal on A and open on B back to back: the cross-check of the two above (no setup involved). */
    @Benchmark
    public ByteBuffer roundTrip(Link link) {
        Session s = link.session;
        if (s.pair.peerB.encapsulate(s.packet, s.wire) != Verdict.WRITE_TO_NETWORK
                || s.pair.b.decapsulate(s.wire, EnginePair.ENDPOINT_A, false, s.inner, s.received)
                        != Verdict.WRITE_TO_TUNNEL) {
            throw new IllegalStateException("round trip failed: " + s.received.dropReason());
        }
        return s.inner;
    }

    private static ByteBuffer allocate(int capacity, boolean direct) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }
}
