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
 * port and an IPv6 scope id. The cache is direct-mapped: each key hashes to one slot, and a miss
 * replaces what was there, so it never grows and a lookup is a hash and three compares. A miss
 * allocates the new object; with more active endpoints than slots, some lookups miss. IPv4 and
 * IPv4-mapped addresses become {@link java.net.Inet4Address}, as in Netty and the JDK.
 *
 * <p>Not thread-safe: one per receiving thread.
 */
final class AddressCache {
    /** The high long of an IPv4-mapped address ({@code ::ffff:a.b.c.d}). */
    static final long V4_MAPPED_HIGH = 0L;
    /** The low long of an IPv4-mapped address, without the IPv4 address in its low 32 bits. */
    static final long V4_MAPPED_LOW_PREFIX = 0x0000_ffff_0000_0000L;

    private final int mask;
    private final long[] highs;
    private final long[] lows;
    /** Port in bits 0..15, scope id above; -1 marks an empty slot. */
    private final long[] extras;
    private final Object[] values;

    /** A cache of {@code slots} entries, rounded up to a power of two. */
    AddressCache(int slots) {
        int size = Integer.highestOneBit(Math.max(1, slots - 1)) << 1;
        mask = size - 1;
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
        int slot = slot(high, low, extra);
        if (extras[slot] == extra && highs[slot] == high && lows[slot] == low) {
            return (InetSocketAddress) values[slot];
        }
        InetSocketAddress value = new InetSocketAddress(create(high, low, scope), port);
        store(slot, high, low, extra, value);
        return value;
    }

    /** The address {@code high:low} (scope id only for IPv6 link-local addresses). */
    InetAddress address(long high, long low, int scopeId) {
        int scope = linkLocal(high) ? scopeId : 0;
        long extra = (long) scope << 16;
        int slot = slot(high, low, extra);
        if (extras[slot] == extra && highs[slot] == high && lows[slot] == low) {
            return (InetAddress) values[slot];
        }
        InetAddress value = create(high, low, scope);
        store(slot, high, low, extra, value);
        return value;
    }

    private void store(int slot, long high, long low, long extra, Object value) {
        highs[slot] = high;
        lows[slot] = low;
        extras[slot] = extra;
        values[slot] = value;
    }

    private int slot(long high, long low, long extra) {
        long h = (high * 0x9E37_79B9_7F4A_7C15L + low) * 0x9E37_79B9_7F4A_7C15L + extra;
        h *= 0xBF58_476D_1CE4_E5B9L;
        return (int) (h ^ h >>> 32) & mask;
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
