package io.jwg.core.routing;

import io.jwg.core.Allocations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class AllowedIpsTest {

    /** Identity matters, not equality: two peers with equal names are still two peers. */
    private record Peer(String name) {
    }

    private final Peer a = new Peer("a");
    private final Peer b = new Peer("b");
    private final Peer c = new Peer("c");
    private final Peer d = new Peer("d");
    private final AllowedIps<Peer> table = new AllowedIps<>();

    private static IpPrefix p(String text) {
        return IpPrefix.parse(text);
    }

    private static InetAddress ip(String text) {
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private Peer lookup(String address) {
        return table.lookup(ip(address));
    }

    private static List<String> strings(List<IpPrefix> prefixes) {
        return prefixes.stream().map(IpPrefix::toString).toList();
    }

    @Test
    void shouldPickLongestOfOverlappingIpv4Prefixes() {
        table.insert(p("0.0.0.0/0"), a);
        table.insert(p("10.0.0.0/8"), b);
        table.insert(p("10.1.0.0/16"), c);
        table.insert(p("10.1.2.3/32"), d);
        assertSame(a, lookup("192.168.1.1"));
        assertSame(b, lookup("10.2.0.1"));
        assertSame(c, lookup("10.1.2.4"));
        assertSame(d, lookup("10.1.2.3"));
        assertSame(c, lookup("10.1.255.255"));
        assertSame(b, lookup("10.255.255.255"));
        assertSame(a, lookup("11.0.0.0"));
        assertNull(lookup("::1"), "families are separate");
        assertEquals(4, table.size());

        assertTrue(table.remove(p("10.1.0.0/16"), c));
        assertSame(b, lookup("10.1.2.4"));
        assertSame(d, lookup("10.1.2.3"));
        assertTrue(table.remove(p("0.0.0.0/0"), a));
        assertNull(lookup("192.168.1.1"));
        assertEquals(2, table.size());
    }

    @Test
    void shouldPickLongestOfOverlappingIpv6Prefixes() {
        table.insert(p("::/0"), a);
        table.insert(p("2001:db8::/48"), b);
        table.insert(p("2001:db8:0:1::/64"), c);
        table.insert(p("2001:db8:0:1::1/128"), d);
        assertSame(a, lookup("fd00::1"));
        assertSame(b, lookup("2001:db8:0:2::1"));
        assertSame(c, lookup("2001:db8:0:1::2"));
        assertSame(d, lookup("2001:db8:0:1::1"));
        assertSame(c, lookup("2001:db8:0:1:ffff:ffff:ffff:ffff"));
        assertSame(a, lookup("2001:db9::"));
        assertNull(lookup("10.0.0.1"));
        assertTrue(table.remove(p("2001:db8::/48"), b));
        assertSame(a, lookup("2001:db8:0:2::1"));
        assertSame(c, lookup("2001:db8:0:1::2"));
    }

    @Test
    void shouldMatchHostRoutesAtTheLastBit() {
        table.insert(p("255.255.255.255/32"), a);
        table.insert(p("255.255.255.254/32"), b);
        table.insert(p("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), c);
        table.insert(p("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128"), d);
        assertSame(a, lookup("255.255.255.255"));
        assertSame(b, lookup("255.255.255.254"));
        assertNull(lookup("255.255.255.253"));
        assertSame(c, lookup("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertSame(d, lookup("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
        assertNull(lookup("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd"));
        assertSame(a, table.lookupIpv4(-1));
    }

    @Test
    void shouldMaskHostBitsOnInsert() {
        table.insert(p("10.1.2.3/8"), a);
        assertSame(a, lookup("10.200.0.0"));
        assertEquals(List.of("10.0.0.0/8"), strings(table.prefixes(a)));
        assertTrue(table.remove(p("10.9.9.9/8"), a));
        assertEquals(0, table.size());
    }

    @Test
    void shouldMovePrefixBetweenPeers() {
        table.insert(p("10.0.0.0/24"), a);
        table.insert(p("10.0.1.0/24"), a);
        table.insert(p("10.0.0.0/24"), b);
        assertSame(b, lookup("10.0.0.1"));
        assertSame(a, lookup("10.0.1.1"));
        assertEquals(List.of("10.0.1.0/24"), strings(table.prefixes(a)));
        assertEquals(List.of("10.0.0.0/24"), strings(table.prefixes(b)));
        assertEquals(2, table.size());
        assertFalse(table.remove(p("10.0.0.0/24"), a), "a no longer owns it");
        assertSame(b, lookup("10.0.0.1"));
    }

    @Test
    void shouldIgnoreRemoveByWrongPeerOrUnknownPrefix() {
        table.insert(p("10.0.0.0/24"), a);
        assertFalse(table.remove(p("10.0.0.0/24"), b));
        assertFalse(table.remove(p("10.0.0.0/24"), new Peer("a")), "equal but not the same peer");
        assertFalse(table.remove(p("10.0.0.0/25"), a));
        assertFalse(table.remove(p("10.0.0.0/23"), a));
        assertFalse(table.remove(p("10.0.0.0/24"), null));
        assertFalse(table.remove(p("::/0"), a));
        assertSame(a, lookup("10.0.0.1"));
        assertEquals(1, table.size());
    }

    @Test
    void shouldNotRemoveGlueNodes() {
        table.insert(p("10.0.0.0/24"), a);
        table.insert(p("10.0.1.0/24"), b); // creates an unowned 10.0.0.0/23 branch node
        assertFalse(table.remove(p("10.0.0.0/23"), a));
        assertFalse(table.remove(p("10.0.0.0/23"), null));
        table.insert(p("10.0.0.0/23"), c); // the branch point becomes an entry
        assertSame(a, lookup("10.0.0.0"), "the /24 inside it is longer");
        assertEquals(3, table.size());
        assertTrue(table.remove(p("10.0.0.0/24"), a));
        assertSame(c, lookup("10.0.0.0"));
        assertSame(b, lookup("10.0.1.0"));
        assertTrue(table.remove(p("10.0.0.0/23"), c));
        assertNull(lookup("10.0.0.0"));
        assertSame(b, lookup("10.0.1.0"));
        assertEquals(1, table.nodeCount());
    }

    @Test
    void shouldRemoveAllPrefixesOfOnePeer() {
        table.insert(p("10.0.0.0/8"), a);
        table.insert(p("10.1.0.0/16"), b);
        table.insert(p("10.1.1.0/24"), a);
        table.insert(p("fd00::/8"), a);
        table.insert(p("fd00:1::/32"), b);
        table.removeAll(a);
        assertEquals(List.of(), table.prefixes(a));
        assertNull(lookup("10.2.0.0"));
        assertSame(b, lookup("10.1.1.1"));
        assertSame(b, lookup("fd00:1::1"));
        assertNull(lookup("fd00:2::1"));
        assertEquals(2, table.size());
        table.removeAll(a); // no-op
        table.removeAll(b);
        assertEquals(0, table.size());
        assertEquals(0, table.nodeCount());
        assertNull(lookup("10.1.1.1"));
    }

    @Test
    void shouldListPrefixesInWireguardGoOrder() {
        table.insert(p("10.0.0.0/24"), a);
        table.insert(p("fd00::/64"), a);
        table.insert(p("10.0.1.0/24"), a);
        table.insert(p("192.168.0.0/16"), b);
        table.insert(p("0.0.0.0/0"), a);
        assertEquals(List.of("10.0.0.0/24", "fd00::/64", "10.0.1.0/24", "0.0.0.0/0"), strings(table.prefixes(a)));
        // Re-inserting moves the prefix to the end, even for the same owner.
        table.insert(p("10.0.0.0/24"), a);
        assertEquals(List.of("fd00::/64", "10.0.1.0/24", "0.0.0.0/0", "10.0.0.0/24"), strings(table.prefixes(a)));
        // Moving to another owner appends there.
        table.insert(p("fd00::1/64"), b);
        assertEquals(List.of("10.0.1.0/24", "0.0.0.0/0", "10.0.0.0/24"), strings(table.prefixes(a)));
        assertEquals(List.of("192.168.0.0/16", "fd00::/64"), strings(table.prefixes(b)));
        table.remove(p("0.0.0.0/0"), a);
        assertEquals(List.of("10.0.1.0/24", "10.0.0.0/24"), strings(table.prefixes(a)));
        assertEquals(List.of(), table.prefixes(c));
    }

    @Test
    void shouldLookUpStraightFromPacketBuffers() {
        table.insert(p("10.0.0.0/8"), a);
        table.insert(p("10.1.2.3/32"), b);
        table.insert(p("2001:db8::/32"), c);
        table.insert(p("2001:db8::42/128"), d);
        byte[] v4 = {10, 1, 2, 3};
        byte[] v6 = ip("2001:db8::42").getAddress();
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            for (ByteBuffer buf : new ByteBuffer[] {ByteBuffer.allocate(64), ByteBuffer.allocateDirect(64)}) {
                buf.order(order);
                buf.position(5); // absolute reads ignore the position
                buf.put(16, v4);
                buf.put(24, v6);
                assertSame(b, table.lookup(buf, 16, false), order + " v4");
                assertSame(d, table.lookup(buf, 24, true), order + " v6");
                buf.put(19, (byte) 9);
                assertSame(a, table.lookup(buf, 16, false));
                buf.put(39, (byte) 0x43);
                assertSame(c, table.lookup(buf, 24, true));
                assertEquals(5, buf.position());
            }
        }
        assertSame(b, table.lookupIpv4(0x0A01_0203));
        assertSame(a, table.lookupIpv4(0x0A01_0204));
        assertNull(table.lookupIpv4(0x0B00_0000));
    }

    @Test
    void shouldCompactTrieUnderChurn() {
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < 64; i++) {
                table.insert(p("10." + i + ".0.0/16"), a);
                table.insert(p("10." + i + "." + round + ".0/24"), b);
                table.insert(p("fd00:" + Integer.toHexString(i) + "::/32"), b);
            }
            assertTrue(table.nodeCount() <= 2 * table.size() - 1);
            for (int i = 0; i < 64; i += 2) {
                assertTrue(table.remove(p("10." + i + ".0.0/16"), a));
            }
            assertTrue(table.nodeCount() <= 2 * table.size() - 1);
            table.removeAll(b);
            table.removeAll(a);
            assertEquals(0, table.nodeCount());
        }
    }

    @Test
    void shouldNotAllocateOnLookup() {
        table.insert(p("10.0.0.0/8"), a);
        table.insert(p("10.1.0.0/16"), b);
        table.insert(p("2001:db8::/32"), c);
        table.insert(p("2001:db8::1/128"), d);
        ByteBuffer packet = ByteBuffer.allocateDirect(64);
        packet.put(16, new byte[] {10, 1, 2, 3});
        packet.put(24, ip("2001:db8::1").getAddress());
        int sink = 0;
        for (int round = 0; round < 3; round++) {
            long before = Allocations.allocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                sink += table.lookupIpv4(0x0A00_0000 + i) == a ? 1 : 0;
                sink += table.lookup(packet, 16, false) == b ? 1 : 0;
                sink += table.lookup(packet, 24, true) == d ? 1 : 0;
            }
            long allocated = Allocations.allocatedBytes() - before;
            if (round > 0) {
                assertTrue(allocated < 4096, allocated + " bytes allocated in round " + round);
            }
        }
        assertTrue(sink > 0);
    }

}
