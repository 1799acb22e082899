package io.jwg.core.message;

/**
 * Layout of the cookie reply (message type 3), 64 bytes:
 * <pre>
 *  0               4               8                        32                      64
 *  +-------+-------+---------------+------------------------+-----------------------+
 *  | type=3| 0 0 0 | receiver (LE) | nonce (24)             | encrypted_cookie (16+16)|
 *  +-------+-------+---------------+------------------------+-----------------------+
 * </pre>
 */
public final class CookieReply {
    private CookieReply() {
    }

    /** Total size. */
    public static final int SIZE = 64;
    /** Sender index of the handshake message this answers, little-endian. */
    public static final int RECEIVER_OFFSET = 4;
    /** XChaCha20-Poly1305 nonce. */
    public static final int NONCE_OFFSET = 8;
    /** Encrypted cookie with tag. */
    public static final int COOKIE_OFFSET = 32;
    /** Length of the encrypted cookie including its tag. */
    public static final int COOKIE_LENGTH = 16 + 16;
}
