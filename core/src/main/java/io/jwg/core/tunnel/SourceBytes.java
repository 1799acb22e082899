package io.jwg.core.tunnel;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * What a cookie is bound to for each source: its address bytes, then its port little-endian
 * (wireguard-go's {@code DstToBytes}). {@link InetAddress#getAddress()} copies, so the bytes are
 * cached per source object: the receive path hands the same object for the same endpoint, and a
 * known source then costs no allocation. Four-way set-associative on identity, so that a few
 * hundred sources flooding at once do not evict each other; a miss replaces the set's entries in
 * turn. Not thread-safe: one per thread, in its {@link Workspace}.
 */
final class SourceBytes {
    private static final int WAYS = 4;
    private static final int SETS = 512;
    private static final byte[] NONE = new byte[0];

    private final InetSocketAddress[] sources = new InetSocketAddress[SETS * WAYS];
    private final byte[][] bytes = new byte[SETS * WAYS][];
    private final byte[] nextVictim = new byte[SETS];

    /**
     * Address bytes (4 or 16) followed by the port, little-endian; empty when there is no source
     * or it has no address. The caller must not modify the array.
     */
    byte[] of(InetSocketAddress source) {
        if (source == null) {
            return NONE;
        }
        int hash = System.identityHashCode(source);
        int set = (hash ^ hash >>> 16) & (SETS - 1);
        int base = set * WAYS;
        for (int i = base; i < base + WAYS; i++) {
            if (sources[i] == source) {
                return bytes[i];
            }
        }
        InetAddress address = source.getAddress();
        byte[] value = NONE;
        if (address != null) {
            byte[] ip = address.getAddress();
            value = java.util.Arrays.copyOf(ip, ip.length + 2);
            value[ip.length] = (byte) source.getPort();
            value[ip.length + 1] = (byte) (source.getPort() >>> 8);
        }
        int victim = base + nextVictim[set];
        nextVictim[set] = (byte) ((nextVictim[set] + 1) % WAYS);
        sources[victim] = source;
        bytes[victim] = value;
        return value;
    }
}
