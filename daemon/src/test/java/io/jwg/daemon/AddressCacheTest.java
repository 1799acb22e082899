package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class AddressCacheTest {
    private static long high(String literal) throws Exception {
        return ByteBuffer.wrap(InetAddress.getByName(literal).getAddress()).getLong(0);
    }

    private static long low(String literal) throws Exception {
        return ByteBuffer.wrap(InetAddress.getByName(literal).getAddress()).getLong(8);
    }

    @Test
    void shouldTurnIpv4MappedAddressesIntoInet4Addresses() throws Exception {
        AddressCache cache = new AddressCache(8);
        int ipv4 = ByteBuffer.wrap(InetAddress.getByName("192.0.2.7").getAddress()).getInt();
        InetSocketAddress a = cache.socketAddress(0, AddressCache.v4Low(ipv4), 51820, 0);
        assertInstanceOf(Inet4Address.class, a.getAddress());
        assertEquals(new InetSocketAddress("192.0.2.7", 51820), a);
        assertInstanceOf(Inet4Address.class, cache.address(0, AddressCache.v4Low(ipv4), 0));
    }

    @Test
    void shouldHandBackTheSameObjectForTheSameKeyOnly() throws Exception {
        AddressCache cache = new AddressCache(64);
        long h = high("2001:db8::1");
        long l = low("2001:db8::1");
        InetSocketAddress a = cache.socketAddress(h, l, 1000, 0);
        assertSame(a, cache.socketAddress(h, l, 1000, 0));
        assertNotSame(a, cache.socketAddress(h, l, 1001, 0));
        assertEquals(new InetSocketAddress("2001:db8::1", 1001), cache.socketAddress(h, l, 1001, 0));
        assertSame(cache.address(h, l, 0), cache.address(h, l, 0));
    }

    @Test
    void shouldKeepTheScopeOfLinkLocalAddressesOnly() throws Exception {
        AddressCache cache = new AddressCache(8);
        Inet6Address linkLocal = (Inet6Address) cache.address(high("fe80::1"), low("fe80::1"), 3);
        assertEquals(3, linkLocal.getScopeId());
        assertNotSame(linkLocal, cache.address(high("fe80::1"), low("fe80::1"), 4));
        Inet6Address global = (Inet6Address) cache.address(high("2001:db8::1"), low("2001:db8::1"), 3);
        assertEquals(0, global.getScopeId());
    }

    @Test
    void shouldStayCorrectWhenKeysCollide() throws Exception {
        AddressCache cache = new AddressCache(1);
        for (int i = 0; i < 100; i++) {
            int port = 1 + i % 3;
            assertEquals(new InetSocketAddress("::1", port), cache.socketAddress(0, 1, port, 0));
        }
    }

    @Test
    void shouldKeepAsManyCollidingEndpointsAsASetHasWays() {
        // One set: every key collides. Endpoints that alternate must not evict each other.
        AddressCache cache = new AddressCache(1);
        InetSocketAddress[] first = new InetSocketAddress[AddressCache.WAYS];
        for (int i = 0; i < first.length; i++) {
            first[i] = cache.socketAddress(0, AddressCache.v4Low(0x7f00_0101 + i), 40_000 + i, 0);
        }
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < first.length; i++) {
                assertSame(first[i], cache.socketAddress(0, AddressCache.v4Low(0x7f00_0101 + i), 40_000 + i, 0));
            }
        }
    }
}
