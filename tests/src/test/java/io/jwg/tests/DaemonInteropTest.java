package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Iperf;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The jwg daemon (issue #3) against Debian's wireguard-go, both configured by the real {@code wg}
 * in network namespaces, traffic by the real {@code ping} and {@code iperf3}: handshakes either
 * way over either outer family, jumbo MTU, roaming, the inbound source filter, NAT keepalive and
 * a TUN moved between namespaces. Process lifecycle, launching and wg-quick are in
 * {@link DaemonLifecycleTest}; long transfers in {@link DaemonThroughputTest}; cookie replies and
 * the endpoint in {@link DaemonCookieTest}.
 *
 * <p>Run with {@code -Djwg.test.impl=wireguard-go} to validate the tests with wireguard-go in
 * jwg's role (see {@link Daemons}).
 */
class DaemonInteropTest {
    private static final Duration ROAM_WAIT = Duration.ofSeconds(5);

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "wireguard-go", "ping", "iperf3", "ss", "iptables", "sh");
        Environment.requireWireGuardGoInterop();
    }

    @ParameterizedTest(name = "{0} initiates over IPv{1} endpoints")
    @CsvSource({"jwg, V4", "jwg, V6", "wireguard-go, V4", "wireguard-go, V6"})
    void shouldHandshakeAndPingBothWaysOverBothInnerFamilies(String initiator, Pair.Family outer) {
        Pair.Builder builder = Pair.builder().a(Daemons.jwgFactory()).b(Daemons.wireguardGoFactory()).outer(outer);
        boolean jwgInitiates = initiator.equals("jwg");
        try (Pair pair = (jwgInitiates ? builder.onlyAKnowsEndpoint() : builder.onlyBKnowsEndpoint()).build()) {
            Daemon jwg = pair.a();
            Daemon go = pair.b();
            // The first packet comes from the only side that knows where the other is.
            if (jwgInitiates) {
                pair.pingOk(pair.nsA(), Pair.INNER_B4);
            } else {
                pair.pingOk(pair.nsB(), Pair.INNER_A4);
            }
            assertTrue(jwg.latestHandshake(pair.keysB().publicKey()) > 0, pair::describe);
            assertTrue(go.latestHandshake(pair.keysA().publicKey()) > 0, pair::describe);
            // The responder learnt the initiator's endpoint from the handshake, in the family used.
            String learnt = jwgInitiates ? go.endpoint(pair.keysA().publicKey()) : jwg.endpoint(pair.keysB().publicKey());
            String expected = Pair.endpoint(outer == Pair.Family.V4
                    ? (jwgInitiates ? Pair.OUTER_A4 : Pair.OUTER_B4)
                    : (jwgInitiates ? Pair.OUTER_A6 : Pair.OUTER_B6), Pair.PORT);
            assertEquals(expected, learnt, pair::describe);

            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsA(), Pair.INNER_B6);
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            pair.pingOk(pair.nsB(), Pair.INNER_A6);
        }
    }

    @Test
    void shouldCarryJumboPacketsWhenBothTunnelsHaveMtu9000() {
        try (Pair pair = Pair.builder().a(Daemons.jwgFactory()).b(Daemons.wireguardGoFactory()).build()) {
            pair.nsA().execOk("ip", "link", "set", pair.a().ifname(), "mtu", "9000");
            pair.nsB().execOk("ip", "link", "set", pair.b().ifname(), "mtu", "9000");

            // Unfragmented inner packets of 8028 B (v4) and 8048 B (v6): the outer UDP is fragmented.
            pair.pingOk(pair.nsA(), Pair.INNER_B4, "-s", "8000", "-M", "do");
            pair.pingOk(pair.nsB(), Pair.INNER_A4, "-s", "8000", "-M", "do");
            pair.pingOk(pair.nsA(), Pair.INNER_B6, "-s", "8000", "-M", "do");
            pair.pingOk(pair.nsB(), Pair.INNER_A6, "-s", "8000", "-M", "do");
            assertTransfer(Iperf.run(pair.nsB(), Pair.INNER_B4, pair.nsA(), Duration.ofSeconds(60), "-n", "32M"), 32L << 20, pair);
            assertTransfer(Iperf.run(pair.nsB(), Pair.INNER_B4, pair.nsA(), Duration.ofSeconds(60), "-n", "32M", "-R"), 32L << 20, pair);
        }
    }

    /**
     * wireguard-go changes its port, then its address; after its next authenticated packet jwg
     * shows (and uses) the new endpoint. That a cookie reply must not move it is
     * {@link DaemonCookieTest}.
     */
    @Test
    void shouldFollowPeerThatRoamsToNewPortAndAddress() {
        try (Pair pair = Pair.builder().a(Daemons.jwgFactory()).b(Daemons.wireguardGoFactory()).build()) {
            Daemon jwg = pair.a();
            String goKey = pair.keysB().publicKey();
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            assertEquals(Pair.endpoint(Pair.OUTER_B4, Pair.PORT), jwg.endpoint(goKey), pair::describe);

            // Re-setting the endpoint drops wireguard-go's cached source (its sticky socket would
            // otherwise keep the old binding and fail with ENETUNREACH after the rebind).
            pair.b().wgOk("set", pair.b().ifname(), "listen-port", "51999",
                    "peer", pair.keysA().publicKey(), "endpoint", Pair.endpoint(Pair.OUTER_A4, Pair.PORT));
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            Await.assertWithin(ROAM_WAIT, () -> jwg.endpoint(goKey).equals(Pair.OUTER_B4 + ":51999"),
                    () -> "endpoint did not follow the new port: " + jwg.endpoint(goKey) + "\n" + pair.describe());

            // Move wireguard-go's host to .3: keep the subnet route by promoting the new address.
            String vethB = pair.veth().there();
            sysctl(pair.nsB(), "net/ipv4/conf/" + vethB + "/promote_secondaries", "1");
            pair.nsB().execOk("ip", "addr", "add", "10.250.0.3/24", "dev", vethB);
            pair.nsB().execOk("ip", "addr", "del", Pair.OUTER_B4 + "/24", "dev", vethB);
            pair.b().wgOk("set", pair.b().ifname(), "peer", pair.keysA().publicKey(),
                    "endpoint", Pair.endpoint(Pair.OUTER_A4, Pair.PORT));
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            Await.assertWithin(ROAM_WAIT, () -> jwg.endpoint(goKey).equals("10.250.0.3:51999"),
                    () -> "endpoint did not follow the new address: " + jwg.endpoint(goKey) + "\n" + pair.describe());
            // And jwg sends there: its own traffic reaches the moved peer.
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsA(), Pair.INNER_B6);
        }
    }

    /**
     * Crypto-routing on receive: wireguard-go sends, through the tunnel, packets whose inner
     * source is an extra address of its TUN that jwg does not allow for it. jwg must decrypt and
     * drop them: nothing reaches jwg's TUN (its kernel RX counter stays put) and ping gets no reply.
     */
    @Test
    void shouldDropPacketsWhoseInnerSourceIsNotInThePeersAllowedIps() {
        try (Pair pair = Pair.builder().a(Daemons.wireguardGoFactory()).b(Daemons.jwgFactory()).build()) {
            Daemon go = pair.a();
            Daemon jwg = pair.b();
            // Secondary (v4) and deprecated (v6) addresses: never picked as a default source.
            pair.nsA().execOk("ip", "addr", "add", "10.251.0.9/24", "dev", go.ifname());
            pair.nsA().execOk("ip", "-6", "addr", "add", "fd00:251::9/64", "dev", go.ifname(), "nodad", "preferred_lft", "0");
            pair.pingOk(pair.nsA(), Pair.INNER_B4, "-I", Pair.INNER_A4); // handshake done, allowed source works
            pair.pingOk(pair.nsA(), Pair.INNER_B6, "-I", Pair.INNER_A6);

            for (String[] probe : new String[][] {{"10.251.0.9", Pair.INNER_B4}, {"fd00:251::9", Pair.INNER_B6}}) {
                long tunRxBefore = tunRxPackets(pair.nsB(), jwg.ifname());
                long goTxBefore = go.txBytes(pair.keysB().publicKey());

                ExecResult spoofed = Pair.ping(pair.nsA(), probe[1], 3, "-I", probe[0]);

                assertFalse(spoofed.ok(), () -> "reply to a disallowed source " + probe[0] + ": " + spoofed.describe()
                        + "\n" + pair.describe());
                assertTrue(go.txBytes(pair.keysB().publicKey()) > goTxBefore,
                        () -> "wireguard-go never sent the packets from " + probe[0] + "\n" + pair.describe());
                assertEquals(tunRxBefore, tunRxPackets(pair.nsB(), jwg.ifname()),
                        () -> "a packet from " + probe[0] + " reached jwg's TUN\n" + pair.describe());
            }
            pair.pingOk(pair.nsA(), Pair.INNER_B4, "-I", Pair.INNER_A4); // still fine for the allowed source
            pair.pingOk(pair.nsA(), Pair.INNER_B6, "-I", Pair.INNER_A6);
        }
    }

    /**
     * jwg behind a MASQUERADE router whose UDP conntrack entries expire after 2 s. With
     * persistent-keepalive 1 the mapping survives 3 s of silence and wireguard-go, which cannot
     * route to jwg's real address, still reaches it. Then, as a control that the short timeout
     * really applies, keepalive off: after the same silence wireguard-go can no longer reach it.
     */
    @Test
    void shouldKeepNatMappingOpenWithPersistentKeepalive() throws InterruptedException {
        WgKeyPair natKeys = WgKeyPair.generate();
        WgKeyPair farKeys = WgKeyPair.generate();
        try (Netns natted = Netns.create(); Netns router = Netns.create(); Netns far = Netns.create()) {
            natted.veth(router, "10.252.1.2/24", "10.252.1.1/24");
            Netns.Veth outside = router.veth(far, "10.252.2.1/24", "10.252.2.2/24");
            natted.execOk("ip", "route", "add", "default", "via", "10.252.1.1");
            sysctl(router, "net/ipv4/ip_forward", "1");
            router.execOk("iptables", "-t", "nat", "-A", "POSTROUTING", "-o", outside.here(), "-j", "MASQUERADE");
            // Loaded by the MASQUERADE rule above; per namespace since Linux 4.x, so the host keeps its own.
            sysctl(router, "net/netfilter/nf_conntrack_udp_timeout", "2");
            sysctl(router, "net/netfilter/nf_conntrack_udp_timeout_stream", "2");

            try (Daemon jwg = Daemons.jwg(natted); Daemon go = Daemons.wireguardGo(far)) {
                // Far side first: the keepalive makes jwg send its initiation at once, which
                // would be lost (and retried only after 5 s) if the far side did not know it yet.
                Pair.configure(go, farKeys, Pair.PORT, natKeys, null, "10.253.0.1/32", 0);
                Pair.configure(jwg, natKeys, Pair.PORT, farKeys, "10.252.2.2:" + Pair.PORT, "10.253.0.2/32", 1);
                jwg.up("10.253.0.1/24");
                go.up("10.253.0.2/24");
                assertPing(natted, "10.253.0.2", jwg, go);
                assertTrue(go.endpoint(natKeys.publicKey()).startsWith("10.252.2.1:"),
                        () -> "far side should see the router's address\n" + go.describe());

                Thread.sleep(3_500); // the silence under test: longer than the conntrack timeout
                assertPing(far, "10.253.0.1", jwg, go);

                jwg.wgOk("set", jwg.ifname(), "peer", farKeys.publicKey(), "persistent-keepalive", "off");
                Thread.sleep(3_500);
                ExecResult stale = Pair.ping(far, "10.253.0.1", 2);
                assertFalse(stale.ok(), () -> "control failed: far side reached the NATed side without keepalive, "
                        + "so the conntrack timeout did not apply and this test proves nothing\n" + stale.describe());
            }
        }
    }

    /**
     * The daemon starts in namespace {@code start}, where its UDP socket stays; its TUN is then
     * moved into {@code moved} and configured there. Traffic flows between {@code moved} and the
     * far side, and the daemon noticed the link coming up in its new namespace.
     */
    @Test
    void shouldKeepWorkingWhenTunIsMovedToAnotherNamespace() {
        WgKeyPair keys = WgKeyPair.generate();
        WgKeyPair farKeys = WgKeyPair.generate();
        try (Netns start = Netns.create(); Netns moved = Netns.create(); Netns far = Netns.create()) {
            start.veth(far, "10.254.0.1/24", "10.254.0.2/24");
            try (Daemon jwg = Daemons.jwg(start); Daemon go = Daemons.wireguardGo(far)) {
                Pair.configure(jwg, keys, Pair.PORT, farKeys, "10.254.0.2:" + Pair.PORT, "10.255.0.2/32", 0);
                Pair.configure(go, farKeys, Pair.PORT, keys, "10.254.0.1:" + Pair.PORT, "10.255.0.1/32", 0);
                go.up("10.255.0.2/24");

                start.execOk("ip", "link", "set", jwg.ifname(), "netns", moved.name());
                moved.execOk("ip", "addr", "add", "10.255.0.1/24", "dev", jwg.ifname());
                moved.execOk("ip", "link", "set", jwg.ifname(), "up");

                assertPing(moved, "10.255.0.2", jwg, go);
                assertPing(far, "10.255.0.1", jwg, go);
                assertTrue(jwg.isAlive(), jwg::describe);
            }
        }
    }

    @Test
    void shouldRunTwoInterfacesInOneNamespace() {
        WgKeyPair[] jwgKeys = {WgKeyPair.generate(), WgKeyPair.generate()};
        WgKeyPair[] goKeys = {WgKeyPair.generate(), WgKeyPair.generate()};
        try (Netns a = Netns.create(); Netns b = Netns.create()) {
            a.veth(b, Pair.OUTER_A4 + "/24", Pair.OUTER_B4 + "/24");
            try (Daemon jwg1 = Daemons.jwg(a); Daemon jwg2 = Daemons.jwg(a);
                    Daemon go1 = Daemons.wireguardGo(b); Daemon go2 = Daemons.wireguardGo(b)) {
                Daemon[] jwgs = {jwg1, jwg2};
                Daemon[] gos = {go1, go2};
                for (int i = 0; i < 2; i++) {
                    int port = Pair.PORT + i;
                    String net = "10.251." + (i + 1) + ".";
                    Pair.configure(jwgs[i], jwgKeys[i], port, goKeys[i], Pair.OUTER_B4 + ":" + port, net + "2/32", 0);
                    Pair.configure(gos[i], goKeys[i], port, jwgKeys[i], Pair.OUTER_A4 + ":" + port, net + "1/32", 0);
                    jwgs[i].up(net + "1/24");
                    gos[i].up(net + "2/24");
                }
                for (int i = 0; i < 2; i++) {
                    assertPing(a, "10.251." + (i + 1) + ".2", jwgs[i], gos[i]);
                    assertPing(b, "10.251." + (i + 1) + ".1", jwgs[i], gos[i]);
                    assertEquals(Pair.PORT + i, jwgs[i].listenPort());
                }
                String interfaces = jwg1.wgOk("show", "interfaces").stdout();
                assertTrue(interfaces.contains(jwg1.ifname()) && interfaces.contains(jwg2.ifname()), interfaces);
            }
        }
    }

    static void assertPing(Netns from, String target, Daemon... daemons) {
        ExecResult result = Pair.ping(from, target, 2);
        if (!result.ok()) {
            StringBuilder message = new StringBuilder(result.describe());
            for (Daemon daemon : daemons) {
                message.append('\n').append(daemon.describe());
            }
            throw new AssertionError(message.toString());
        }
    }

    /** iperf3 exited 0 (TCP delivered everything it sent), sent at least {@code bytes} and the receiver counted data. */
    static void assertTransfer(Iperf.Result result, long bytes, Pair pair) {
        assertTrue(result.bytesSent() >= bytes && result.bytesReceived() > 0,
                () -> "sent " + result.bytesSent() + ", received " + result.bytesReceived() + "\n" + pair.describe());
    }

    /** Sets a sysctl of {@code ns} through /proc/sys (no procps needed); {@code key} is the path below it. */
    static void sysctl(Netns ns, String key, String value) {
        ns.execOk("sh", "-c", "echo " + value + " > /proc/sys/" + key);
    }

    static long tunRxPackets(Netns ns, String ifname) {
        // `ip netns exec` mounts the namespace's own /sys; a packet a daemon writes to its TUN is RX there.
        return Long.parseLong(ns.execOk("cat", "/sys/class/net/" + ifname + "/statistics/rx_packets").stdout().strip());
    }
}
