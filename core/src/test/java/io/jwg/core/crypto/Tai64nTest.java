package io.jwg.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * TAI64N encoding as WireGuard sends it. Expected bytes computed in Python:
 * {@code (0x400000000000000a + ns // 10**9).to_bytes(8, 'big') + ((ns % 10**9) & ~0xffffff).to_bytes(4, 'big')}.
 */
class Tai64nTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final long SECOND = 1_000_000_000L;

    private static byte[] encode(long epochNanos) {
        byte[] out = new byte[12];
        Tai64n.encode(epochNanos, out, 0);
        return out;
    }

    @Test
    void shouldEncodeKnownInstants() {
        assertArrayEquals(HEX.parseHex("400000000000000a00000000"), encode(0));
        // 2023-11-14T22:13:20.123456789Z: 123456789 ns whitened to 0x07000000.
        assertArrayEquals(HEX.parseHex("400000006553f10a07000000"), encode(1_700_000_000_123_456_789L));
        // 365 days and 999999999 ns: 999999999 & ~0xffffff = 0x3b000000.
        assertArrayEquals(HEX.parseHex("4000000001e1338a3b000000"), encode(365 * 86_400 * SECOND + 999_999_999));
        // One nanosecond before the epoch floors to the previous second.
        assertArrayEquals(HEX.parseHex("40000000000000093b000000"), encode(-1));
    }

    @Test
    void shouldWhitenNanosecondsToMultiplesOf2To24() {
        SplittableRandom random = new SplittableRandom(64);
        for (int i = 0; i < 10_000; i++) {
            long t = random.nextLong(0, 4_000_000_000L * SECOND);
            byte[] out = encode(t);
            int nanos = (out[8] & 0xff) << 24 | (out[9] & 0xff) << 16 | (out[10] & 0xff) << 8 | (out[11] & 0xff);
            assertEquals(0, nanos & 0xffffff);
            assertTrue(nanos >= 0 && nanos <= t % SECOND && t % SECOND - nanos < (1 << 24));
            long seconds = 0;
            for (int b = 0; b < 8; b++) {
                seconds = seconds << 8 | (out[b] & 0xff);
            }
            assertEquals(0x400000000000000aL + t / SECOND, seconds);
        }
    }

    @Test
    void shouldEncodeInstantsInOneWhiteningSlotEqually() {
        long slot = 1_700_000_000L * SECOND + 5L * (1 << 24);
        assertArrayEquals(encode(slot), encode(slot + (1 << 24) - 1));
        assertFalse(Arrays.equals(encode(slot), encode(slot + (1 << 24))));
        assertFalse(Arrays.equals(encode(slot), encode(slot - 1)));
    }

    @Test
    void shouldWriteOnlyTwelveBytesAtTheOffset() {
        byte[] out = new byte[20];
        Arrays.fill(out, (byte) 0x55);
        Tai64n.encode(0, out, 4);
        assertArrayEquals(HEX.parseHex("55555555400000000000000a0000000055555555"), out);
    }

    @Test
    void shouldOrderTimestampsStrictly() {
        byte[] t0 = encode(1_700_000_000L * SECOND);
        byte[] t1 = encode(1_700_000_000L * SECOND + (1 << 24));
        byte[] t2 = encode(1_700_000_001L * SECOND);
        assertTrue(Tai64n.after(t1, t0));
        assertTrue(Tai64n.after(t2, t1));
        assertTrue(Tai64n.after(t2, t0));
        assertFalse(Tai64n.after(t0, t1));
        assertFalse(Tai64n.after(t0, t0.clone()), "equal timestamps are not later (replay)");
        assertTrue(Tai64n.after(t0, new byte[12]), "anything is later than the zero initial state");
    }

    @Test
    void shouldCompareBytesUnsigned() {
        byte[] low = HEX.parseHex("400000000000000a7f000000");
        byte[] high = HEX.parseHex("400000000000000a80000000");
        assertTrue(Tai64n.after(high, low));
        assertFalse(Tai64n.after(low, high));
        assertTrue(Tai64n.after(HEX.parseHex("ff0000000000000000000000"), HEX.parseHex("7fffffffffffffffffffffff")));
    }

    @Test
    void shouldAgreeWithTimeOrderForRandomInstants() {
        SplittableRandom random = new SplittableRandom(12);
        for (int i = 0; i < 10_000; i++) {
            long a = random.nextLong(0, 4_000_000_000L * SECOND);
            long b = random.nextLong(0, 4_000_000_000L * SECOND);
            long slotA = Math.floorDiv(a, SECOND) * 64 + (Math.floorMod(a, SECOND) >> 24);
            long slotB = Math.floorDiv(b, SECOND) * 64 + (Math.floorMod(b, SECOND) >> 24);
            assertEquals(slotA > slotB, Tai64n.after(encode(a), encode(b)));
        }
    }
}
