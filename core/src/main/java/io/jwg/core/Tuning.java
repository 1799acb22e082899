package io.jwg.core;

/**
 * Implementation limits that are not part of the protocol; values follow wireguard-go.
 */
public final class Tuning {
    private Tuning() {
    }

    /** Packets staged per peer while a handshake is pending. */
    public static final int MAX_STAGED_PACKETS = 128;
    /** Default interface MTU (the value wg-quick also sets). */
    public static final int DEFAULT_MTU = 1420;
    /**
     * Largest IP packet accepted for encapsulation: the largest UDP payload less the transport
     * overhead (wireguard-go's MaxContentSize).
     */
    public static final int MAX_PACKET_SIZE = 65535 - 32;
}
