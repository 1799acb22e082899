package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Pair;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * wireguard-go's file-descriptor contract: given {@code WG_TUN_FD} and {@code WG_UAPI_FD}, jwg
 * adopts a TUN and a listening UAPI socket someone else opened, instead of creating its own, and
 * still tunnels traffic to wireguard-go and removes the socket when told to stop.
 */
class DaemonInheritedFdsTest {
    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "wireguard-go", "ping", "python3");
        Environment.requireWireGuardGoInterop();
        Assumptions.assumeTrue(Daemons.jwgIsReal(), "adopting descriptors is exercised on jwg itself");
    }

    @Test
    void shouldAdoptTheTunAndUapiSocketItIsGiven() {
        try (Pair pair = Pair.builder().a(ns -> Jwg.startWithInheritedFds(ns, Daemon.uniqueIfname()))
                .b(Daemons.wireguardGoFactory()).build()) {
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsB(), Pair.INNER_A6);
            Daemon jwg = pair.a();
            assertTrue(jwg.latestHandshake(pair.keysB().publicKey()) > 0, pair::describe);

            jwg.process().destroy(); // SIGTERM
            assertTrue(jwg.awaitExit(Duration.ofSeconds(2)), pair::describe);
            assertFalse(Files.exists(jwg.socket()), "socket left behind: " + jwg.socket());
        }
    }
}
