package io.jwg.core.noise;

import java.security.SecureRandom;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * The receiver-index table: maps the random 32-bit indices we hand out to the handshake or
 * keypair they name, and to its peer. Indices are drawn at random (never 0) and retried on
 * collision, so they reveal nothing about how many sessions exist. Thread-safe; lookups do not
 * allocate.
 *
 * @param <P> the peer type
 */
public final class IndexTable<P> {
    /** What an index names: a peer and either its handshake in flight or one of its keypairs. */
    public record Entry<P>(P peer, Handshake handshake, Keypair keypair) {
    }

    private final Int2ObjectHashMap<Entry<P>> entries = new Int2ObjectHashMap<>();
    private final SecureRandom random;

    /** An empty table drawing indices from {@code random}. */
    public IndexTable(SecureRandom random) {
        this.random = random;
    }

    /** Allocates a fresh index naming {@code handshake} of {@code peer}. */
    public synchronized int newIndexForHandshake(P peer, Handshake handshake) {
        while (true) {
            int index = random.nextInt();
            if (index != 0 && !entries.containsKey(index)) {
                entries.put(index, new Entry<>(peer, handshake, null));
                return index;
            }
        }
    }

    /** Re-points {@code index} (which named a handshake) at the keypair derived from it. */
    public synchronized void swapIndexForKeypair(int index, Keypair keypair) {
        Entry<P> old = entries.get(index);
        if (old != null) {
            entries.put(index, new Entry<>(old.peer(), null, keypair));
        }
    }

    /** Frees {@code index}; 0 is ignored. */
    public synchronized void delete(int index) {
        if (index != 0) {
            entries.remove(index);
        }
    }

    /** The entry for {@code index}, or null. */
    public synchronized Entry<P> lookup(int index) {
        return entries.get(index);
    }

    /** Number of live indices. */
    public synchronized int size() {
        return entries.size();
    }
}
