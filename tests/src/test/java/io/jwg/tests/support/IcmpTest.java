package io.jwg.tests.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The packet builder the interop tests trust to satisfy a real kernel: checksums and layout. */
class IcmpTest {
    @Test
    void shouldComputeTheTextbookIpv4HeaderChecksum() {
        // The worked example of RFC 1071-style header checksums (192.168.0.1 -> 192.168.0.199).
        byte[] header = HexFormat.of().parseHex("450000730000400040110000c0a80001c0a800c7");
        assertEquals(0xb861, Icmp.checksum(0, header, 0, header.length));
    }

    @Test
    void shouldRoundTripIpv4EchoAndAnswerIt() throws Exception {
        InetAddress a = InetAddress.getByName("10.1.2.3");
        InetAddress b = InetAddress.getByName("10.1.2.4");
        byte[] request = Icmp.echoRequest(a, b, 0x1234, 7, new byte[] {1, 2, 3}); // odd length on purpose

        Icmp.Echo parsed = Icmp.parse(request);
        assertEquals(new Icmp.Echo(true, a, b, 0x1234, 7, new byte[] {1, 2, 3}), parsed);
        assertFalse(parsed.ipv6());
        assertEquals(new Icmp.Echo(false, b, a, 0x1234, 7, new byte[] {1, 2, 3}), Icmp.parse(Icmp.echoReply(parsed)));
    }

    @Test
    void shouldRoundTripIpv6EchoWithPseudoHeaderChecksum() throws Exception {
        InetAddress a = InetAddress.getByName("fd00::1");
        InetAddress b = InetAddress.getByName("fd00::2");
        byte[] reply = Icmp.echoReply(Icmp.parse(Icmp.echoRequest(a, b, 1, 2, new byte[32])));
        Icmp.Echo parsed = Icmp.parse(reply);
        assertTrue(parsed.ipv6());
        assertEquals(new Icmp.Echo(false, b, a, 1, 2, new byte[32]), parsed);
        assertEquals(129, reply[40] & 0xff);
    }

    @Test
    void shouldRejectCorruptedChecksumsAndIgnoreOtherPackets() throws Exception {
        InetAddress a = InetAddress.getByName("10.1.2.3");
        byte[] v4 = Icmp.echoRequest(a, a, 1, 1, new byte[8]);
        v4[30] ^= 1;
        assertThrows(IllegalArgumentException.class, () -> Icmp.parse(v4));
        byte[] v6 = Icmp.echoRequest(InetAddress.getByName("::1"), InetAddress.getByName("::2"), 1, 1, new byte[8]);
        v6[8] ^= 1; // source address: only the pseudo-header covers it
        assertThrows(IllegalArgumentException.class, () -> Icmp.parse(v6));
        byte[] udp = Icmp.echoRequest(a, a, 1, 1, new byte[8]);
        udp[9] = 17;
        assertNull(Icmp.parse(udp));
    }
}
