package io.jwg.core.noise;

/** Where a peer's handshake stands, as wireguard-go's {@code handshakeState}. */
public enum HandshakeState {
    /** No handshake in progress; all ephemeral material erased. */
    ZEROED,
    /** We sent an initiation and wait for the response. */
    INITIATION_CREATED,
    /** We accepted an initiation and owe a response. */
    INITIATION_CONSUMED,
    /** We sent a response; the session is derived but unconfirmed. */
    RESPONSE_CREATED,
    /** We accepted a response; the session can be derived. */
    RESPONSE_CONSUMED
}
