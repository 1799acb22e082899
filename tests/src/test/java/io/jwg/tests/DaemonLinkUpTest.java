package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Background;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Pair;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The UDP port around the moment the interface goes up, with wireguard-go (side a) as the peer.
 *
 * <p>The kernel module binds inside {@code ip link set up}; a userspace daemon learns of the link
 * afterwards, and an initiation arriving in between used to be refused (ICMP port unreachable),
 * costing the initiator its 5 s REKEY_TIMEOUT: about once in 12–40 starts of two daemons at once.
 * jwg now holds a configured port while down without reading it, so that such an initiation
 * waits in the kernel's queue. What arrived while the link was really down must still go
 * unanswered, as with the kernel module and wireguard-go: a peer retrying every 5 s has an
 * initiation queued, and answering it would cross with the one we send on coming up, and both
 * handshakes fail. The moment itself is a race this test cannot stage; its cost is measured in
 * the issue note. The tests hold with {@code -Djwg.test.impl=wireguard-go} as well.
 */
class DaemonLinkUpTest {
    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("python3", "ping");
    }

    @Test
    void shouldNotAnswerAnInitiationSentWhileTheLinkWasDown() throws InterruptedException {
        try (Pair pair = Pair.builder().a(Daemons.wireguardGoFactory()).b(Daemons.jwgFactory()).keepalive(5).bDown().build()) {
            Daemon go = pair.a();
            Daemon jwg = pair.b();
            // wireguard-go's keepalive makes it initiate at once, to a port held but not read.
            Await.assertWithin(Duration.ofSeconds(10), () -> go.txBytes(pair.keysB().publicKey()) > 0,
                    () -> "wireguard-go sent no initiation\n" + pair.describe());
            Thread.sleep(300); // well before the link goes up: another process, no clock to wait on
            jwg.up(Pair.INNER_B4 + "/24");
            // jwg's own keepalive initiates now. Had it answered the queued initiation as well,
            // the two handshakes would cross and nothing would complete before wireguard-go's retry.
            Await.assertWithin(Duration.ofSeconds(3), () -> jwg.latestHandshake(pair.keysA().publicKey()) > 0,
                    () -> "no handshake within 3 s of the link going up\n" + pair.describe());
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
        }
    }

    @Test
    void shouldRefuseATakenPortWhileDownAndBindTheFreedOneWhenUp() {
        try (Pair pair = Pair.builder().a(Daemons.wireguardGoFactory()).b(Daemons.jwgFactory()).bDown().build()) {
            Daemon jwg = pair.b();
            // As wireguard-go, which binds whatever the link state: the error comes at once, not at up.
            try (Background holder = Background.start(pair.nsB(), "python3", "-c",
                    "import socket,time\ns=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
                            + "s.bind(('::',51823))\nprint('bound',flush=True)\ntime.sleep(60)")) {
                Await.assertWithin(Duration.ofSeconds(10), () -> holder.stdout().contains("bound"), () -> "holder not bound");
                ExecResult taken = jwg.wg("set", jwg.ifname(), "listen-port", "51823");
                assertFalse(taken.ok(), taken::describe);
                assertTrue(taken.stderr().contains("Address in use") || taken.stderr().contains("Address already in use"),
                        taken::describe);
            }
            jwg.wgOk("set", jwg.ifname(), "listen-port", "51823");
            assertEquals(51823, jwg.listenPort(), jwg::describe);
            jwg.up(Pair.INNER_B4 + "/24");
            assertEquals(51823, jwg.listenPort(), jwg::describe);
            // wireguard-go still has b's old port as its endpoint; b's initiation makes it roam.
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            assertEquals(Pair.endpoint(Pair.OUTER_B4, 51823), pair.a().endpoint(pair.keysB().publicKey()), pair::describe);
        }
    }
}
