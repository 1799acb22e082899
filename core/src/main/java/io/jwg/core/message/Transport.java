package io.jwg.core.message;

import java.nio.ByteBuffer;

/**
 * Layout of a transport data message (type 4): a 16-byte header followed by the ChaCha20-Poly1305
 * ciphertext of the zero-padded IP packet and its 16-byte tag. A keepalive is a transport message
 * with an empty plaintext (32 bytes on the wire).
 * <pre>
 *  0               4               8                              16
 *  +-------+-------+---------------+------------------------------+-----------------+
 *  | type=4| 0 0 0 | receiver (LE) | counter (64-bit LE)          | packet + tag    |
 *  +-------+-------+---------------+------------------------------+-----------------+
 * </pre>
 */
public final class Transport {
    private Transport() {
    }

    /** Receiver index, little-endian. */
    public static final int RECEIVER_OFFSET = 4;
    /** Nonce counter, little-endian. */
    public static final int COUNTER_OFFSET = 8;
    /** Start of the ciphertext. */
    public static final int HEADER_SIZE = 16;
    /** Poly1305 tag length. */
    public static final int TAG_SIZE = 16;
    /** Smallest transport message: header plus tag (a keepalive). */
    public static final int MIN_SIZE = HEADER_SIZE + TAG_SIZE;
    /** Bytes a transport message adds to its padded plaintext. */
    public static final int OVERHEAD = HEADER_SIZE + TAG_SIZE;

    /**
     * Plaintext length after zero padding: up to a multiple of 16 but never past the MTU, as
     * wireguard-go's {@code calculatePaddingSize} (a packet longer than the MTU pads its last
     * MTU-sized unit). An MTU of 0 means no cap.
     */
    public static int paddedLength(int length, int mtu) {
        if (mtu == 0) {
            return (length + 15) & ~15;
        }
        int last = length > mtu ? length % mtu : length;
        int padded = Math.min((last + 15) & ~15, mtu);
        return length + Math.max(0, padded - last);
    }

    /**
     * Writes the 16-byte header at index 0 of {@code out} and positions {@code out} after it,
     * without touching its byte order.
     */
    public static void writeHeader(ByteBuffer out, int receiver, long counter) {
        LittleEndian.putInt(out, 0, MessageType.TRANSPORT.wireValue);
        LittleEndian.putInt(out, RECEIVER_OFFSET, receiver);
        LittleEndian.putLong(out, COUNTER_OFFSET, counter);
        out.position(HEADER_SIZE);
    }
}
