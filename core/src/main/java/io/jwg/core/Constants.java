package io.jwg.core;

import java.nio.charset.StandardCharsets;

/**
 * Protocol constants, named as in the WireGuard whitepaper (section 6.1, "Timers") and
 * wireguard-go's {@code device/constants.go}. Times are in nanoseconds. Tuning knobs that are not
 * part of the protocol live in {@link Tuning}.
 */
public final class Constants {
    private Constants() {
    }

    private static final long SECOND = 1_000_000_000L;
    private static final long MILLISECOND = 1_000_000L;

    /** Noise protocol name, hashed into the initial chaining key. */
    public static final byte[] CONSTRUCTION =
            "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
    /** WireGuard identifier, mixed into the initial hash. */
    public static final byte[] IDENTIFIER =
            "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
    /** Label of the MAC1 key: {@code HASH(LABEL_MAC1 || Spub)}. */
    public static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
    /** Label of the cookie encryption key: {@code HASH(LABEL_COOKIE || Spub)}. */
    public static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

    /** Initiate a new handshake after sending this many messages on one keypair: 2^60. */
    public static final long REKEY_AFTER_MESSAGES = 1L << 60;
    /** Refuse to use a keypair after this many messages: 2^64 − 2^13 − 1, unsigned. */
    public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;
    /**
     * Initiator starts a new handshake once its current keypair is this old: 120 s, unless a
     * test shortens it ({@link TestSettings#REKEY_AFTER_TIME_PROPERTY}).
     */
    public static final long REKEY_AFTER_TIME = TestSettings.rekeyAfterTimeSeconds() * SECOND;
    /** A keypair older than this is never used again: 180 s, REKEY_AFTER_TIME + 60 s. */
    public static final long REJECT_AFTER_TIME = REKEY_AFTER_TIME + 60 * SECOND;
    /** Give up retrying a handshake after this long. */
    public static final long REKEY_ATTEMPT_TIME = 90 * SECOND;
    /** Wait this long for a handshake response before retrying (plus jitter). */
    public static final long REKEY_TIMEOUT = 5 * SECOND;
    /** Upper bound of the random jitter added to REKEY_TIMEOUT, in milliseconds. */
    public static final int REKEY_TIMEOUT_JITTER_MAX_MS = 334;
    /** Send a keepalive when data was received but nothing sent for this long. */
    public static final long KEEPALIVE_TIMEOUT = 10 * SECOND;
    /** Cookie secret lifetime; also how long an initiator keeps a received cookie. */
    public static final long COOKIE_REFRESH_TIME = 120 * SECOND;
    /** Minimum spacing of consumed initiations from one peer (wireguard-go: 1 s / 50). */
    public static final long HANDSHAKE_INITIATION_RATE = 20 * MILLISECOND;
    /** Handshake attempts before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT. */
    public static final int MAX_TIMER_HANDSHAKES = (int) (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT);
    /** Initiator re-keys on receive when its keypair reaches this age (165 s). */
    public static final long REKEY_ON_RECEIVE_AGE = REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT;
    /** All key material of a peer is erased this long after the last new session. */
    public static final long ZERO_KEY_MATERIAL_AFTER = 3 * REJECT_AFTER_TIME;
}
