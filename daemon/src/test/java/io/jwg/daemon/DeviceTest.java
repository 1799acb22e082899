package io.jwg.daemon;

import static io.jwg.daemon.DevicePair.INNER_A;
import static io.jwg.daemon.DevicePair.INNER_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.tunnel.Tunnel;
import io.jwg.tun.InMemoryTun;
import io.jwg.tun.TunDevice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two complete devices in one JVM: in-memory TUNs, real UDP sockets on loopback, configured
 * through the same {@code UapiDevice} methods the UAPI uses. No root needed.
 */
@ExtendWith(LeakCheck.class)
class DeviceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int WINDOW = 64;

    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private final Log log = new Log(Log.Level.VERBOSE, "test", new PrintStream(logs, true));
    private DevicePair pair;
    private InMemoryTun tunA;
    private InMemoryTun tunB;
    private Device a;
    private Device b;

    @BeforeEach
    void setUp() throws Exception {
        pair = new DevicePair(log, "tuna", "tunb");
        tunA = pair.tunA;
        tunB = pair.tunB;
        a = pair.a;
        b = pair.b;
    }

    @AfterEach
    void tearDown() {
        pair.close();
    }

    @Test
    void shouldCarryPacketsBothWaysAfterAHandshake() throws Exception {
        byte[] request = Packets.udp4(INNER_A, INNER_B, 1000, 2000, "hello through the tunnel".getBytes());
        assertTrue(tunA.inject(request));
        assertArrayEquals(request, bytes(tunB.take(TIMEOUT)), logs::toString);

        byte[] reply = Packets.udp4(INNER_B, INNER_A, 2000, 1000, "and back".getBytes());
        assertTrue(tunB.inject(reply));
        assertArrayEquals(reply, bytes(tunA.take(TIMEOUT)), logs::toString);

        Tunnel toB = a.engine().peers().getFirst();
        assertTrue(toB.txBytes() > 0 && toB.rxBytes() > 0);
        assertNotEquals(0, toB.lastHandshakeEpochNanos());
    }

    /**
     * What the kernel answers at once to a packet jwg writes to the TUN (an echo reply, a TCP
     * acknowledgement) is sent by the UDP event loop that wrote it, at the end of its batch,
     * rather than by waking the TUN reader's thread ({@link TunReader#helpRead}). The two race
     * for the turn (the reader's thread is woken by the same packet), so this counts the
     * replies taken by the event loop over 20 exchanges: with the help turned off it is none.
     */
    @Test
    void shouldSendTheKernelsImmediateAnswerFromTheUdpEventLoop() throws Exception {
        byte[] answer = Packets.udp4(INNER_B, INNER_A, 2000, 1000, "answered at once".getBytes());
        tunB.answerWrites(packet -> answer.clone());
        int byEventLoop = 0;
        for (int i = 0; i < 20; i++) {
            assertTrue(tunA.inject(Packets.udp4(INNER_A, INNER_B, 1000, 2000, ("question " + i).getBytes())));
            assertArrayEquals(answer, bytes(tunA.take(TIMEOUT)), logs::toString);
            String reader = tunB.lastReader();
            assertTrue(reader.startsWith("jwg-udp") || reader.startsWith("jwg-tun-reader"), reader);
            if (reader.startsWith("jwg-udp")) {
                byEventLoop++;
            }
        }
        System.err.println("DeviceTest: " + byEventLoop + " of 20 answers sent by the UDP event loop");
        assertTrue(byEventLoop > 0, "every answer waited for the TUN reader's thread");
    }

    /**
     * 2,000 packets through both devices: each arrives at most once, nearly all of them, and
     * nearly in order.
     * Strict order cannot be asserted end to end here: loopback UDP is reordered by the kernel
     * when consecutive datagrams are sent from different CPUs (each CPU's backlog is processed
     * separately). Instrumented runs showed exactly that: jwg sent every datagram in counter
     * order, yet the session's first packet, sent by the handshake thread, reached the other
     * socket after up to 600 later ones (6 of 60 runs). Order inside jwg is checked where jwg
     * controls it: {@link PeerQueueTest} (200,000 packets on 4 threads, in order exactly once).
     */
    @Test
    void shouldCarryManyPacketsExactlyOnceAndNearlyInOrder() throws Exception {
        int count = 2_000;
        AtomicInteger arrivedUpTo = new AtomicInteger();
        try (var executor = Executors.newSingleThreadExecutor()) {
            Future<?> sender = executor.submit(() -> {
                for (int i = 0; i < count; i++) {
                    awaitWindow(i, arrivedUpTo);
                    byte[] packet = Packets.udp4(INNER_A, INNER_B, 1000, 2000, ByteBuffer.allocate(4).putInt(i).array());
                    while (!tunA.inject(packet)) {
                        Thread.onSpinWait();
                    }
                }
                return null;
            });
            BitSet seen = new BitSet(count);
            int highest = -1;
            int late = 0;
            int received = 0;
            // Until the last packet, or a lull once all are sent: loopback may drop a few as well.
            while (!seen.get(count - 1)) {
                ByteBuffer packet = tunB.take(sender.isDone() ? Duration.ofSeconds(1) : TIMEOUT);
                if (packet == null && sender.isDone() && received > 0) {
                    break;
                }
                assertNotNull(packet, () -> "nothing arrived\n" + logs);
                int seq = packet.getInt(packet.limit() - 4);
                assertTrue(!seen.get(seq), "packet " + seq + " delivered twice");
                seen.set(seq);
                received++;
                if (seq < highest) {
                    late++;
                }
                highest = Math.max(highest, seq);
                arrivedUpTo.set(highest + 1);
            }
            sender.get(10, TimeUnit.SECONDS);
            // Before the handshake only the last 128 packets are kept (staged), as in wireguard-go.
            assertTrue(received >= 128, "only " + received + " of " + count + " arrived");
            assertTrue(seen.nextSetBit(count - 200) >= 0, "none of the last 200 packets arrived");
            assertTrue(late <= count / 100, late + " packets arrived after later ones");
        }
    }

    /**
     * Paces the flood of {@link #shouldCarryManyPacketsExactlyOnceAndNearlyInOrder} like a
     * responsive sender: at most {@code WINDOW} packets past the highest that arrived, waiting
     * 20 ms at most (the next may have been dropped). Unpaced, the flood is an unresponsive flow,
     * against which the peer queue's CoDel keeps dropping for as long as the wait stays over its
     * target (by design): on a cold JVM in CI that was the whole flood, last 200 packets included.
     */
    private static void awaitWindow(int sent, AtomicInteger arrivedUpTo) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        while (sent - arrivedUpTo.get() >= WINDOW && System.nanoTime() < deadline) {
            LockSupport.parkNanos(20_000);
        }
    }

    @Test
    void shouldBindOnlyWhileTheLinkIsUp() throws Exception {
        int port = a.listenPort();
        tunA.setLinkState(TunDevice.LinkState.DOWN);
        awaitTrue(() -> !a.engine().isUp(), "engine down after link down");
        tunA.setLinkState(TunDevice.LinkState.UP);
        awaitTrue(() -> a.engine().isUp(), "engine up after link up");
        assertEquals(port, a.listenPort(), "the configured port is bound again");
    }

    @Test
    void shouldRebindLiveAndLetThePeerFollow() throws Exception {
        byte[] first = Packets.udp4(INNER_A, INNER_B, 1, 2, "first".getBytes());
        tunA.inject(first);
        assertNotNull(tunB.take(TIMEOUT), logs::toString);
        int before = a.listenPort();
        a.setListenPort(0);
        assertNotEquals(before, a.listenPort());
        byte[] second = Packets.udp4(INNER_A, INNER_B, 1, 2, "second".getBytes());
        tunA.inject(second);
        assertArrayEquals(second, bytes(tunB.take(TIMEOUT)), logs::toString);
        Tunnel toA = b.engine().peers().getFirst();
        assertEquals(a.listenPort(), toA.endpoint().getPort(), "roamed to the new port");
    }

    @Test
    void shouldStopWhenTheTunIsDeleted() throws Exception {
        tunA.setLinkState(TunDevice.LinkState.GONE);
        try (var executor = Executors.newSingleThreadExecutor()) {
            assertTrue(executor.submit(a::awaitStop).get(2, TimeUnit.SECONDS).contains("gone"));
        }
    }

    @Test
    void shouldFollowTheTunMtu() throws Exception {
        tunA.setMtu(9000);
        awaitTrue(() -> a.engine().mtu() == 9000, "engine MTU follows the TUN");
    }

    private static byte[] bytes(ByteBuffer buffer) {
        assertNotNull(buffer, "no packet arrived");
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "timed out waiting for: " + what + "\n" + logs);
            Thread.sleep(10); // other threads drive the state; nothing to inject a clock into
        }
    }
}
