package io.jwg.core.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TransportTest {
    @Test
    void shouldPadToSixteenCappedAtMtu() {
        assertEquals(0, Transport.paddedLength(0, 1420), "keepalive stays empty");
        assertEquals(16, Transport.paddedLength(1, 1420));
        assertEquals(16, Transport.paddedLength(16, 1420));
        assertEquals(32, Transport.paddedLength(17, 1420));
        assertEquals(1420, Transport.paddedLength(1419, 1420), "1424 would exceed the MTU");
        assertEquals(1420, Transport.paddedLength(1420, 1420));
        assertEquals(1505 + 11, Transport.paddedLength(1505, 1420), "an over-MTU packet pads its last 85-byte unit to 96");
        assertEquals(48, Transport.paddedLength(33, 0), "MTU 0: no cap");
    }

    @Test
    void shouldWriteLittleEndianHeaderWithoutChangingOrder() {
        ByteBuffer out = ByteBuffer.allocate(32);
        Transport.writeHeader(out, 0x01020304, 0x1122334455667788L);
        assertEquals(ByteOrder.BIG_ENDIAN, out.order());
        assertEquals(Transport.HEADER_SIZE, out.position());
        byte[] expected = {4, 0, 0, 0, 4, 3, 2, 1, (byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], out.get(i), "byte " + i);
        }
    }
}
