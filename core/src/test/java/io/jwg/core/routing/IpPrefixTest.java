package io.jwg.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class IpPrefixTest {

    private static void roundTrip(String input, String expected) {
        assertEquals(expected, IpPrefix.parse(input).toString(), input);
        assertEquals(IpPrefix.parse(expected), IpPrefix.parse(input), input);
    }

    @Test
    void shouldMaskHostBitsAndFormatIpv4() {
        roundTrip("10.0.0.1/24", "10.0.0.0/24");
        roundTrip("10.0.0.1", "10.0.0.1/32");
        roundTrip("0.0.0.0/0", "0.0.0.0/0");
        roundTrip("255.255.255.255/0", "0.0.0.0/0");
        roundTrip("192.168.255.255/17", "192.168.128.0/17");
        roundTrip("1.2.3.4/31", "1.2.3.4/31");
        roundTrip("1.2.3.5/31", "1.2.3.4/31");
        assertFalse(IpPrefix.parse("10.0.0.0/8").isIpv6());
        assertEquals(8, IpPrefix.parse("10.0.0.0/8").bits());
    }

    @Test
    void shouldFormatIpv6LikeGoNetip() {
        roundTrip("fe80::1/64", "fe80::/64");
        roundTrip("FD00:0:0:0:0:0:0:1", "fd00::1/128");
        roundTrip("::/0", "::/0");
        roundTrip("::1", "::1/128");
        roundTrip("2001:db8::", "2001:db8::/128");
        roundTrip("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1/128"); // leftmost wins a tie
        roundTrip("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::/128");                   // longer run wins
        roundTrip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1/128");               // one zero group stays
        roundTrip("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0/128");
        roundTrip("0:0:1::", "0:0:1::/128");                                          // trailing run is longer
        roundTrip("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128");
        roundTrip("abcd:ef01:2345:6789:abcd:ef01:2345:6789/100", "abcd:ef01:2345:6789:abcd:ef01:2000:0/100");
        roundTrip("::1.2.3.4", "::102:304/128");
        roundTrip("fd00:1:2:3:4:5:6:7/48", "fd00:1:2::/48");
        assertTrue(IpPrefix.parse("fd00::/64").isIpv6());
    }

    @Test
    void shouldTreatIpv4MappedTextAsIpv4LikeJava() {
        roundTrip("::ffff:10.1.2.3", "10.1.2.3/32");
        roundTrip("::ffff:10.1.2.3/120", "10.1.2.0/24");
        roundTrip("::ffff:10.1.2.3/96", "0.0.0.0/0");
        assertFalse(IpPrefix.parse("::ffff:10.1.2.3/128").isIpv6());
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("::ffff:10.1.2.3/95"));
    }

    @Test
    void shouldKeepFamilyAndDropScopeWhenBuiltFromAddress() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, 10, 1, 2, 3};
        IpPrefix p = new IpPrefix(Inet6Address.getByAddress(null, mapped, -1), 128);
        assertTrue(p.isIpv6());
        assertEquals("::ffff:10.1.2.3/128", p.toString()); // what Go prints for a 4-in-6 prefix
        byte[] linkLocal = {(byte) 0xFE, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        IpPrefix scoped = new IpPrefix(Inet6Address.getByAddress(null, linkLocal, 3), 128);
        assertEquals(0, ((Inet6Address) scoped.address()).getScopeId());
        assertEquals(IpPrefix.parse("fe80::1"), scoped);
        assertInstanceOf(Inet4Address.class, new IpPrefix(InetAddress.getByName("10.9.8.7"), 8).address());
        assertEquals("10.0.0.0/8", new IpPrefix(InetAddress.getByName("10.9.8.7"), 8).toString());
        assertThrows(IllegalArgumentException.class, () -> new IpPrefix(InetAddress.getByName("10.9.8.7"), 33));
        assertThrows(IllegalArgumentException.class, () -> new IpPrefix(InetAddress.getByName("::1"), -1));
        assertThrows(IllegalArgumentException.class, () -> new IpPrefix(InetAddress.getByName("::1"), 129));
    }

    @Test
    void shouldRejectGarbageWithClearMessages() {
        String[] bad = {
            "", "/", "/24", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/+8", "10.0.0.1/08",
            "10.0.0.1/8/8", "10.0.0.1/ 8", "10.0.0", "10.0.0.1.2", "10.0.0.256", "10.0.0.01", "10..0.1",
            "1234.0.0.1", " 10.0.0.1", "10.0.0.1 ", "localhost", "example.com/8", "0x0a.0.0.1",
            "fe80::1/129", "fe80::1%eth0/64", "fe80::1%1", "[::1]/128", "1::2::3", "12345::",
            "1:2:3:4:5:6:7:8:9", "::g", ":", "10.0.0.1/1000",
        };
        for (String text : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(text), text);
            assertTrue(e.getMessage().startsWith("invalid IP prefix \"" + text + "\": "), e.getMessage());
        }
    }

    @Test
    void shouldConvertToAndFromTrieBits() {
        for (String text : new String[] {"10.1.2.0/24", "255.255.255.255/32", "0.0.0.0/0", "fd00:1::/32", "::/0",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"}) {
            IpPrefix p = IpPrefix.parse(text);
            assertEquals(p, IpPrefix.fromBits(p.high64(), p.low64(), p.bits(), p.isIpv6()), text);
        }
        assertEquals(0x0A01_0200_0000_0000L, IpPrefix.parse("10.1.2.0/24").high64());
        assertEquals(0L, IpPrefix.parse("10.1.2.0/24").low64());
    }
}
