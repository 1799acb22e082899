package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.WgKeyPair;
import io.jwg.tests.support.WireGuardGo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proves the interop test support end to end without any jwg code: two namespaces joined by a
 * veth pair, Debian's wireguard-go in each, configured by the real {@code wg}, and a ping through
 * the tunnel. When this fails, the jwg interop tests built on the same support cannot be trusted.
 */
class WireGuardGoSupportTest {
    private static final int PORT = 51820;

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldPingThroughTwoWireGuardGoPeersConfiguredByWg() {
        WgKeyPair keysA = WgKeyPair.generate();
        WgKeyPair keysB = WgKeyPair.generate();
        try (Netns nsA = Netns.create(); Netns nsB = Netns.create()) {
            nsA.veth(nsB, "10.213.0.1/30", "10.213.0.2/30");
            try (WireGuardGo wgA = WireGuardGo.start(nsA); WireGuardGo wgB = WireGuardGo.start(nsB)) {
                configure(wgA, keysA, keysB, "10.213.0.2", "10.214.0.2/32");
                configure(wgB, keysB, keysA, "10.213.0.1", "10.214.0.1/32");
                wgA.up("10.214.0.1/24");
                wgB.up("10.214.0.2/24");

                ExecResult ping = nsA.exec("ping", "-c", "3", "-W", "2", "10.214.0.2");
                assertTrue(ping.ok(), () -> ping.describe() + "\n--- A log\n" + wgA.log() + "\n--- B log\n" + wgB.log());
                assertTrue(wgA.latestHandshake(keysB.publicKey()) > 0, () -> "no handshake on A\n" + wgA.wg("show").describe());
                assertTrue(wgB.latestHandshake(keysA.publicKey()) > 0, () -> "no handshake on B\n" + wgB.wg("show").describe());
            }
        }
    }

    private static void configure(WireGuardGo device, WgKeyPair own, WgKeyPair peer, String peerHost, String peerTunnelIp) {
        device.setPrivateKey(own.privateKey());
        device.wgOk("set", device.ifname(), "listen-port", Integer.toString(PORT),
                "peer", peer.publicKey(), "endpoint", peerHost + ":" + PORT, "allowed-ips", peerTunnelIp);
    }
}
