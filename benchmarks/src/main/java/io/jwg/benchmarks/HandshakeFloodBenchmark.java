package io.jwg.benchmarks;

import io.jwg.core.tunnel.Precheck;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
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
 * What a handshake flood costs the receive thread per datagram: {@code Engine.precheckHandshake}
 * (size, MAC1, and under load MAC2, the per-source budgets and the cookie reply), the part of a
 * handshake jwg does before anything is queued. The flood is a genuine initiation (valid MAC1:
 * the flooder knows our public key, the attack) replayed from 4,096 source addresses in
 * turn, while the responder's clock advances 1 ms per datagram, so every source's budget refills
 * between its visits and each datagram really gets a cookie reply sealed. Compare the scores with
 * {@code HandshakeBenchmark.responder} (the Diffie-Hellman work a datagram costs once accepted):
 * the ratio is how much cheaper a rejected datagram is. Run with {@code -prof gc}: 0 B/op.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HandshakeFloodBenchmark {
    private static final int SOURCES = 4096;

    /** A responder, one genuine initiation, a bad-MAC1 copy of it, and the flood's sources. */
    @State(Scope.Thread)
    public static class Flood extends HandshakeBenchmark.Peers {
        final ByteBuffer badMac1 = ByteBuffer.allocateDirect(EnginePair.MAX_DATAGRAM);
        final InetSocketAddress[] sources = new InetSocketAddress[SOURCES];
        int next;

        /** Builds the messages and addresses; checks each path gives the verdict it is named for. */
        @Setup(Level.Trial)
        public void messages() throws UnknownHostException {
            nextInitiation();
            badMac1.put(initiation.duplicate()).flip();
            int mac1 = badMac1.limit() - 32;
            badMac1.put(mac1, (byte) (badMac1.get(mac1) ^ 1));
            for (int i = 0; i < SOURCES; i++) {
                sources[i] = new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 9, (byte) (i >> 8), (byte) i}), 40_000);
            }
            expect(Precheck.ACCEPT, pair.b.precheckHandshake(initiation, sources[0], false, response, received));
            expect(Precheck.COOKIE_REPLY, pair.b.precheckHandshake(initiation, sources[1], true, response, received));
            expect(Precheck.DROP, pair.b.precheckHandshake(badMac1, sources[2], true, response, received));
        }

        InetSocketAddress source() {
            responderClock.advance(1_000_000L);
            next = (next + 1) & (SOURCES - 1);
            return sources[next];
        }

        private static void expect(Precheck wanted, Precheck got) {
            if (wanted != got) {
                throw new IllegalStateException("expected " + wanted + ", got " + got);
            }
        }
    }

    /** Under load: a valid-MAC1 initiation without MAC2 is answered with a cookie reply. */
    @Benchmark
    public Precheck cookieReply(Flood flood) {
        return flood.pair.b.precheckHandshake(flood.initiation, flood.source(), true, flood.response, flood.received);
    }

    /** A datagram with a wrong MAC1: dropped after one keyed BLAKE2s. */
    @Benchmark
    public Precheck invalidMac1(Flood flood) {
        return flood.pair.b.precheckHandshake(flood.badMac1, flood.source(), true, flood.response, flood.received);
    }

    /** Not under load: MAC1 checked, accepted for the handshake queue. */
    @Benchmark
    public Precheck acceptForQueue(Flood flood) {
        return flood.pair.b.precheckHandshake(flood.initiation, flood.source(), false, flood.response, flood.received);
    }
}
