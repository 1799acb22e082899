package io.jwg.core.message;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Little-endian field access, as every WireGuard integer is encoded. The ByteBuffer forms use
 * absolute indices and neither read nor change the buffer's byte order, because callers reuse
 * their buffers for big-endian IP headers too.
 */
public final class LittleEndian {
    private LittleEndian() {
    }

    /** Reads a 32-bit value. */
    public static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    /** Writes a 32-bit value. */
    public static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    /** Reads a 32-bit value at an absolute index. */
    public static int getInt(ByteBuffer b, int index) {
        int v = b.getInt(index);
        return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v);
    }

    /** Reads a 64-bit value at an absolute index. */
    public static long getLong(ByteBuffer b, int index) {
        long v = b.getLong(index);
        return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v);
    }

    /** Writes a 32-bit value at an absolute index. */
    public static void putInt(ByteBuffer b, int index, int v) {
        b.putInt(index, b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v));
    }

    /** Writes a 64-bit value at an absolute index. */
    public static void putLong(ByteBuffer b, int index, long v) {
        b.putLong(index, b.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v));
    }
}
