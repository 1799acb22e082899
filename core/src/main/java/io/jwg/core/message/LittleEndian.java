package io.jwg.core.message;

/** Little-endian field access on byte arrays, as every WireGuard integer is encoded. */
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
}
