package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * An I/O layer naturally reuses one scratch buffer for everything the engine writes. Encapsulating
 * leaves that buffer little-endian (transport headers are); decapsulating into it afterwards
 * must still read the inner IP header big-endian. Found by the wireguard-go interop test, where
 * every echo reply was dropped as an invalid inner packet.
 */
class ReusedBufferTest {
    @Test
    void shouldDecapsulateIntoTheBufferThatLastEncapsulated() {
        TestNetwork net = new TestNetwork();
        net.a.send("hello".getBytes());
        net.pump();
        net.inFlight.clear();
        ByteBuffer scratch = ByteBuffer.allocate(2048);
        assertEquals(ByteOrder.BIG_ENDIAN, scratch.order());

        // a -> b, and b answers, each through the same buffer that b just used to send.
        assertEquals(Verdict.WRITE_TO_NETWORK, net.b.engine.encapsulate(
                ByteBuffer.wrap(Packets.ipv4("10.0.0.2", "10.0.0.1", new byte[4])), scratch, net.b.received));
        byte[] fromA = new byte[2048];
        ByteBuffer aOut = ByteBuffer.allocate(2048);
        byte[] sent = Packets.ipv4("10.0.0.1", "10.0.0.2", "ping".getBytes());
        assertEquals(Verdict.WRITE_TO_NETWORK, net.a.engine.encapsulate(ByteBuffer.wrap(sent), aOut, net.a.received));
        int length = aOut.remaining();
        aOut.get(fromA, 0, length);

        Verdict verdict = net.b.engine.decapsulate(ByteBuffer.wrap(fromA, 0, length), net.a.address, false, scratch,
                net.b.received);

        assertNull(net.b.received.dropReason());
        assertEquals(Verdict.WRITE_TO_TUNNEL, verdict);
        byte[] delivered = new byte[scratch.remaining()];
        scratch.get(scratch.position(), delivered);
        assertArrayEquals(sent, delivered);
    }

    @Test
    void shouldLeaveCallersByteOrderAlone() {
        TestNetwork net = new TestNetwork();
        net.a.send("hello".getBytes());
        net.pump();
        ByteBuffer packet = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "10.0.0.2", new byte[4]));
        ByteBuffer out = ByteBuffer.allocate(2048);
        assertEquals(Verdict.WRITE_TO_NETWORK, net.a.engine.encapsulate(packet, out, net.a.received));
        assertEquals(ByteOrder.BIG_ENDIAN, out.order());
        ByteBuffer littleEndianOut = ByteBuffer.allocate(2048).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer datagram = ByteBuffer.allocate(out.remaining()).put(out).flip();
        assertEquals(Verdict.WRITE_TO_TUNNEL, net.b.engine.decapsulate(datagram, net.a.address, false, littleEndianOut,
                net.b.received), "header fields read right whatever the buffer order");
        assertEquals(ByteOrder.BIG_ENDIAN, datagram.order());
        assertEquals(ByteOrder.LITTLE_ENDIAN, littleEndianOut.order());
    }
}
