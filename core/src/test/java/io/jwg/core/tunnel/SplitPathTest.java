package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.crypto.ChaChaPoly;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The split data path an I/O layer uses for parallel crypto: reservations under the lock, seals
 * and opens in any order on their own ciphers, and the ordered finish with the replay window.
 */
class SplitPathTest {
    private static final int PACKETS = 200;

    @Test
    void shouldDeliverEverythingWhenSealedAndOpenedOutOfOrder() {
        TestNetwork net = new TestNetwork();
        net.a.send("hello".getBytes());
        net.pump();

        List<ByteBuffer> packets = new ArrayList<>();
        List<SealJob> jobs = new ArrayList<>();
        for (int i = 0; i < PACKETS; i++) {
            ByteBuffer packet = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "10.0.0.2", ("p" + i).getBytes()));
            SealJob job = new SealJob();
            assertEquals(Verdict.WRITE_TO_NETWORK, net.a.tunnel.reserve(packet, 2048, job));
            packets.add(packet);
            jobs.add(job);
        }
        List<Integer> order = shuffled(PACKETS, 1);
        ChaChaPoly aead = new ChaChaPoly();
        ByteBuffer[] wire = new ByteBuffer[PACKETS];
        for (int i : order) {
            wire[i] = ByteBuffer.allocateDirect(2048);
            jobs.get(i).seal(aead, packets.get(i), wire[i]);
            assertEquals(i + 1, jobs.get(i).counter(), "counters follow reservation order");
        }

        OpenJob[] opens = new OpenJob[PACKETS];
        ByteBuffer[] plain = new ByteBuffer[PACKETS];
        Received received = new Received();
        for (int i = 0; i < PACKETS; i++) {
            opens[i] = new OpenJob();
            assertTrue(net.b.engine.beginTransport(wire[i], opens[i], received));
            assertEquals(net.b.tunnel, opens[i].tunnel());
        }
        for (int i : shuffled(PACKETS, 2)) {
            plain[i] = ByteBuffer.allocateDirect(2048);
            assertTrue(opens[i].open(aead, wire[i], plain[i]));
        }
        for (int i = 0; i < PACKETS; i++) {
            assertEquals(Verdict.WRITE_TO_TUNNEL, net.b.engine.finishTransport(opens[i], net.a.address, plain[i], received));
            byte[] payload = new byte[plain[i].remaining() - 20];
            plain[i].get(plain[i].position() + 20, payload);
            assertEquals("p" + i, new String(payload));
        }
        // A replay of an opened message fails in the ordered step.
        OpenJob again = new OpenJob();
        assertTrue(net.b.engine.beginTransport(wire[7], again, received));
        ByteBuffer out = ByteBuffer.allocate(2048);
        assertTrue(again.open(aead, wire[7], out));
        assertEquals(Verdict.DROP, net.b.engine.finishTransport(again, net.a.address, out, received));
        assertEquals(DropReason.REPLAYED_COUNTER, received.dropReason());
    }

    @Test
    void shouldDropAForgeryInTheOrderedStep() {
        TestNetwork net = new TestNetwork();
        net.a.send("hello".getBytes());
        net.pump();
        ByteBuffer packet = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "10.0.0.2", "x".getBytes()));
        SealJob job = new SealJob();
        assertEquals(Verdict.WRITE_TO_NETWORK, net.a.tunnel.reserve(packet, 2048, job));
        ByteBuffer wire = ByteBuffer.allocate(2048);
        ChaChaPoly aead = new ChaChaPoly();
        job.seal(aead, packet, wire);
        wire.put(wire.limit() - 1, (byte) (wire.get(wire.limit() - 1) ^ 1));
        OpenJob open = new OpenJob();
        Received received = new Received();
        assertTrue(net.b.engine.beginTransport(wire, open, received));
        ByteBuffer out = ByteBuffer.allocate(2048);
        assertFalse(open.open(aead, wire, out));
        assertEquals(Verdict.DROP, net.b.engine.finishTransport(open, net.a.address, out, received));
        assertEquals(DropReason.DECRYPTION_FAILED, received.dropReason());
    }

    private static List<Integer> shuffled(int n, long seed) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        return order;
    }
}
