package io.jwg.core.crypto;

import java.util.Arrays;

/**
 * TAI64N timestamps as WireGuard sends them in initiations: 8 bytes big-endian seconds
 * ({@code 2^62 + 10 + unix seconds}) and 4 bytes big-endian nanoseconds. Like wireguard-go the
 * nanoseconds are rounded down to a multiple of 2^24 so the timestamp leaks no fine timing.
 */
public final class Tai64n {
    /** Encoded length. */
    public static final int LENGTH = 12;
    private static final long BASE = 0x400000000000000aL;
    private static final int WHITENER_MASK = 0x1000000 - 1;

    private Tai64n() {
    }

    /** Encodes the wall-clock time {@code epochNanos} (nanoseconds since 1970) into {@code out}. */
    public static void encode(long epochNanos, byte[] out, int off) {
        long seconds = BASE + Math.floorDiv(epochNanos, 1_000_000_000L);
        int nanos = (int) Math.floorMod(epochNanos, 1_000_000_000L) & ~WHITENER_MASK;
        for (int i = 0; i < 8; i++) {
            out[off + i] = (byte) (seconds >>> (56 - 8 * i));
        }
        for (int i = 0; i < 4; i++) {
            out[off + 8 + i] = (byte) (nanos >>> (24 - 8 * i));
        }
    }

    /** True when timestamp {@code a} is strictly later than {@code b} (unsigned byte order). */
    public static boolean after(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, 0, LENGTH, b, 0, LENGTH) > 0;
    }
}
