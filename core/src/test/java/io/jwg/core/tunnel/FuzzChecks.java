package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jwg.core.message.MessageType;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One datagram through {@link Engine#decapsulate} with the checks every packet fuzz target shares:
 * nothing thrown (a throw is a finding by itself), the input buffer untouched, the type reported
 * as classified, and every drop carrying a reason that was counted exactly once.
 */
final class FuzzChecks {
    final ByteBuffer out = ByteBuffer.allocate(65_536 + 64);
    final Received received = new Received();

    /** Decapsulates {@code message}, placed at a small offset in a larger buffer, and checks the call. */
    Verdict decapsulate(Engine engine, byte[] message, InetSocketAddress source, boolean underLoad) {
        ByteBuffer datagram = ByteBuffer.allocate(message.length + 16);
        datagram.position(7).limit(7 + message.length);
        datagram.put(7, message);
        long dropsBefore = totalDrops(engine);
        Verdict verdict = engine.decapsulate(datagram, source, underLoad, out, received);
        assertNotNull(verdict);
        assertEquals(7, datagram.position(), "input position moved");
        assertEquals(7 + message.length, datagram.limit(), "input limit moved");
        byte[] after = new byte[message.length];
        datagram.get(7, after);
        assertArrayEquals(message, after, "input bytes changed");
        assertEquals(MessageType.classify(message, message.length), received.type());
        checkDropAccounting(engine, verdict, dropsBefore);
        return verdict;
    }

    /** A drop has a reason and adds exactly one to the counters; anything else adds none. */
    void checkDropAccounting(Engine engine, Verdict verdict, long dropsBefore) {
        long delta = totalDrops(engine) - dropsBefore;
        if (verdict == Verdict.DROP) {
            assertNotNull(received.dropReason(), "drop without a reason");
            assertEquals(1, delta, "a drop must be counted once");
        } else {
            assertNull(received.dropReason(), verdict + " with a drop reason");
            assertEquals(0, delta, verdict + " counted a drop");
        }
    }

    static long totalDrops(Engine engine) {
        long total = 0;
        for (DropReason reason : DropReason.values()) {
            total += engine.drops(reason);
        }
        return total;
    }
}
