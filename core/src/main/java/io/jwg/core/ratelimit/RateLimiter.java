package io.jwg.core.ratelimit;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Per-source token bucket that limits handshake processing under load, with wireguard-go's
 * numbers: {@value #PACKETS_PER_SECOND} packets per second, bursts of {@value #PACKETS_BURSTABLE},
 * and sources idle for more than a second forgotten.
 *
 * <p>Tokens are nanoseconds: a packet costs {@link #PACKET_COST_NANOS}, a bucket holds at most
 * {@link #MAX_TOKENS}, and elapsed time refills it one token per nanosecond. A new source is
 * allowed and starts with {@code MAX_TOKENS - PACKET_COST_NANOS}, as in wireguard-go. One
 * deliberate difference: a packet is allowed when {@code tokens >= cost} (the kernel's rule)
 * rather than wireguard-go's {@code tokens > cost}; wireguard-go's own test only gets its burst of
 * five because real time passes between calls, while with a coarse or injected clock the strict
 * comparison would give four.
 *
 * <p>Keys. IPv4 sources are keyed by address. For IPv6, wireguard-go (ratelimiter.go since its
 * switch to {@code map[netip.Addr]}) keys by the full 128-bit address, whereas the Linux module
 * keys by the upper 64 bits. The default here follows wireguard-go; {@code ipv6ByPrefix64} selects
 * the kernel's /64 keying, which keeps one host with a /64 from minting a fresh bucket per address.
 *
 * <p>The table is bounded ({@link #DEFAULT_MAX_ENTRIES} by default) so a spoofed-source flood
 * cannot grow memory without limit: when full, packets from sources not yet in the table are
 * refused until garbage collection makes room. Storage is an open-addressing table in primitive
 * arrays; lookups and updates allocate nothing, only growing or shrinking the table does.
 *
 * <p>Time is passed in by the caller ({@code nowNanos}, any monotonic nanosecond clock). Threads
 * may pass slightly out-of-order times; a bucket never runs its clock backwards.
 *
 * <p>Thread-safe: every public method is {@code synchronized}.
 */
public final class RateLimiter {

    /** Sustained packets per second allowed from one source. */
    public static final int PACKETS_PER_SECOND = 20;
    /** Packets a rested source may send back to back. */
    public static final int PACKETS_BURSTABLE = 5;
    /** Tokens (nanoseconds) one packet costs. */
    public static final long PACKET_COST_NANOS = 1_000_000_000L / PACKETS_PER_SECOND;
    /** Bucket capacity in tokens. */
    public static final long MAX_TOKENS = PACKET_COST_NANOS * PACKETS_BURSTABLE;
    /** A source unused for longer than this is forgotten; also the lazy collection interval. */
    public static final long GARBAGE_COLLECT_NANOS = 1_000_000_000L;
    /** Default bound on tracked sources. */
    public static final int DEFAULT_MAX_ENTRIES = 1 << 16;

    private static final int MIN_SLOTS = 64;
    private static final byte EMPTY = 0;
    private static final byte IPV4 = 1;
    private static final byte IPV6 = 2;

    private final int maxEntries;
    private final int maxSlots;
    private final boolean ipv6ByPrefix64;
    /** Random per instance so an attacker cannot precompute colliding sources. */
    private final long hashSeed;

    private Table table;
    /** Same-sized table reused by garbage collection so steady state allocates nothing. */
    private Table spare;
    private int size;
    private boolean collectClockStarted;
    private long lastCollectNanos;

    /** A limiter keyed like wireguard-go, bounded at {@link #DEFAULT_MAX_ENTRIES} sources. */
    public RateLimiter() {
        this(DEFAULT_MAX_ENTRIES, false);
    }

    /**
     * @param maxEntries     most sources tracked at once (at least 1)
     * @param ipv6ByPrefix64 key IPv6 sources by their /64 like the kernel instead of the full address
     */
    public RateLimiter(int maxEntries, boolean ipv6ByPrefix64) {
        if (maxEntries < 1 || maxEntries > 1 << 28) {
            throw new IllegalArgumentException("maxEntries out of range: " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.maxSlots = Math.max(MIN_SLOTS, ceilPowerOfTwo(maxEntries * 2L));
        this.ipv6ByPrefix64 = ipv6ByPrefix64;
        this.hashSeed = ThreadLocalRandom.current().nextLong();
        this.table = new Table(MIN_SLOTS);
    }

    /** Accounts one packet from an IPv4 source (address in network order as an int). */
    public synchronized boolean allowIpv4(int address, long nowNanos) {
        return allow(IPV4, address & 0xFFFF_FFFFL, 0L, nowNanos);
    }

    /** Accounts one packet from an IPv6 source given as its upper and lower 64 bits. */
    public synchronized boolean allowIpv6(long high64, long low64, long nowNanos) {
        return allow(IPV6, high64, ipv6ByPrefix64 ? 0L : low64, nowNanos);
    }

    /** Convenience form for the control path; allocates (the address bytes). */
    public boolean allow(InetAddress address, long nowNanos) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            return allowIpv4((int) getLong(bytes, 0, 4), nowNanos);
        }
        return allowIpv6(getLong(bytes, 0, 8), getLong(bytes, 8, 8), nowNanos);
    }

    /** Forgets sources unused for more than {@link #GARBAGE_COLLECT_NANOS}. */
    public synchronized void collectGarbage(long nowNanos) {
        collectClockStarted = true;
        lastCollectNanos = nowNanos;
        Table from = table;
        int live = 0;
        for (int i = 0; i < from.kind.length; i++) {
            if (from.kind[i] != EMPTY && !isStale(from, i, nowNanos)) {
                live++;
            }
        }
        if (live == size) {
            return; // nothing to drop: skip the rehash
        }
        int slots = from.kind.length;
        if (slots > MIN_SLOTS && live * 8L <= slots) {
            slots = Math.max(MIN_SLOTS, ceilPowerOfTwo(live * 4L)); // shrink after a flood
        }
        Table to = spare != null && spare.kind.length == slots ? spare : new Table(slots);
        Arrays.fill(to.kind, EMPTY);
        for (int i = 0; i < from.kind.length; i++) {
            if (from.kind[i] != EMPTY && !isStale(from, i, nowNanos)) {
                int slot = -findSlot(to, from.kind[i], from.hi[i], from.lo[i]) - 1;
                to.copyFrom(slot, from, i);
            }
        }
        table = to;
        spare = from.kind.length == slots ? from : null;
        size = live;
    }

    /** Number of sources currently tracked. */
    public synchronized int size() {
        return size;
    }

    private boolean allow(byte kind, long hi, long lo, long nowNanos) {
        if (!collectClockStarted) {
            collectClockStarted = true;
            lastCollectNanos = nowNanos;
        } else if (nowNanos - lastCollectNanos >= GARBAGE_COLLECT_NANOS) {
            collectGarbage(nowNanos);
        }
        Table t = table;
        int slot = findSlot(t, kind, hi, lo);
        if (slot >= 0) {
            return take(t, slot, nowNanos);
        }
        if (size >= maxEntries) {
            return false; // full: a flood of new sources must not evict or grow past the bound
        }
        if ((size + 1) * 2L > t.kind.length && t.kind.length < maxSlots) {
            grow();
            t = table;
            slot = findSlot(t, kind, hi, lo);
        }
        slot = -slot - 1;
        t.kind[slot] = kind;
        t.hi[slot] = hi;
        t.lo[slot] = lo;
        t.tokens[slot] = MAX_TOKENS - PACKET_COST_NANOS;
        t.lastNanos[slot] = nowNanos;
        size++;
        return true;
    }

    private static boolean take(Table t, int slot, long nowNanos) {
        long tokens = t.tokens[slot];
        long elapsed = nowNanos - t.lastNanos[slot];
        if (elapsed > 0) {
            tokens = elapsed >= MAX_TOKENS - tokens ? MAX_TOKENS : tokens + elapsed;
            t.lastNanos[slot] = nowNanos;
        }
        boolean allowed = tokens >= PACKET_COST_NANOS;
        t.tokens[slot] = allowed ? tokens - PACKET_COST_NANOS : tokens;
        return allowed;
    }

    private static boolean isStale(Table t, int slot, long nowNanos) {
        return nowNanos - t.lastNanos[slot] > GARBAGE_COLLECT_NANOS;
    }

    /** Slot holding the key, or {@code -(free slot) - 1} where it would go. */
    private int findSlot(Table t, byte kind, long hi, long lo) {
        int mask = t.kind.length - 1;
        int i = hash(kind, hi, lo) & mask;
        while (true) {
            byte k = t.kind[i];
            if (k == EMPTY) {
                return -i - 1;
            }
            if (k == kind && t.hi[i] == hi && t.lo[i] == lo) {
                return i;
            }
            i = (i + 1) & mask; // the load factor stays at or below 1/2, so an empty slot exists
        }
    }

    private void grow() {
        Table from = table;
        Table to = new Table(from.kind.length * 2);
        for (int i = 0; i < from.kind.length; i++) {
            if (from.kind[i] != EMPTY) {
                to.copyFrom(-findSlot(to, from.kind[i], from.hi[i], from.lo[i]) - 1, from, i);
            }
        }
        table = to;
        spare = null;
    }

    private int hash(byte kind, long hi, long lo) {
        long h = hashSeed ^ kind;
        h = mix(h ^ hi);
        h = mix(h ^ lo);
        return (int) (h ^ (h >>> 32));
    }

    private static long mix(long z) {
        // SplitMix64's finaliser: cheap and spreads every input bit.
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int ceilPowerOfTwo(long n) {
        return (int) Math.max(1L, Long.highestOneBit(n - 1) << 1);
    }

    private static long getLong(byte[] bytes, int offset, int length) {
        long v = 0;
        for (int i = 0; i < length; i++) {
            v = (v << 8) | (bytes[offset + i] & 0xFF);
        }
        return v;
    }

    /** Struct-of-arrays storage; slot i is free when {@code kind[i] == EMPTY}. */
    private static final class Table {
        final byte[] kind;
        final long[] hi;
        final long[] lo;
        final long[] tokens;
        final long[] lastNanos;

        Table(int slots) {
            kind = new byte[slots];
            hi = new long[slots];
            lo = new long[slots];
            tokens = new long[slots];
            lastNanos = new long[slots];
        }

        void copyFrom(int slot, Table from, int fromSlot) {
            kind[slot] = from.kind[fromSlot];
            hi[slot] = from.hi[fromSlot];
            lo[slot] = from.lo[fromSlot];
            tokens[slot] = from.tokens[fromSlot];
            lastNanos[slot] = from.lastNanos[fromSlot];
        }
    }
}
