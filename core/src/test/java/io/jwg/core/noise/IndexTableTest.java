package io.jwg.core.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IndexTableTest {
    private final IndexTable<String> table = new IndexTable<>(new SecureRandom());

    @Test
    void shouldHandOutDistinctNonZeroIndices() {
        Handshake handshake = new Handshake(new byte[32]);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            int index = table.newIndexForHandshake("peer", handshake);
            assertNotEquals(0, index);
            seen.add(index);
        }
        assertEquals(10_000, seen.size());
        assertEquals(10_000, table.size());
    }

    @Test
    void shouldSwapHandshakeForKeypairAndDelete() {
        Handshake handshake = new Handshake(new byte[32]);
        int index = table.newIndexForHandshake("peer", handshake);
        assertSame(handshake, table.lookup(index).handshake());
        Keypair keypair = new Keypair(new byte[32], new byte[32], true, index, 7, 0);
        table.swapIndexForKeypair(index, keypair);
        assertNull(table.lookup(index).handshake());
        assertSame(keypair, table.lookup(index).keypair());
        assertEquals("peer", table.lookup(index).peer());
        table.delete(index);
        assertNull(table.lookup(index));
        table.delete(0);
        table.swapIndexForKeypair(12345, keypair);
        assertNull(table.lookup(12345), "swapping a freed index does not resurrect it");
    }
}
