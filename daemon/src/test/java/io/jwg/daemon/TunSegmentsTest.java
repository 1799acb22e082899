package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tun.VirtioNetHdr;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class TunSegmentsTest {
    @Test
    void shouldPassAPlainReadThroughAsOnePacket() {
        TunSegments segments = new TunSegments(false);
        ByteBuffer read = ByteBuffer.allocateDirect(100).put(new byte[] {0x45, 1, 2, 3}).flip();
        assertEquals(1, segments.begin(read));
        assertEquals(4, segments.length(0));
        ByteBuffer dst = ByteBuffer.allocateDirect(64).position(9);
        segments.copy(0, dst);
        assertEquals(0, dst.position());
        assertEquals(4, dst.limit());
        assertEquals(0x45, dst.get(0));
        assertEquals(3, dst.get(3));
    }

    @Test
    void shouldSplitASuperPacketAndCountWhatItCannotParse() {
        TunSegments segments = new TunSegments(true);
        ByteBuffer read = ByteBuffer.allocateDirect(4000);
        VirtioNetHdr hdr = new VirtioNetHdr();
        hdr.flags = VirtioNetHdr.F_NEEDS_CSUM;
        hdr.gsoType = VirtioNetHdr.GSO_TCPV4;
        hdr.hdrLen = 40;
        hdr.gsoSize = 1000;
        hdr.csumStart = 20;
        hdr.csumOffset = 16;
        hdr.encode(read, 0);
        int length = 40 + 2500;
        read.put(VirtioNetHdr.SIZE, (byte) 0x45).putShort(VirtioNetHdr.SIZE + 2, (short) length);
        read.put(VirtioNetHdr.SIZE + 9, (byte) 6).put(VirtioNetHdr.SIZE + 20 + 12, (byte) 0x50);
        read.limit(VirtioNetHdr.SIZE + length);

        assertEquals(3, segments.begin(read));
        int[] lengths = {1040, 1040, 540};
        for (int i = 0; i < 3; i++) {
            assertEquals(lengths[i], segments.length(i));
            ByteBuffer dst = ByteBuffer.allocateDirect(1100);
            segments.copy(i, dst);
            assertEquals(0, dst.position());
            assertEquals(lengths[i], dst.limit());
            assertEquals(lengths[i], dst.getShort(2), "IPv4 total length");
        }

        read.position(0).put(VirtioNetHdr.SIZE + 9, (byte) 17); // UDP under a TCP GSO type
        assertEquals(0, segments.begin(read));
        assertEquals(0, segments.begin(ByteBuffer.allocateDirect(5))); // no room for a header
        hdr.clear().encode(read.position(0), 0);
        read.limit(VirtioNetHdr.SIZE);
        assertEquals(0, segments.begin(read)); // a header and nothing behind it
        assertEquals("TUN offloads: 1 super-packets split into 3 segments, 3 malformed reads dropped",
                segments.summary());
    }

    @Test
    void shouldReadTheOffSwitchLikeTheUdpOne() {
        assertTrue(TunSegments.enabled(null));
        assertTrue(TunSegments.enabled("on"));
        assertFalse(TunSegments.enabled("off"));
        assertFalse(TunSegments.enabled("0"));
    }
}
