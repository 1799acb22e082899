package io.jwg.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class VirtioNetHdrTest {
    @Test
    void shouldEncodeInHostOrderAndDecodeWhatItEncoded() {
        VirtioNetHdr hdr = new VirtioNetHdr();
        hdr.flags = VirtioNetHdr.F_NEEDS_CSUM;
        hdr.gsoType = VirtioNetHdr.GSO_TCPV6 | VirtioNetHdr.GSO_ECN;
        hdr.hdrLen = 0x0102;
        hdr.gsoSize = 0x0304;
        hdr.csumStart = 0x0506;
        hdr.csumOffset = 0x0708;
        ByteBuffer buffer = ByteBuffer.allocate(14); // big-endian: the header must not follow the buffer's order
        hdr.encode(buffer, 3);
        byte[] bytes = new byte[VirtioNetHdr.SIZE];
        buffer.get(3, bytes);
        byte[] expected = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
                ? new byte[] {1, (byte) 0x84, 2, 1, 4, 3, 6, 5, 8, 7}
                : new byte[] {1, (byte) 0x84, 1, 2, 3, 4, 5, 6, 7, 8};
        assertArrayEquals(expected, bytes);

        VirtioNetHdr decoded = new VirtioNetHdr();
        assertTrue(decoded.decode(buffer, 3));
        assertEquals(hdr.toString(), decoded.toString());
        assertTrue(decoded.isGso());
        assertTrue(decoded.needsChecksum());
        assertFalse(decoded.clear().isGso());
        assertFalse(decoded.needsChecksum());
    }

    @Test
    void shouldRefuseToDecodeAShortBuffer() {
        VirtioNetHdr hdr = new VirtioNetHdr();
        assertFalse(hdr.decode(ByteBuffer.allocate(9), 0));
        assertFalse(hdr.decode(ByteBuffer.allocate(12), 3));
        assertFalse(hdr.decode(ByteBuffer.allocate(12), -1));
        assertTrue(hdr.decode(ByteBuffer.allocate(12), 2));
    }
}
