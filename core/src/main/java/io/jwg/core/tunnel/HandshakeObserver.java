package io.jwg.core.tunnel;

/**
 * Told how long each handshake this side initiated took: from sending the initiation that was
 * answered to consuming its response (the round trip plus the peer's work). Called on the thread
 * that consumed the response, under the peer's lock, so it must be quick and must not block.
 */
@FunctionalInterface
public interface HandshakeObserver {
    /** An initiator handshake completed {@code nanos} after its initiation left. */
    void onHandshakeCompleted(long nanos);
}
