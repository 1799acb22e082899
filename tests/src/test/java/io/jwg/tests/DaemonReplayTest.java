package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jwg.core.message.MessageType;
import io.jwg.core.message.Transport;
import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.UdpProxy;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replays and forgeries of wireguard-go's own datagrams do not count as traffic in jwg: a UDP
 * relay in wireguard-go's namespace carries its datagrams to jwg and records them; the test then
 * has the relay re-send a captured transport datagram and an initiation, as they were and
 * damaged in every field, from the relay's address (the endpoint jwg knows) and from another
 * port. jwg's {@code rx_bytes} ({@code wg show dump}) must grow by exactly the genuine
 * datagrams' bytes, its endpoint must stay, and the tunnel must keep working.
 *
 * <pre>
 *   netns a                                                      netns b
 *   wireguard-go :51820 ─→ relay 10.250.0.1:51821 ── veth ──→ jwg 10.250.0.2:51820
 *                          (python3; records, re-sends; second socket for "elsewhere")
 * </pre>
 */
class DaemonReplayTest {
    private static final int RELAY_PORT = Pair.PORT + 1;
    private static final Duration SETTLE = Duration.ofSeconds(10);

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "wireguard-go", "ping", "python3");
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldNotCountReplayedOrForgedDatagramsFromWireGuardGo() {
        try (Pair pair = Pair.builder().a(Daemons.wireguardGoFactory()).onlyAKnowsEndpoint().build();
                UdpProxy relay = UdpProxy.start(pair.nsA(), Pair.OUTER_A4, RELAY_PORT, Pair.OUTER_B4, Pair.PORT)) {
            Daemon wireguardGo = pair.a();
            Daemon jwg = pair.b();
            String peer = pair.keysA().publicKey();
            String viaRelay = Pair.endpoint(Pair.OUTER_A4, RELAY_PORT);
            wireguardGo.wgOk("set", wireguardGo.ifname(), "peer", pair.keysB().publicKey(), "endpoint", viaRelay);
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            assertEquals(viaRelay, jwg.endpoint(peer), pair::describe);

            // A quiet moment: everything the relay forwarded is counted by jwg.
            long[] mark = new long[2];
            Await.assertWithin(SETTLE, () -> quiet(jwg, peer, relay, mark), pair::describe);
            long rxBefore = mark[0];
            long forwardedBefore = mark[1];
            List<byte[]> captured = relay.fromClient();
            byte[] transport = captured.stream().filter(d -> isType(d, MessageType.TRANSPORT) && d.length > Transport.MIN_SIZE)
                    .reduce((first, second) -> second).orElseThrow(() -> new AssertionError("no data captured"));
            byte[] initiation = captured.stream().filter(d -> isType(d, MessageType.INITIATION)).findFirst()
                    .orElseThrow(() -> new AssertionError("no initiation captured"));

            for (byte[] forged : forgeries(transport, initiation)) {
                relay.sendAsClient(forged);
                relay.sendFromElsewhere(forged);
            }
            // Genuine traffic after the forgeries, on the same path: once jwg has counted it,
            // it has seen the forgeries before it.
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            Await.assertWithin(SETTLE, () -> jwg.rxBytes(peer) - rxBefore == forwarded(relay) - forwardedBefore,
                    () -> "jwg rx grew by " + (jwg.rxBytes(peer) - rxBefore) + ", genuine bytes "
                            + (forwarded(relay) - forwardedBefore) + "\n" + pair.describe());
            // The replayed initiation takes the handshake path; give it time to be (not) counted.
            pause(Duration.ofSeconds(1));
            long[] after = new long[2];
            Await.assertWithin(SETTLE, () -> quiet(jwg, peer, relay, after), pair::describe);
            assertEquals(after[1] - forwardedBefore, after[0] - rxBefore, () -> "forged bytes counted\n" + pair.describe());
            assertEquals(viaRelay, jwg.endpoint(peer), () -> "a forgery moved the endpoint\n" + pair.describe());
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
        }
    }

    /** The captured datagrams as they were, and with each field damaged, cut short or extended. */
    private static List<byte[]> forgeries(byte[] transport, byte[] initiation) {
        int last = transport.length - 1;
        return List.of(transport, flip(transport, 0), flip(transport, 2), flip(transport, 5), flip(transport, 9),
                flip(transport, 20), flip(transport, last), Arrays.copyOf(transport, Transport.MIN_SIZE - 1),
                Arrays.copyOf(transport, last), Arrays.copyOf(transport, transport.length + 16), initiation,
                flip(initiation, 60));
    }

    private static byte[] flip(byte[] datagram, int index) {
        byte[] copy = datagram.clone();
        copy[index] ^= 1;
        return copy;
    }

    private static boolean isType(byte[] datagram, MessageType type) {
        return MessageType.classify(ByteBuffer.wrap(datagram)) == type;
    }

    /** Bytes of every datagram wireguard-go sent through the relay. */
    private static long forwarded(UdpProxy relay) {
        return relay.fromClient().stream().mapToLong(d -> d.length).sum();
    }

    /** True when jwg's rx and the relay's count stayed put for a moment; stores them in {@code mark}. */
    private static boolean quiet(Daemon jwg, String peer, UdpProxy relay, long[] mark) {
        long rx = jwg.rxBytes(peer);
        long forwarded = forwarded(relay);
        pause(Duration.ofMillis(300));
        mark[0] = rx;
        mark[1] = forwarded;
        return rx == jwg.rxBytes(peer) && forwarded == forwarded(relay) && rx > 0;
    }

    /** Waits for other processes; nothing to inject a clock into. */
    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
