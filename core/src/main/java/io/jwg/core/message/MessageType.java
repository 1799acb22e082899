package io.jwg.core.message;

import java.nio.ByteBuffer;

/**
 * The four WireGuard message types and the cheap first classification of a datagram. The type is
 * a little-endian 32-bit word (type byte followed by three zero reserved bytes), so a datagram
 * whose reserved bytes are not zero is not a WireGuard message. Each handshake type has an exact
 * size; transport messages are at least a header plus a tag.
 */
public enum MessageType {
    /** Handshake initiation, {@value HandshakeInitiation#SIZE} bytes. */
    INITIATION(1),
    /** Handshake response, {@value HandshakeResponse#SIZE} bytes. */
    RESPONSE(2),
    /** Cookie reply, {@value CookieReply#SIZE} bytes. */
    COOKIE_REPLY(3),
    /** Transport data (or keepalive), at least {@value Transport#MIN_SIZE} bytes. */
    TRANSPORT(4),
    /** Anything else: wrong type word or wrong size for its type. */
    INVALID(0);

    /** The on-wire type value. */
    public final int wireValue;

    MessageType(int wireValue) {
        this.wireValue = wireValue;
    }

    /**
     * Classifies the datagram between {@code buf}'s position and limit without changing either.
     * Never throws: short, mis-sized or unknown datagrams are {@link #INVALID}.
     */
    public static MessageType classify(ByteBuffer buf) {
        int length = buf.remaining();
        if (length < 4) {
            return INVALID;
        }
        int type = LittleEndian.getInt(buf, buf.position());
        return switch (type) {
            case 1 -> length == HandshakeInitiation.SIZE ? INITIATION : INVALID;
            case 2 -> length == HandshakeResponse.SIZE ? RESPONSE : INVALID;
            case 3 -> length == CookieReply.SIZE ? COOKIE_REPLY : INVALID;
            case 4 -> length >= Transport.MIN_SIZE ? TRANSPORT : INVALID;
            default -> INVALID;
        };
    }

    /** Classifies {@code length} bytes of {@code data} from offset 0. */
    public static MessageType classify(byte[] data, int length) {
        return classify(ByteBuffer.wrap(data, 0, length));
    }

    /** Writes this type's 4-byte type word at {@code off}. */
    public void write(byte[] out, int off) {
        out[off] = (byte) wireValue;
        out[off + 1] = 0;
        out[off + 2] = 0;
        out[off + 3] = 0;
    }
}
