package io.jwg.core.noise;

import java.util.function.IntConsumer;

/**
 * A peer's three keypair slots, rotated as in wireguard-go {@code BeginSymmetricSession} and
 * {@code ReceivedWithKeypair}: the initiator uses a new keypair at once; the responder parks it
 * in {@code next} until the initiator's first transport message proves the initiator has it.
 * Writers hold the peer's lock; {@link #current()} may be read without it. A keypair that leaves
 * the slots has its index freed and its keys erased.
 */
public final class Keypairs {
    private Keypair previous;
    private volatile Keypair current;
    private Keypair next;
    private final IntConsumer freeIndex;

    /** Slots that release a dropped keypair's index through {@code freeIndex}. */
    public Keypairs(IntConsumer freeIndex) {
        this.freeIndex = freeIndex;
    }

    /** The keypair used for sending, or null. */
    public Keypair current() {
        return current;
    }

    /** The unconfirmed responder keypair, or null. */
    public Keypair next() {
        return next;
    }

    /** The keypair before current, kept for packets still in flight, or null. */
    public Keypair previous() {
        return previous;
    }

    /** Installs a keypair fresh from a handshake. */
    public void install(Keypair keypair) {
        if (keypair.isInitiator()) {
            if (next != null) {
                free(previous);
                previous = next;
                next = null;
                free(current);
            } else {
                free(previous);
                previous = current;
            }
            current = keypair;
        } else {
            free(next);
            next = keypair;
            free(previous);
            previous = null;
        }
    }

    /**
     * Called when a transport message authenticated with {@code keypair}; if it is the
     * unconfirmed next keypair it becomes current. Returns true on that rotation.
     */
    public boolean receivedWith(Keypair keypair) {
        if (next == null || keypair != next) {
            return false;
        }
        free(previous);
        previous = current;
        current = next;
        next = null;
        return true;
    }

    /** Marks current and next unusable for sending, forcing a new handshake. */
    public void expireSending() {
        Keypair c = current;
        if (c != null) {
            c.expireSending();
        }
        if (next != null) {
            next.expireSending();
        }
    }

    /** Drops every keypair and frees their indices. */
    public void clear() {
        free(previous);
        free(current);
        free(next);
        previous = null;
        current = null;
        next = null;
    }

    /** A dropped keypair: its index is freed first, so no new lookup finds it, then its keys are erased. */
    private void free(Keypair keypair) {
        if (keypair != null) {
            freeIndex.accept(keypair.localIndex());
            keypair.destroy();
        }
    }
}
