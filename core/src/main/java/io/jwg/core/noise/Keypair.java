package io.jwg.core.noise;

import io.jwg.core.Constants;
import io.jwg.core.crypto.TransportKey;
import io.jwg.core.replay.ReplayWindow;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A transport session derived from one handshake: the two ChaCha20-Poly1305 keys, the send
 * counter, the receive replay window, and the indices both sides use to find it. Its keys are
 * erased ({@link #destroy}) when the peer's {@link Keypairs} drops it.
 */
public final class Keypair {
    final TransportKey sendKey;
    final TransportKey receiveKey;
    private final AtomicLong sendCounter = new AtomicLong();
    /** Receive-side replay window; the caller serialises access per keypair. */
    public final ReplayWindow replayWindow = new ReplayWindow();
    private final long created;
    private final boolean initiator;
    private final int localIndex;
    private final int remoteIndex;

    /** A keypair from raw keys; {@code created} is monotonic nanoseconds. */
    public Keypair(byte[] sendKey, byte[] receiveKey, boolean initiator, int localIndex, int remoteIndex, long created) {
        this.sendKey = new TransportKey(sendKey);
        this.receiveKey = new TransportKey(receiveKey);
        this.initiator = initiator;
        this.localIndex = localIndex;
        this.remoteIndex = remoteIndex;
        this.created = created;
    }

    /** The key we encrypt with. */
    public TransportKey sendKey() {
        return sendKey;
    }

    /** The key we decrypt with. */
    public TransportKey receiveKey() {
        return receiveKey;
    }

    /** True when we initiated the handshake that made this keypair. */
    public boolean isInitiator() {
        return initiator;
    }

    /** Our index: the receiver index the peer puts on transport messages to us. */
    public int localIndex() {
        return localIndex;
    }

    /** The peer's index: the receiver index we put on transport messages. */
    public int remoteIndex() {
        return remoteIndex;
    }

    /** Monotonic creation time. */
    public long created() {
        return created;
    }

    /**
     * Takes the next send counter, or returns -1 when the keypair may not send any more
     * (REJECT_AFTER_MESSAGES reached, or expired by {@link #expireSending}).
     */
    public long nextSendCounter() {
        long counter = sendCounter.getAndIncrement();
        if (Long.compareUnsigned(counter, Constants.REJECT_AFTER_MESSAGES) >= 0) {
            sendCounter.set(Constants.REJECT_AFTER_MESSAGES);
            return -1;
        }
        return counter;
    }

    /** The next counter that would be used (unsigned). */
    public long sendCounter() {
        return sendCounter.get();
    }

    /** Marks the keypair unusable for sending (after a private-key change). */
    public void expireSending() {
        sendCounter.set(Constants.REJECT_AFTER_MESSAGES);
    }

    /** True when the keypair can still send at monotonic time {@code now}. */
    public boolean canSend(long now) {
        return Long.compareUnsigned(sendCounter.get(), Constants.REJECT_AFTER_MESSAGES) < 0
                && now - created < Constants.REJECT_AFTER_TIME;
    }

    /**
     * Erases both keys. A packet still being sealed or opened with this keypair on another thread
     * then fails to authenticate; callers drop a keypair only once it is out of use.
     */
    public void destroy() {
        sendKey.destroy();
        receiveKey.destroy();
    }

    /** True when the keypair is too old to receive with at {@code now}. */
    public boolean receiveExpired(long now) {
        return now - created > Constants.REJECT_AFTER_TIME;
    }
}
