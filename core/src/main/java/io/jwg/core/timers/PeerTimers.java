package io.jwg.core.timers;

import static io.jwg.core.Constants.KEEPALIVE_TIMEOUT;
import static io.jwg.core.Constants.MAX_TIMER_HANDSHAKES;
import static io.jwg.core.Constants.REKEY_TIMEOUT;
import static io.jwg.core.Constants.REKEY_TIMEOUT_JITTER_MAX_MS;
import static io.jwg.core.Constants.ZERO_KEY_MATERIAL_AFTER;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The five per-peer protocol timers of wireguard-go's {@code timers.go}, as deadlines on an
 * injected monotonic clock rather than OS timers: the owner feeds events in (the {@code on…}
 * hooks), asks {@link #nextDeadline()} when to come back, and {@link #expire(long)} reports what
 * fell due. Pure state, no threads; guarded by the peer's lock.
 */
public final class PeerTimers {
    /** Deadline value meaning "not armed". */
    public static final long NONE = Long.MAX_VALUE;

    /** {@link #expire} result bit: resend the handshake initiation (a retry). */
    public static final int RETRANSMIT_HANDSHAKE = 1;
    /** Result bit: retries exhausted; drop staged packets. */
    public static final int GIVE_UP = 1 << 1;
    /** Result bit: send a keepalive (passive or persistent). */
    public static final int SEND_KEEPALIVE = 1 << 2;
    /** Result bit: start a new handshake (data sent, nothing heard back). */
    public static final int NEW_HANDSHAKE = 1 << 3;
    /** Result bit: erase all key material. */
    public static final int ZERO_KEY_MATERIAL = 1 << 4;

    private final RandomGenerator random;
    private long retransmitHandshake = NONE;
    private long sendKeepalive = NONE;
    private long newHandshake = NONE;
    private long zeroKeyMaterial = NONE;
    private long persistentKeepalive = NONE;
    private int handshakeAttempts;
    private boolean needAnotherKeepalive;
    private boolean sentLastMinuteHandshake;
    private int persistentKeepaliveInterval;

    /**
     * Timers drawing handshake jitter from {@code random}, which only the peer's lock holder
     * uses. {@link #onDataSent} draws on every send that follows a receive, so under two-way
     * traffic once per packet: it must be cheap and allocate nothing (a {@code SecureRandom}
     * does neither; wireguard-go uses its runtime's fast generator for the same jitter).
     */
    public PeerTimers(RandomGenerator random) {
        this.random = random;
    }

    /**
     * Timers with their own fast generator, seeded from {@code seeds} (which may be slow: it is
     * used once here).
     */
    public static PeerTimers seededFrom(RandomGenerator seeds) {
        return new PeerTimers(new SplittableRandom(seeds.nextLong()));
    }

    private long jitter() {
        return random.nextInt(REKEY_TIMEOUT_JITTER_MAX_MS) * 1_000_000L;
    }

    /** Called after a transport message carrying data (not a keepalive) was sent. */
    public void onDataSent(long now) {
        if (newHandshake == NONE) {
            newHandshake = now + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter();
        }
    }

    /** Called after a transport message carrying data (not a keepalive) was received. */
    public void onDataReceived(long now) {
        if (sendKeepalive == NONE) {
            sendKeepalive = now + KEEPALIVE_TIMEOUT;
        } else {
            needAnotherKeepalive = true;
        }
    }

    /** Called after any authenticated message (handshake or transport) was sent. */
    public void onAnyAuthenticatedPacketSent(long now) {
        sendKeepalive = NONE;
    }

    /** Called after any authenticated message was received. */
    public void onAnyAuthenticatedPacketReceived(long now) {
        newHandshake = NONE;
    }

    /** Called after a handshake initiation was sent. */
    public void onHandshakeInitiated(long now) {
        retransmitHandshake = now + REKEY_TIMEOUT + jitter();
    }

    /** Called after a handshake completed (response consumed, or next keypair confirmed). */
    public void onHandshakeComplete(long now) {
        retransmitHandshake = NONE;
        handshakeAttempts = 0;
        sentLastMinuteHandshake = false;
    }

    /** Called after a new keypair was derived, as initiator or responder. */
    public void onSessionDerived(long now) {
        zeroKeyMaterial = now + ZERO_KEY_MATERIAL_AFTER;
    }

    /** Called after any authenticated message was sent or received. */
    public void onAnyAuthenticatedPacketTraversal(long now) {
        if (persistentKeepaliveInterval > 0) {
            persistentKeepalive = now + persistentKeepaliveInterval * 1_000_000_000L;
        }
    }

    /** Sets the persistent keepalive interval in seconds (0 disables it). */
    public void setPersistentKeepaliveInterval(int seconds) {
        persistentKeepaliveInterval = seconds;
        if (seconds == 0) {
            persistentKeepalive = NONE;
        }
    }

    /** The persistent keepalive interval in seconds. */
    public int persistentKeepaliveInterval() {
        return persistentKeepaliveInterval;
    }

    /**
     * Resets the attempt counter when a handshake is started afresh (not a retry); wireguard-go
     * does this at the top of {@code SendHandshakeInitiation(false)}.
     */
    public void onFreshHandshakeRequested() {
        handshakeAttempts = 0;
    }

    /**
     * Marks the last-minute re-key on receive as sent; returns false when it already was for
     * this session.
     */
    public boolean claimLastMinuteHandshake() {
        if (sentLastMinuteHandshake) {
            return false;
        }
        sentLastMinuteHandshake = true;
        return true;
    }

    /** True while the handshake retransmission timer is armed. */
    public boolean handshakeInFlight() {
        return retransmitHandshake != NONE;
    }

    /** Retries made for the handshake in flight. */
    public int handshakeAttempts() {
        return handshakeAttempts;
    }

    /** The earliest armed deadline, or {@link #NONE}. */
    public long nextDeadline() {
        return Math.min(Math.min(retransmitHandshake, sendKeepalive),
                Math.min(Math.min(newHandshake, zeroKeyMaterial), persistentKeepalive));
    }

    /** Disarms everything (peer stopped or removed). */
    public void stop() {
        retransmitHandshake = NONE;
        sendKeepalive = NONE;
        newHandshake = NONE;
        zeroKeyMaterial = NONE;
        persistentKeepalive = NONE;
        handshakeAttempts = 0;
        needAnotherKeepalive = false;
        sentLastMinuteHandshake = false;
    }

    /**
     * Fires every timer due at {@code now} and returns the OR of the actions the owner must take.
     * Re-arming that wireguard-go does inside its expiry handlers happens here.
     */
    public int expire(long now) {
        int actions = 0;
        if (retransmitHandshake <= now) {
            retransmitHandshake = NONE;
            if (handshakeAttempts > MAX_TIMER_HANDSHAKES) {
                actions |= GIVE_UP;
                sendKeepalive = NONE;
                if (zeroKeyMaterial == NONE) {
                    zeroKeyMaterial = now + ZERO_KEY_MATERIAL_AFTER;
                }
            } else {
                handshakeAttempts++;
                actions |= RETRANSMIT_HANDSHAKE;
            }
        }
        if (sendKeepalive <= now) {
            sendKeepalive = NONE;
            actions |= SEND_KEEPALIVE;
            if (needAnotherKeepalive) {
                needAnotherKeepalive = false;
                sendKeepalive = now + KEEPALIVE_TIMEOUT;
            }
        }
        if (newHandshake <= now) {
            newHandshake = NONE;
            actions |= NEW_HANDSHAKE;
        }
        if (zeroKeyMaterial <= now) {
            zeroKeyMaterial = NONE;
            actions |= ZERO_KEY_MATERIAL;
        }
        if (persistentKeepalive <= now) {
            persistentKeepalive = NONE;
            if (persistentKeepaliveInterval > 0) {
                actions |= SEND_KEEPALIVE;
            }
        }
        return actions;
    }
}
