package io.jwg.daemon;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Turns raw addresses read from the kernel into Java address objects, handing back the same
 * object for the same address, so that receiving from a known peer allocates nothing (and the
 * receive path can compare endpoints with {@code ==} first).
 *
 * <p>An address is keyed as 16 bytes (IPv4 as IPv4-mapped IPv6, two big-endian longs) plus a
 * port and an IPv6 scope id. The cache is four-way set-associative: each key hashes to a set of
 * {@value #WAYS} slots, and a miss replaces the set's entries in turn, so it never grows and a
 * lookup is a hash and a few compares. (Direct-mapped, two active endpoints that hashed to the
 * same slot evicted each other on every datagram: with 9 endpoints and 256 slots that happened
 * in about one run in seven of {@code HandshakeFloodTest}.) A miss allocates the new object;
 * with more active endpoints than a set holds, some lookups miss. IPv4 and IPv4-mapped
 * addresses become {@link java.net.Inet4Address}, as in Netty and the JDK.
 *
 * <p>Not thread-safe: one per receiving thread.
 */
final class AddressCache {
    /** The high long of an IPv4-mapped address ({@code ::ffff:a.b.c.d}). */
    static final long V4_MAPPED_HIGH = 0L;
    /** The low long of an IPv4-mapped address, without the IPv4 address in its low 32 bits. */
    static final long V4_MAPPED_LOW_PREFIX = 0x0000_ffff_0000_0000L;

    static final int WAYS = 4;

    private final int setMask;
    private final long[] highs;
    private final long[] lows;
    /** Port in bits 0..15, scope id above; -1 marks an empty slot. */
    private final long[] extras;
    private final Object[] values;
    /** Per set: the way the next miss replaces. */
    private final byte[] nextVictim;

    /** A cache of {@code slots} entries, rounded up to a power of two and to at least one set. */
    AddressCache(int slots) {
        int size = Math.max(WAYS, Integer.highestOneBit(Math.max(1, slots - 1)) << 1);
        setMask = size / WAYS - 1;
        nextVictim = new byte[size / WAYS];
        highs = new long[size];
        lows = new long[size];
        extras = new long[size];
        values = new Object[size];
        java.util.Arrays.fill(extras, -1);
    }

    /** The low long of the IPv4-mapped form of {@code ipv4} (the address as a big-endian int). */
    static long v4Low(int ipv4) {
        return V4_MAPPED_LOW_PREFIX | (ipv4 & 0xffff_ffffL);
    }

    /** The socket address {@code [high:low]:port} (scope id only for IPv6 link-local addresses). */
    InetSocketAddress socketAddress(long high, long low, int port, int scopeId) {
        int scope = linkLocal(high) ? scopeId : 0;
        long extra = (long) scope << 16 | port;
        int set = set(high, low, extra);
        int slot = find(set, high, low, extra);
        if (slot >= 0) {
            return (InetSocketAddress) values[slot];
        }
        InetSocketAddress value = new InetSocketAddress(create(high, low, scope), port);
        store(set, high, low, extra, value);
        return value;
    }

    /** The address {@code high:low} (scope id only for IPv6 link-local addresses). */
    InetAddress address(long high, long low, int scopeId) {
        int scope = linkLocal(high) ? scopeId : 0;
        long extra = (long) scope << 16;
        int set = set(high, low, extra);
        int slot = find(set, high, low, extra);
        if (slot >= 0) {
            return (InetAddress) values[slot];
        }
        InetAddress value = create(high, low, scope);
        store(set, high, low, extra, value);
        return value;
    }

    /** The slot of the key in {@code set}, or -1. */
    private int find(int set, long high, long low, long extra) {
        int base = set * WAYS;
        for (int slot = base; slot < base + WAYS; slot++) {
            if (extras[slot] == extra && highs[slot] == high && lows[slot] == low) {
                return slot;
            }
        }
        return -1;
    }

    private void store(int set, long high, long low, long extra, Object value) {
        int slot = set * WAYS + nextVictim[set];
        nextVictim[set] = (byte) ((nextVictim[set] + 1) % WAYS);
        highs[slot] = high;
        lows[slot] = low;
        extras[slot] = extra;
        values[slot] = value;
    }

    private int set(long high, long low, long extra) {
        long h = (high * 0x9E37_79B9_7F4A_7C15L + low) * 0x9E37_79B9_7F4A_7C15L + extra;
        h *= 0xBF58_476D_1CE4_E5B9L;
        return (int) (h ^ h >>> 32) & setMask;
    }

    /** fe80::/10: the only addresses whose meaning depends on the interface. */
    private static boolean linkLocal(long high) {
        return (high >>> 54) == 0x3fa;
    }

    private static InetAddress create(long high, long low, int scope) {
        byte[] bytes;
        if (high == V4_MAPPED_HIGH && (low & 0xffff_ffff_0000_0000L) == V4_MAPPED_LOW_PREFIX) {
            bytes = new byte[4];
            putInt(bytes, 0, (int) low);
        } else {
            bytes = new byte[16];
            putInt(bytes, 0, (int) (high >>> 32));
            putInt(bytes, 4, (int) high);
            putInt(bytes, 8, (int) (low >>> 32));
            putInt(bytes, 12, (int) low);
        }
        try {
            return scope != 0 ? Inet6Address.getByAddress(null, bytes, scope) : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }

    private static void putInt(byte[] bytes, int offset, int value) {
        bytes[offset] = (byte) (value >>> 24);
        bytes[offset + 1] = (byte) (value >>> 16);
        bytes[offset + 2] = (byte) (value >>> 8);
        bytes[offset + 3] = (byte) value;
    }
}
