package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Background;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Pair;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults around a running tunnel between jwg (side a) and wireguard-go (side b), from
 * {@link Pair} (issue #7): the UDP port changed, rebound in place and taken by another socket;
 * the TUN taken down and up while traffic flows; the wireguard-go peer frozen (SIGSTOP) for
 * longer than the keepalive and rekey timeouts. Each time the tunnel must carry traffic again
 * without anyone restarting anything.
 */
class DaemonFaultTest {
    private static final Duration RECOVERY = Duration.ofSeconds(15);

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("python3", "kill");
    }

    @Test
    void shouldKeepTheTunnelAcrossPortChangesForcedRebindsAndATakenPort() {
        try (Pair pair = Pair.builder().a(Daemons.jwgFactory()).b(Daemons.wireguardGoFactory()).build()) {
            Daemon jwg = pair.a();
            String ifname = jwg.ifname();
            pair.pingOk(pair.nsA(), Pair.INNER_B4);

            // A new port: jwg's next packet comes from it, and wireguard-go roams there.
            jwg.wgOk("set", ifname, "listen-port", "51821");
            assertEquals(51821, jwg.listenPort());
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            assertEquals(Pair.endpoint(Pair.OUTER_A4, 51821), pair.b().endpoint(pair.keysA().publicKey()), pair::describe);

            // The same port again: the socket is closed and bound anew underneath the tunnel.
            jwg.wgOk("set", ifname, "listen-port", "51821");
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            pair.pingOk(pair.nsA(), Pair.INNER_B4);

            // The port we want back is taken meanwhile: a clear failure, nothing half-done.
            jwg.wgOk("set", ifname, "listen-port", "51822");
            try (Background holder = Background.start(pair.nsA(), "python3", "-c",
                    "import socket,time\ns=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
                            + "s.bind(('::',51821))\nprint('bound',flush=True)\ntime.sleep(60)")) {
                Await.assertWithin(Duration.ofSeconds(10), () -> holder.stdout().contains("bound"), () -> "holder not bound");
                ExecResult taken = jwg.wg("set", ifname, "listen-port", "51821");
                assertFalse(taken.ok(), taken::describe);
                assertTrue(taken.stderr().contains("Address in use") || taken.stderr().contains("Address already in use"),
                        taken::describe);
                assertTrue(jwg.isAlive(), jwg::describe);
            }
            jwg.wgOk("set", ifname, "listen-port", "51821");
            assertEquals(51821, jwg.listenPort());
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
        }
    }

    @Test
    void shouldCarryTrafficAgainAfterTheTunWentDownAndUpMidStream() throws InterruptedException {
        try (Pair pair = Pair.builder().a(Daemons.jwgFactory()).b(Daemons.wireguardGoFactory()).build();
                Background ping = Background.start(pair.nsB(), "ping", "-i", "0.2", "-W", "1", "-c", "150", Pair.INNER_A4)) {
            Daemon jwg = pair.a();
            int port = jwg.listenPort();
            Thread.sleep(2000); // let the ping run through the tunnel first; another process, no clock
            pair.nsA().execOk("ip", "link", "set", jwg.ifname(), "down");
            Thread.sleep(2000);
            pair.nsA().execOk("ip", "link", "set", jwg.ifname(), "up");
            // The link's routes come back with it; the session was erased and must be renewed.
            int repliesAtUp = replies(ping);
            Await.assertWithin(RECOVERY, () -> replies(ping) > repliesAtUp,
                    () -> "no ping reply since the link came back up\n" + ping.stdout() + "\n" + pair.describe());
            assertEquals(port, jwg.listenPort(), "the same port is bound again");
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
        }
    }

    @Test
    void shouldRecoverWhenThePeerWasFrozenLongerThanTheKeepaliveAndRekeyTimeouts() throws InterruptedException {
        try (Pair pair = Pair.builder().a(Daemons.jwgFactory()).b(Daemons.wireguardGoFactory()).keepalive(5).build()) {
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            long pid = pair.b().pid();
            Exec.runOk("kill", "-STOP", Long.toString(pid));
            try (Background ping = Background.start(pair.nsA(), "ping", "-i", "0.5", "-W", "1", "-c", "200", Pair.INNER_B4)) {
                // 20 s > KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s): jwg's session goes stale, it retries handshakes.
                Thread.sleep(20_000); // another process frozen on purpose; no clock to inject
                assertEquals(0, replies(ping), () -> "replies from a frozen peer?\n" + ping.stdout());
                Exec.runOk("kill", "-CONT", Long.toString(pid));
                Await.assertWithin(RECOVERY, () -> replies(ping) > 0,
                        () -> "no reply since the peer was resumed\n" + ping.stdout() + "\n" + pair.describe());
            } finally {
                Exec.run("kill", "-CONT", Long.toString(pid));
            }
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
        }
    }

    /** Echo replies a running ping has printed so far. */
    private static int replies(Background ping) {
        return (int) ping.stdout().lines().filter(line -> line.contains("bytes from")).count();
    }
}
