package io.jwg.core.message;

/**
 * Layout of the handshake response (message type 2), 92 bytes:
 * <pre>
 *  0               4               8               12                       44
 *  +-------+-------+---------------+---------------+------------------------+
 *  | type=2| 0 0 0 | sender (LE)   | receiver (LE) | unencrypted_ephemeral  |
 *  +-------+-------+---------------+---------------+------------------------+
 *  44                60              76              92
 *  | encrypted_nothing (16 tag) | mac1 (16)  | mac2 (16)   |
 * </pre>
 */
public final class HandshakeResponse {
    private HandshakeResponse() {
    }

    /** Total size. */
    public static final int SIZE = 92;
    /** Responder's new index, little-endian. */
    public static final int SENDER_OFFSET = 4;
    /** The initiator's index this answers, little-endian. */
    public static final int RECEIVER_OFFSET = 8;
    /** Responder's ephemeral public key. */
    public static final int EPHEMERAL_OFFSET = 12;
    /** AEAD of the empty string (the tag only). */
    public static final int EMPTY_OFFSET = 44;
    /** MAC1 over bytes [0, MAC1_OFFSET). */
    public static final int MAC1_OFFSET = 60;
    /** MAC2 over bytes [0, MAC2_OFFSET). */
    public static final int MAC2_OFFSET = 76;
}
