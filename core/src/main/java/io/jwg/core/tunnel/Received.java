package io.jwg.core.tunnel;

import io.jwg.core.message.MessageType;

/**
 * Caller-owned, reusable details of one {@link Engine#decapsulate} call besides its verdict:
 * the message type, the peer it authenticated as (null when none), and the drop reason.
 * After any call that names a tunnel, the caller drains {@link Tunnel#poll} to send what the
 * packet unblocked (keepalive, staged packets, a new handshake).
 */
public final class Received {
    MessageType type;
    Tunnel tunnel;
    DropReason dropReason;
    boolean cookieReplySent;

    void reset() {
        type = MessageType.INVALID;
        tunnel = null;
        dropReason = null;
        cookieReplySent = false;
    }

    /** The classified message type. */
    public MessageType type() {
        return type;
    }

    /** The authenticated peer, or null (unauthenticated input never names one). */
    public Tunnel tunnel() {
        return tunnel;
    }

    /** Why the datagram was dropped, or null. */
    public DropReason dropReason() {
        return dropReason;
    }

    /** True when the output is a cookie reply (we are under load and MAC2 was missing). */
    public boolean cookieReplySent() {
        return cookieReplySent;
    }
}
