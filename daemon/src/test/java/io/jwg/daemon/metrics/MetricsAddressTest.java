package io.jwg.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MetricsAddressTest {
    @Test
    void shouldParseIpv4AndBracketedIpv6() throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9586), MetricsAddress.parse("127.0.0.1:9586"));
        InetSocketAddress v6 = MetricsAddress.parse("[::1]:9586");
        assertEquals(InetAddress.getByName("::1"), v6.getAddress());
        assertEquals(9586, v6.getPort());
        assertEquals(InetAddress.getByName("fd00::2"), MetricsAddress.parse("[fd00:0::2]:1").getAddress());
    }

    @Test
    void shouldTakeAnEmptyHostForEveryAddress() {
        InetSocketAddress any = MetricsAddress.parse(":9100");
        assertTrue(any.getAddress().isAnyLocalAddress());
        assertEquals(9100, any.getPort());
    }

    @Test
    void shouldResolveHostNames() {
        assertTrue(MetricsAddress.parse("localhost:9586").getAddress().isLoopbackAddress());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "9586", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:95x6",
        "127.0.0.1:-1", "127.0.0.1:+80", "::1:9586", "[::1]", "[::1]9586", "[127.0.0.1]:9586", "[::g]:9586", "[::1:9586",
        "::1]:9586", "127.0.0.1:99999999999"})
    void shouldRejectBadValuesInOneLine(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MetricsAddress.parse(value));
        assertTrue(e.getMessage().startsWith("invalid metrics address '" + value + "': "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
