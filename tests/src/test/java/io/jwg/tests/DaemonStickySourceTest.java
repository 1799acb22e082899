package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Pair;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Sticky source address (wireguard-go {@code conn/sticky_linux.go}): on a host with several
 * addresses, jwg answers from the address the peer reached it on, not from whatever the routing
 * table would pick. The witness is wireguard-go itself: it roams to the source of every
 * authenticated packet, so its endpoint for jwg would move to jwg's primary address if jwg
 * replied from there. When that address is removed, jwg sends from the routing table's choice
 * again (the peer then roams to it).
 */
class DaemonStickySourceTest {
    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "wireguard-go", "ping");
        Environment.requireWireGuardGoInterop();
    }

    @ParameterizedTest(name = "reached at {0}")
    @CsvSource({"10.250.0.11, 24", "fd00:250::11, 64"})
    void shouldReplyFromTheAddressThePeerReachedUsOn(String secondary, int prefixLength) {
        try (Pair pair = Pair.builder().a(Daemons.jwgFactory()).b(Daemons.wireguardGoFactory())
                .outer(secondary.contains(":") ? Pair.Family.V6 : Pair.Family.V4).onlyBKnowsEndpoint().build()) {
            // A second address on jwg's side; the primary one stays what routing prefers.
            if (secondary.contains(":")) {
                pair.nsA().execOk("ip", "-6", "addr", "add", secondary + "/" + prefixLength, "dev", pair.veth().here(), "nodad");
            } else {
                pair.nsA().execOk("ip", "addr", "add", secondary + "/" + prefixLength, "dev", pair.veth().here());
            }
            String jwgKey = pair.keysA().publicKey();
            String sticky = Pair.endpoint(secondary, Pair.PORT);
            pair.b().wgOk("set", pair.b().ifname(), "peer", jwgKey, "endpoint", sticky);

            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsB(), Pair.INNER_A6);

            assertEquals(sticky, pair.b().endpoint(jwgKey),
                    "wireguard-go roamed away from the address it used: jwg replied from another one\n" + pair.describe());

            // The sticky address disappears: jwg must fall back to what routing picks, not go silent.
            pair.nsA().execOk("ip", "addr", "del", secondary + "/" + prefixLength, "dev", pair.veth().here());
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
        }
    }
}
