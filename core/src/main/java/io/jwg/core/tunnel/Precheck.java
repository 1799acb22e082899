package io.jwg.core.tunnel;

/** The outcome of {@link Engine#precheckHandshake}: the cheap checks a handshake message passes before any queue. */
public enum Precheck {
    /** Passed: hand the datagram to {@link Engine#consumeHandshake}, on any thread. */
    ACCEPT,
    /** Under load without a valid MAC2: send the cookie reply in the output buffer back to the source. */
    COOKIE_REPLY,
    /** Dropped; the reason is in the {@link Received} and was counted. */
    DROP
}
