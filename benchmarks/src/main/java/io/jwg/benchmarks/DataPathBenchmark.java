package io.jwg.benchmarks;

import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.crypto.TransportAead;
import io.jwg.core.tunnel.OpenJob;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.SealJob;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import io.jwg.daemon.Aeads;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * The daemon's whole per-packet data path in one thread, without TUN or sockets: a batch of IP
 * packets from memory goes through what the TUN reader and the crypto workers do outbound
 * ({@code Engine.route}, {@code Tunnel.reserve} under the peer's lock, {@code SealJob.seal} with
 * the thread's own cipher) and then what the UDP event loop and the workers do inbound on the
 * other engine ({@code Engine.beginTransport}, {@code OpenJob.open}, {@code Engine.finishTransport}:
 * replay window, timers, allowed-IPs source check) into a sink that counts the bytes that would
 * be written to the TUN. Batches of {@code batch} packets, as the daemon moves them (TUN bursts,
 * recvmmsg/sendmmsg), and a score per packet, with either AEAD. Run it with {@code -prof gc}
 * for B/op.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class DataPathBenchmark {
    static final int BATCH = 64;

    /** Inner packet size: the tunnel MTU wg-quick uses, and a small (ACK-sized) packet. */
    @Param({"1420", "80"})
    public int size;

    /** The data path's AEAD: OpenSSL's libcrypto (the daemon's default) or the JDK cipher. */
    @Param({"openssl", "jdk"})
    public String aead;

    private EnginePair pair;
    private final ByteBuffer[] packets = new ByteBuffer[BATCH];
    private final ByteBuffer[] wire = new ByteBuffer[BATCH];
    private final ByteBuffer[] inner = new ByteBuffer[BATCH];
    private final SealJob[] seals = new SealJob[BATCH];
    private final OpenJob[] opens = new OpenJob[BATCH];
    private TransportAead cipher;
    private final Received received = new Received();
    private long sink;

    /** A completed handshake and one checked trip through the path. */
    @Setup
    public void setup() {
        pair = new EnginePair(SystemNanoClock.INSTANCE, SystemEpochNanoClock.INSTANCE,
                SystemNanoClock.INSTANCE, SystemEpochNanoClock.INSTANCE);
        pair.handshake();
        cipher = aead.equals("openssl") ? Aeads.openSsl() : new ChaChaPoly();
        for (int i = 0; i < BATCH; i++) {
            packets[i] = EnginePair.ipv4Packet(size, "10.0.0.1", "10.0.0.2", true);
            wire[i] = ByteBuffer.allocateDirect(EnginePair.MAX_DATAGRAM);
            inner[i] = ByteBuffer.allocateDirect(EnginePair.MAX_DATAGRAM);
            seals[i] = new SealJob();
            opens[i] = new OpenJob();
        }
        long before = sink;
        batch();
        if (sink - before != (long) BATCH * size) {
            throw new IllegalStateException("the data path delivered " + (sink - before) + " bytes, expected " + BATCH * size);
        }
        for (int i = 0; i < BATCH; i++) {
            if (!inner[i].equals(packets[i])) {
                throw new IllegalStateException("packet " + i + " changed on the way");
            }
        }
    }

    /** One batch out of engine A and into engine B; the score is per packet. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long batch() {
        for (int i = 0; i < BATCH; i++) {
            Tunnel tunnel = pair.a.route(packets[i]);
            if (tunnel == null || tunnel.reserve(packets[i], wire[i].capacity(), seals[i]) != Verdict.WRITE_TO_NETWORK) {
                throw new IllegalStateException("no session");
            }
        }
        for (int i = 0; i < BATCH; i++) {
            seals[i].seal(cipher, packets[i], wire[i]);
        }
        for (int i = 0; i < BATCH; i++) {
            if (!pair.b.beginTransport(wire[i], opens[i], received)) {
                throw new IllegalStateException("unknown index");
            }
            opens[i].open(cipher, wire[i], inner[i]);
        }
        for (int i = 0; i < BATCH; i++) {
            if (pair.b.finishTransport(opens[i], EnginePair.ENDPOINT_A, inner[i], received) == Verdict.WRITE_TO_TUNNEL) {
                sink += inner[i].remaining();
            }
        }
        return sink;
    }
}
