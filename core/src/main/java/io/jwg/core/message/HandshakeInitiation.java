package io.jwg.core.message;

/**
 * Layout of the handshake initiation (message type 1), 148 bytes:
 * <pre>
 *  0               4               8                                        40
 *  +-------+-------+---------------+----------------------------------------+
 *  | type=1| 0 0 0 | sender (LE)   | unencrypted_ephemeral (32)             |
 *  +-------+-------+---------------+----------------------------------------+
 *  40                                                  88
 *  | encrypted_static (32 + 16 tag)                    |
 *  88                              116            132            148
 *  | encrypted_timestamp (12 + 16) | mac1 (16)     | mac2 (16)     |
 * </pre>
 */
public final class HandshakeInitiation {
    private HandshakeInitiation() {
    }

    /** Total size. */
    public static final int SIZE = 148;
    /** Sender index, little-endian. */
    public static final int SENDER_OFFSET = 4;
    /** Initiator's ephemeral public key. */
    public static final int EPHEMERAL_OFFSET = 8;
    /** AEAD of the initiator's static public key. */
    public static final int STATIC_OFFSET = 40;
    /** Length of the encrypted static key including its tag. */
    public static final int STATIC_LENGTH = 32 + 16;
    /** AEAD of the TAI64N timestamp. */
    public static final int TIMESTAMP_OFFSET = 88;
    /** Length of the encrypted timestamp including its tag. */
    public static final int TIMESTAMP_LENGTH = 12 + 16;
    /** MAC1 over bytes [0, MAC1_OFFSET). */
    public static final int MAC1_OFFSET = 116;
    /** MAC2 over bytes [0, MAC2_OFFSET). */
    public static final int MAC2_OFFSET = 132;
}
