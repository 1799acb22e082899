package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Flooder;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.ProcStats;
import io.jwg.tests.support.WgKeyPair;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A peer that never answers must not make memory grow (issue #7). jwg's peer is a wireguard-go
 * behind a firewall that drops everything for 20 s, while traffic of every size is pushed into
 * the tunnel towards it as fast as one process can: jwg may only stage a bounded number of
 * packets (128, core's staged queue) and retry its handshake. Its peak RSS stays under the cap,
 * nothing but handshake initiations leaves for the peer, and when the firewall opens the
 * handshake completes and only the staged packets, at most 128, follow.
 *
 * <pre>
 *   netns j: jwg 10.211.0.1 ── veth 10.210.0.1 ──── veth 10.210.0.2 ── netns h: wireguard-go 10.211.0.2
 *            flood.py into the tunnel              iptables: DROP udp to 51820 (until opened)
 * </pre>
 */
class DaemonResourceTest {
    private static final Duration PUSH = Duration.ofSeconds(20);
    private static final long RSS_CAP_KB = 100 * 1024;
    private static final int STAGED_PACKETS = 128;
    private static final int INITIATION_SIZE = 148;
    /** The largest transport message the tunnel can carry: MTU 1420 plus 32 bytes of header and tag. */
    private static final int MAX_TRANSPORT = 1420 + 32;

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("python3", "iptables");
    }

    @Test
    void shouldStayBoundedWhileAPeerNeverAnswers() {
        WgKeyPair jwgKeys = WgKeyPair.generate();
        WgKeyPair holeKeys = WgKeyPair.generate();
        try (Netns j = Netns.create(); Netns h = Netns.create()) {
            j.veth(h, "10.210.0.1/24", "10.210.0.2/24");
            h.execOk("iptables", "-A", "INPUT", "-p", "udp", "--dport", Integer.toString(Pair.PORT), "-j", "DROP");
            try (Daemon jwg = Daemons.jwg(j); Daemon hole = Daemons.wireguardGo(h)) {
                Pair.configure(jwg, jwgKeys, Pair.PORT, holeKeys, "10.210.0.2:" + Pair.PORT, "10.211.0.2/32", 0);
                jwg.up("10.211.0.1/24");
                Pair.configure(hole, holeKeys, Pair.PORT, jwgKeys, null, "10.211.0.1/32", 0);
                hole.up("10.211.0.2/24");

                Flooder.Result pushed;
                try (Flooder.Run push = Flooder.garbage(j, "10.211.0.2", 9, PUSH, List.of("10.211.0.1"))) {
                    pushed = push.await();
                }
                ProcStats stats = ProcStats.of(jwg.pid());
                long sentWhileBlocked = jwg.txBytes(holeKeys.publicKey());
                String figures = "RESOURCES: pushed " + pushed + " into a tunnel whose peer never answers; jwg VmHWM "
                        + stats.hwmKb() + " KiB, sent to the peer " + sentWhileBlocked + " bytes";
                System.out.println(figures);
                String context = "\n" + figures + "\n" + jwg.describe() + "\n" + hole.describe();
                assertTrue(pushed.sent() > 10_000, context);
                assertTrue(jwg.isAlive(), context);
                assertTrue(stats.hwmKb() < RSS_CAP_KB, () -> "peak RSS over the cap" + context);
                // Only handshake initiations (one per REKEY_TIMEOUT, 5 s) can have left.
                assertTrue(sentWhileBlocked % INITIATION_SIZE == 0 && sentWhileBlocked <= 8L * INITIATION_SIZE,
                        () -> "more than handshake initiations left for a peer without a session" + context);

                h.execOk("iptables", "-D", "INPUT", "-p", "udp", "--dport", Integer.toString(Pair.PORT), "-j", "DROP");
                Await.assertWithin(Duration.ofSeconds(15), () -> hole.latestHandshake(jwgKeys.publicKey()) > 0,
                        () -> "no handshake once the peer could answer" + context);
                // What was staged follows the handshake: the newest packets, at most 128 of them.
                Await.assertWithin(Duration.ofSeconds(5), () -> hole.rxBytes(jwgKeys.publicKey()) > INITIATION_SIZE,
                        () -> "the staged packets never arrived" + context);
                long delivered = hole.rxBytes(jwgKeys.publicKey());
                System.out.println("RESOURCES: the peer received " + delivered + " bytes once it could answer");
                assertTrue(delivered <= 2L * INITIATION_SIZE + (STAGED_PACKETS + 2L) * MAX_TRANSPORT,
                        () -> delivered + " bytes followed the handshake: more than the staged queue holds" + context);
                assertTrue(Pair.ping(j, "10.211.0.2", 2).ok(), () -> "the tunnel does not work afterwards" + context);
            }
        }
    }
}
