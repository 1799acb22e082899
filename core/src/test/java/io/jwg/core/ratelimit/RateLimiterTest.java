package io.jwg.core.ratelimit;

import io.jwg.core.Allocations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private static final long MS = 1_000_000L;
    private static final long COST = RateLimiter.PACKET_COST_NANOS;
    /** Deliberately not zero: callers pass System.nanoTime(), which may be anything. */
    private static final long T0 = -123_456_789_000L;

    private static int ipv4(int a, int b, int c, int d) {
        return a << 24 | b << 16 | c << 8 | d;
    }

    @Test
    void shouldFollowWireguardGoSequence() {
        // The sequence of wireguard-go's ratelimiter_test.go, for several sources at once.
        RateLimiter limiter = new RateLimiter();
        int[] v4 = {ipv4(127, 0, 0, 1), ipv4(192, 168, 1, 1), ipv4(172, 167, 2, 3), ipv4(97, 231, 252, 215)};
        long[][] v6 = {{0x20010db80a0b12f0L, 1L}, {0xf5c2818fc052655aL, 0x9860b136689425f0L}};
        long now = T0;
        boolean[] expected = {true, true, true, true, true, false};
        for (boolean e : expected) {
            assertAll(limiter, v4, v6, now, e, "initial burst");
        }
        now += COST;
        assertAll(limiter, v4, v6, now, true, "one packet refilled");
        assertAll(limiter, v4, v6, now, false, "not refilled enough");
        now += 2 * COST;
        assertAll(limiter, v4, v6, now, true, "two packets refilled");
        assertAll(limiter, v4, v6, now, true, "second of two");
        assertAll(limiter, v4, v6, now, false, "after two");
    }

    private static void assertAll(RateLimiter limiter, int[] v4, long[][] v6, long now, boolean expected, String what) {
        for (int a : v4) {
            assertEquals(expected, limiter.allowIpv4(a, now), what + " " + Integer.toHexString(a));
        }
        for (long[] a : v6) {
            assertEquals(expected, limiter.allowIpv6(a[0], a[1], now), what + " " + Long.toHexString(a[0]));
        }
    }

    @Test
    void shouldAllowBurstOfFiveThenRefuse() {
        RateLimiter limiter = new RateLimiter();
        int source = ipv4(10, 0, 0, 1);
        for (int i = 0; i < RateLimiter.PACKETS_BURSTABLE; i++) {
            assertTrue(limiter.allowIpv4(source, T0), "packet " + i);
        }
        assertFalse(limiter.allowIpv4(source, T0));
        assertFalse(limiter.allowIpv4(source, T0 + 49 * MS));
    }

    @Test
    void shouldRefillOnePacketEvery50Ms() {
        RateLimiter limiter = new RateLimiter();
        int source = ipv4(10, 0, 0, 1);
        for (int i = 0; i < 5; i++) {
            limiter.allowIpv4(source, T0);
        }
        assertFalse(limiter.allowIpv4(source, T0 + 25 * MS));
        assertTrue(limiter.allowIpv4(source, T0 + 50 * MS));
        assertFalse(limiter.allowIpv4(source, T0 + 50 * MS));
        // Sustained 20/s is fine forever.
        for (int i = 2; i < 100; i++) {
            assertTrue(limiter.allowIpv4(source, T0 + i * 50 * MS), "tick " + i);
        }
        // A long rest refills no more than the burst.
        long later = T0 + 100 * 50 * MS + 10_000 * MS;
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allowIpv4(source, later));
        }
        assertFalse(limiter.allowIpv4(source, later));
    }

    @Test
    void shouldNotRunBucketClockBackwards() {
        RateLimiter limiter = new RateLimiter();
        int source = ipv4(10, 0, 0, 1);
        for (int i = 0; i < 5; i++) {
            limiter.allowIpv4(source, T0 + 100 * MS);
        }
        // A thread that read the clock earlier must not drain or refill the bucket.
        assertFalse(limiter.allowIpv4(source, T0));
        assertTrue(limiter.allowIpv4(source, T0 + 150 * MS));
    }

    @Test
    void shouldKeepSourcesIndependent() {
        RateLimiter limiter = new RateLimiter();
        int a = ipv4(10, 0, 0, 1);
        int b = ipv4(10, 0, 0, 2);
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allowIpv4(a, T0));
        }
        assertFalse(limiter.allowIpv4(a, T0));
        assertTrue(limiter.allowIpv4(b, T0));
        // An IPv6 source whose bits equal an IPv4 key is still another source.
        assertTrue(limiter.allowIpv6(0L, a & 0xFFFF_FFFFL, T0));
        assertEquals(3, limiter.size());
    }

    @Test
    void shouldKeyIpv6ByFullAddressLikeWireguardGo() {
        RateLimiter limiter = new RateLimiter();
        long prefix = 0x20010db800000001L;
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allowIpv6(prefix, 1L, T0));
        }
        assertFalse(limiter.allowIpv6(prefix, 1L, T0));
        assertTrue(limiter.allowIpv6(prefix, 2L, T0));
        assertEquals(2, limiter.size());
    }

    @Test
    void shouldShareBucketWithinSlash64WhenAskedTo() {
        RateLimiter limiter = new RateLimiter(RateLimiter.DEFAULT_MAX_ENTRIES, true);
        long prefix = 0x20010db800000001L;
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allowIpv6(prefix, i, T0));
        }
        assertFalse(limiter.allowIpv6(prefix, 0xdeadbeefL, T0));
        assertTrue(limiter.allowIpv6(prefix + 1, 0L, T0));
        assertEquals(2, limiter.size());
    }

    @Test
    void shouldAcceptInetAddresses() throws UnknownHostException {
        RateLimiter limiter = new RateLimiter();
        InetAddress v4 = InetAddress.getByName("192.0.2.7");
        InetAddress v6 = InetAddress.getByName("2001:db8::7");
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allow(v4, T0));
            assertTrue(limiter.allow(v6, T0));
        }
        assertFalse(limiter.allow(v4, T0));
        assertFalse(limiter.allow(v6, T0));
        assertFalse(limiter.allowIpv4(ipv4(192, 0, 2, 7), T0));
        assertFalse(limiter.allowIpv6(0x20010db800000000L, 7L, T0));
        assertEquals(2, limiter.size());
    }

    @Test
    void shouldCollectSourcesIdleForMoreThanOneSecond() {
        RateLimiter limiter = new RateLimiter();
        int a = ipv4(10, 0, 0, 1);
        int b = ipv4(10, 0, 0, 2);
        limiter.allowIpv4(a, T0);
        limiter.allowIpv4(b, T0 + 500 * MS);
        limiter.collectGarbage(T0 + 1000 * MS);
        assertEquals(2, limiter.size(), "exactly one second idle is kept");
        limiter.collectGarbage(T0 + 1000 * MS + 1);
        assertEquals(1, limiter.size());
        limiter.collectGarbage(T0 + 1500 * MS + 1);
        assertEquals(0, limiter.size());
    }

    @Test
    void shouldCollectLazilyAtMostOncePerSecond() {
        RateLimiter limiter = new RateLimiter();
        for (int i = 0; i < 100; i++) {
            limiter.allowIpv4(ipv4(10, 0, 0, i), T0);
        }
        assertEquals(100, limiter.size());
        // 1.5 s later: the first call since the clock started a second ago sweeps the idle ones.
        limiter.allowIpv4(ipv4(10, 1, 0, 0), T0 + 1500 * MS);
        assertEquals(1, limiter.size());
        for (int i = 0; i < 10; i++) {
            limiter.allowIpv4(ipv4(10, 2, 0, i), T0 + 1600 * MS);
        }
        // Not yet a second since the last sweep: nothing collected even though 10.1.0.0 is idle.
        limiter.allowIpv4(ipv4(10, 3, 0, 0), T0 + 2400 * MS + 1);
        assertEquals(12, limiter.size());
        // A second after the last sweep: 10.1.0.0 (idle 1.05 s) goes, 10.2.0.x (idle 0.95 s) stay.
        limiter.allowIpv4(ipv4(10, 3, 0, 0), T0 + 2550 * MS);
        assertEquals(11, limiter.size());
    }

    @Test
    void shouldForgetBucketStateAfterCollection() {
        RateLimiter limiter = new RateLimiter();
        int a = ipv4(10, 0, 0, 1);
        for (int i = 0; i < 6; i++) {
            limiter.allowIpv4(a, T0);
        }
        limiter.collectGarbage(T0 + 2000 * MS);
        assertEquals(0, limiter.size());
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.allowIpv4(a, T0 + 2000 * MS));
        }
    }

    @Test
    void shouldRefuseNewSourcesWhenFull() {
        RateLimiter limiter = new RateLimiter(3, false);
        assertTrue(limiter.allowIpv4(1, T0));
        assertTrue(limiter.allowIpv4(2, T0));
        assertTrue(limiter.allowIpv6(3L, 3L, T0));
        assertFalse(limiter.allowIpv4(4, T0), "table full");
        assertFalse(limiter.allowIpv6(4L, 4L, T0), "table full");
        assertTrue(limiter.allowIpv4(1, T0), "known sources still served");
        assertEquals(3, limiter.size());
        // Once the old sources have been idle long enough, collection makes room again.
        assertTrue(limiter.allowIpv4(4, T0 + 1001 * MS));
        assertEquals(1, limiter.size());
    }

    @Test
    void shouldSurviveFloodOfSpoofedSourcesAndShrinkAfterwards() {
        int cap = 1 << 12;
        RateLimiter limiter = new RateLimiter(cap, false);
        int allowed = 0;
        for (int i = 0; i < 3 * cap; i++) {
            if (limiter.allowIpv4(0x0A00_0000 + i, T0 + i)) {
                allowed++;
            }
        }
        assertEquals(cap, allowed);
        assertEquals(cap, limiter.size());
        // Every flooded source is still tracked exactly once, with its own bucket.
        for (int i = 0; i < cap; i++) {
            assertTrue(limiter.allowIpv4(0x0A00_0000 + i, T0 + 3 * cap));
        }
        assertEquals(cap, limiter.size());
        limiter.collectGarbage(T0 + 3 * cap + 1001 * MS);
        assertEquals(0, limiter.size());
        for (int i = 0; i < 10; i++) {
            assertTrue(limiter.allowIpv4(i, T0 + 3000 * MS));
        }
        assertEquals(10, limiter.size());
    }

    @Test
    void shouldNotAllocateInSteadyState() {
        RateLimiter limiter = new RateLimiter();
        long now = T0;
        int sink = 0;
        for (int cycle = 0; cycle < 6; cycle++) {
            long before = Allocations.allocatedBytes();
            // 100 sources, of which only the first 50 stay active; the rest are collected.
            for (int i = 0; i < 100; i++) {
                sink += limiter.allowIpv4(0x0A00_0000 + i, now) ? 1 : 0;
                sink += limiter.allowIpv6(0x2001_0db8_0000_0000L, i, now) ? 1 : 0;
            }
            for (int step = 1; step <= 3; step++) {
                for (int i = 0; i < 50; i++) {
                    sink += limiter.allowIpv4(0x0A00_0000 + i, now + step * 500 * MS) ? 1 : 0;
                    sink += limiter.allowIpv6(0x2001_0db8_0000_0000L, i, now + step * 500 * MS) ? 1 : 0;
                }
            }
            now += 1500 * MS;
            long allocated = Allocations.allocatedBytes() - before;
            if (cycle >= 2) { // after the table has grown and the spare exists
                assertTrue(allocated < 4096, allocated + " bytes allocated in cycle " + cycle);
            }
        }
        assertTrue(sink > 0);
    }

    /**
     * Random traffic from many sources against a HashMap model of the same rules, so the open
     * addressing, growth, collection rehash and shrinking are checked against a plain map.
     */
    @Test
    void shouldMatchMapModelOnRandomTraffic() {
        record Key(boolean v6, long hi, long lo) {
        }
        final class Bucket {
            long tokens = RateLimiter.MAX_TOKENS - COST;
            long last;
        }
        int cap = 300;
        RateLimiter limiter = new RateLimiter(cap, false);
        Map<Key, Bucket> model = new HashMap<>();
        SplittableRandom random = new SplittableRandom(20);
        long now = T0;
        long lastCollect = now;
        boolean started = false;
        for (int op = 0; op < 200_000; op++) {
            now += random.nextInt(4) == 0 ? random.nextLong(300 * MS) : random.nextLong(2 * MS);
            // Bursts of many sources now and then, a small steady set otherwise.
            int population = op % 20_000 < 2_000 ? 5_000 : 40;
            boolean v6 = random.nextBoolean();
            int id = random.nextInt(population);
            Key key = new Key(v6, v6 ? 0x2001_0db8_0000_0000L + id % 7 : 0x0A00_0000L + id, v6 ? id : 0);
            if (!started) {
                started = true;
                lastCollect = now;
            } else if (now - lastCollect >= RateLimiter.GARBAGE_COLLECT_NANOS) {
                long at = now;
                model.values().removeIf(b -> at - b.last > RateLimiter.GARBAGE_COLLECT_NANOS);
                lastCollect = now;
            }
            boolean expected;
            Bucket bucket = model.get(key);
            if (bucket == null) {
                expected = model.size() < cap;
                if (expected) {
                    bucket = new Bucket();
                    bucket.last = now;
                    model.put(key, bucket);
                }
            } else {
                bucket.tokens = Math.min(RateLimiter.MAX_TOKENS, bucket.tokens + (now - bucket.last));
                bucket.last = now;
                expected = bucket.tokens >= COST;
                if (expected) {
                    bucket.tokens -= COST;
                }
            }
            boolean actual = v6 ? limiter.allowIpv6(key.hi(), key.lo(), now) : limiter.allowIpv4((int) key.hi(), now);
            assertEquals(expected, actual, "op " + op + " " + key);
            assertEquals(model.size(), limiter.size(), "op " + op);
        }
    }

}
