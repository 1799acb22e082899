package io.jwg.core.tunnel;

/**
 * Every reason the engine drops a packet, each counted. Ids are stable (metrics and logs use
 * them); labels are short human-readable descriptions.
 */
public enum DropReason {
    /** Wrong size, type word or reserved bytes. */
    INVALID_MESSAGE(1, "malformed or unknown message"),
    /** MAC1 of a handshake message did not verify. */
    INVALID_MAC1(2, "handshake message with invalid mac1"),
    /** Under load, the source exceeded its handshake rate. */
    RATE_LIMITED(3, "handshake rate limited"),
    /** A handshake message failed to authenticate or decrypt. */
    HANDSHAKE_FAILED(4, "handshake did not authenticate"),
    /** An initiation from a static key we have no peer for. */
    UNKNOWN_PEER(5, "initiation from unknown peer"),
    /** An initiation whose timestamp is not newer than the last one. */
    REPLAYED_TIMESTAMP(6, "replayed initiation timestamp"),
    /** An initiation less than 20 ms after the previous one from that peer. */
    INITIATION_FLOOD(7, "initiation flood"),
    /** A response, cookie reply or transport message naming no live index. */
    UNKNOWN_INDEX(8, "unknown receiver index"),
    /** A cookie reply that did not decrypt. */
    INVALID_COOKIE_REPLY(9, "invalid cookie reply"),
    /** A transport message for a keypair older than REJECT_AFTER_TIME. */
    KEYPAIR_EXPIRED(10, "expired keypair"),
    /** A transport message whose tag did not verify. */
    DECRYPTION_FAILED(11, "transport decryption failed"),
    /** A transport counter already seen or outside the window. */
    REPLAYED_COUNTER(12, "replayed transport counter"),
    /** Decrypted plaintext that is not a well-formed IPv4/IPv6 packet. */
    INVALID_INNER_PACKET(13, "invalid inner IP packet"),
    /** Decrypted packet whose source address is not among the peer's allowed IPs. */
    SOURCE_NOT_ALLOWED(14, "source address not allowed for peer"),
    /** No private key is configured. */
    NO_PRIVATE_KEY(15, "no private key"),
    /** Outbound packet whose destination matches no peer's allowed IPs. */
    NO_ROUTE(16, "no peer for destination"),
    /** Outbound packet larger than the engine accepts, or not IPv4/IPv6. */
    INVALID_OUTBOUND_PACKET(17, "invalid outbound packet"),
    /** Oldest staged packet discarded because the staging queue was full. */
    STAGED_QUEUE_FULL(18, "staged queue full"),
    /** Staged packets discarded when handshake retries were exhausted or keys were zeroed. */
    STAGED_FLUSHED(19, "staged packets flushed"),
    /** Input for a peer that was removed, or while the interface is down. */
    PEER_DOWN(20, "peer removed or interface down"),
    /** Under load, a handshake message without MAC2 from a source already sent its share of cookie replies. */
    COOKIE_REPLY_LIMITED(21, "cookie reply rate limited");

    /** Stable numeric id. */
    public final int id;
    /** Human-readable label. */
    public final String label;

    DropReason(int id, String label) {
        this.id = id;
        this.label = label;
    }
}
