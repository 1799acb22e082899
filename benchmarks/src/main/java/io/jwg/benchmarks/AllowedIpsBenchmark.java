package io.jwg.benchmarks;

import io.jwg.core.routing.AllowedIps;
import io.jwg.core.routing.IpPrefix;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Longest-prefix match in the cryptokey routing table, done twice per packet (destination on
 * send, source on receive), in a table of {@code prefixes} random prefixes per family spread
 * over 1,000 peers — a large hub's size.
 *
 * <p>IPv4 prefix lengths are uniform in 8..32, IPv6 in 16..128. Lookups read addresses in
 * place from a direct buffer, as the engine reads packet headers. Half of the addresses are
 * drawn inside an inserted prefix (random host bits), half are uniformly random (mostly misses
 * or short-prefix hits), so both deep and shallow walks are timed. 64 Ki addresses are cycled,
 * more than the caches hold for the trie path of each.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AllowedIpsBenchmark {
    private static final int ADDRESSES = 1 << 16;
    private static final int PEERS = 1000;

    /** Prefixes per address family. */
    @Param({"10000"})
    public int prefixes;

    private final AllowedIps<Object> table = new AllowedIps<>();
    private ByteBuffer v4;
    private ByteBuffer v6;
    private int i4;
    private int i6;

    /** Fills the table and the address lists. */
    @Setup
    public void setup() throws UnknownHostException {
        SplittableRandom random = new SplittableRandom(3);
        Object[] peers = new Object[PEERS];
        for (int i = 0; i < PEERS; i++) {
            peers[i] = new Object();
        }
        byte[][] inserted4 = new byte[prefixes][];
        byte[][] inserted6 = new byte[prefixes][];
        for (int i = 0; i < prefixes; i++) {
            inserted4[i] = randomBytes(random, 4);
            table.insert(new IpPrefix(InetAddress.getByAddress(inserted4[i]), 8 + random.nextInt(25)),
                    peers[random.nextInt(PEERS)]);
            inserted6[i] = randomBytes(random, 16);
            table.insert(new IpPrefix(Inet6Address.getByAddress(null, inserted6[i], -1), 16 + random.nextInt(113)),
                    peers[random.nextInt(PEERS)]);
        }
        v4 = ByteBuffer.allocateDirect(ADDRESSES * 4);
        v6 = ByteBuffer.allocateDirect(ADDRESSES * 16);
        for (int i = 0; i < ADDRESSES; i++) {
            // Even slots: inside an inserted prefix (its address with the host bits as drawn), odd: random.
            v4.put(i * 4, i % 2 == 0 ? inserted4[random.nextInt(prefixes)] : randomBytes(random, 4));
            v6.put(i * 16, i % 2 == 0 ? inserted6[random.nextInt(prefixes)] : randomBytes(random, 16));
        }
    }

    /** One IPv4 lookup. */
    @Benchmark
    public Object ipv4() {
        int offset = i4;
        i4 = (offset + 4) & (ADDRESSES * 4 - 1);
        return table.lookup(v4, offset, false);
    }

    /** One IPv6 lookup. */
    @Benchmark
    public Object ipv6() {
        int offset = i6;
        i6 = (offset + 16) & (ADDRESSES * 16 - 1);
        return table.lookup(v6, offset, true);
    }

    private static byte[] randomBytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
