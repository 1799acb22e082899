package io.jwg.daemon;

import static io.jwg.daemon.DevicePair.INNER_A;
import static io.jwg.daemon.DevicePair.INNER_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.message.MessageType;
import io.jwg.core.message.Transport;
import io.jwg.core.noise.HandshakeState;
import io.jwg.core.noise.Keypair;
import io.jwg.core.tunnel.DropReason;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.tun.InMemoryTun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Replay and forgery against a running device: two in-process devices talk through a UDP proxy
 * on loopback that records what A sends; the test re-sends those datagrams, damaged in each
 * field or not, from the proxy (A's address as B sees it) and from another socket. Each must be
 * dropped under its reason (counted by B's engine), reach neither B's TUN nor move anything B
 * shows for the peer: endpoint, received bytes, last handshake, keypair, handshake state. Timers
 * are left out here because the devices run on the real clock; the engine-level
 * {@code ReplayAndForgeryTest} covers them.
 */
@ExtendWith(LeakCheck.class)
class DeviceForgeryTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private final Log log = new Log(Log.Level.VERBOSE, "test", new PrintStream(logs, true));
    private final List<byte[]> fromA = new CopyOnWriteArrayList<>();
    private DevicePair pair;
    private InMemoryTun tunA;
    private InMemoryTun tunB;
    private Device a;
    private Device b;
    private DatagramSocket proxy;
    private DatagramSocket attacker;
    private Thread forwarder;

    /** What B shows for its peer A, besides timers. */
    private record PeerView(InetSocketAddress endpoint, long rxBytes, long lastHandshake, Keypair keypair,
            long sendCounter, HandshakeState handshake) {
        static PeerView of(Tunnel t) {
            Keypair k = t.currentKeypair();
            return new PeerView(t.endpoint(), t.rxBytes(), t.lastHandshakeEpochNanos(), k,
                    k == null ? -1 : k.sendCounter(), t.handshake().state());
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        pair = new DevicePair(log, "tuna", "tunb");
        tunA = pair.tunA;
        tunB = pair.tunB;
        a = pair.a;
        b = pair.b;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        proxy = new DatagramSocket(new InetSocketAddress(loopback, 0));
        attacker = new DatagramSocket(new InetSocketAddress(loopback, 0));
        forwarder = Thread.ofPlatform().daemon().name("forgery-proxy").start(this::forward);
        // A reaches B only through the proxy, which records what A sends.
        pair.toB.setEndpoint(new InetSocketAddress(loopback, proxy.getLocalPort()));
        a.peerChanged(pair.toB);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        proxy.close();
        attacker.close();
        forwarder.join(TIMEOUT.toMillis());
        pair.close();
    }

    /** The proxy: A's datagrams (recorded) to B, B's to A. */
    private void forward() {
        byte[] buffer = new byte[65_536];
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try {
            while (true) {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                proxy.receive(packet);
                byte[] data = Arrays.copyOf(packet.getData(), packet.getLength());
                int to;
                if (packet.getPort() == a.listenPort()) {
                    fromA.add(data);
                    to = b.listenPort();
                } else {
                    to = a.listenPort();
                }
                proxy.send(new DatagramPacket(data, data.length, loopback, to));
            }
        } catch (SocketException closed) {
            // the test is over
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shouldDropReplayedAndForgedDatagramsWithoutChangingTheTunnel() throws Exception {
        exchange("first");
        int mark = fromA.size();
        exchange("captured");
        byte[] transport = fromA.subList(mark, fromA.size()).stream()
                .filter(d -> MessageType.classify(ByteBuffer.wrap(d)) == MessageType.TRANSPORT && d.length > Transport.MIN_SIZE)
                .findFirst().orElseThrow(() -> new AssertionError("no transport datagram captured\n" + logs));
        byte[] initiation = fromA.stream().filter(d -> MessageType.classify(ByteBuffer.wrap(d)) == MessageType.INITIATION)
                .findFirst().orElseThrow();
        Tunnel toA = b.engine().peers().getFirst();
        PeerView before = PeerView.of(toA);

        InetSocketAddress fromProxy = new InetSocketAddress(InetAddress.getLoopbackAddress(), b.listenPort());
        int last = transport.length - 1;
        for (DatagramSocket socket : List.of(proxy, attacker)) {
            String via = socket == proxy ? " from A's address" : " from elsewhere";
            inject(socket, fromProxy, transport, DropReason.REPLAYED_COUNTER, "replay" + via);
            inject(socket, fromProxy, flip(transport, 0), DropReason.INVALID_MESSAGE, "type flipped" + via);
            inject(socket, fromProxy, flip(transport, 2), DropReason.INVALID_MESSAGE, "reserved flipped" + via);
            inject(socket, fromProxy, flip(transport, 5), DropReason.UNKNOWN_INDEX, "receiver flipped" + via);
            inject(socket, fromProxy, flip(transport, 9), DropReason.DECRYPTION_FAILED, "counter flipped" + via);
            inject(socket, fromProxy, flip(transport, 20), DropReason.DECRYPTION_FAILED, "ciphertext flipped" + via);
            inject(socket, fromProxy, flip(transport, last), DropReason.DECRYPTION_FAILED, "tag flipped" + via);
            inject(socket, fromProxy, Arrays.copyOf(transport, Transport.MIN_SIZE - 1), DropReason.INVALID_MESSAGE, "cut below minimum" + via);
            inject(socket, fromProxy, Arrays.copyOf(transport, last), DropReason.DECRYPTION_FAILED, "cut by one" + via);
            inject(socket, fromProxy, Arrays.copyOf(transport, transport.length + 16), DropReason.DECRYPTION_FAILED, "extended" + via);
            inject(socket, fromProxy, initiation, DropReason.REPLAYED_TIMESTAMP, "old initiation" + via);
        }
        assertNull(tunB.take(Duration.ofMillis(200)), "a forged datagram reached B's TUN");
        assertEquals(before, PeerView.of(toA), "forged datagrams changed B's view of A");
        exchange("still works");
    }

    /** Sends {@code datagram} to B and waits until B's engine counted it under {@code reason}. */
    private void inject(DatagramSocket socket, InetSocketAddress to, byte[] datagram, DropReason reason, String what)
            throws Exception {
        Engine engine = b.engine();
        long before = engine.drops(reason);
        socket.send(new DatagramPacket(datagram, datagram.length, to));
        awaitTrue(() -> engine.drops(reason) == before + 1, what + ": " + reason + " not counted");
    }

    /** Sends a packet A -> B through the tunnel and returns what B's TUN got. */
    private byte[] exchange(String text) throws Exception {
        byte[] packet = Packets.udp4(INNER_A, INNER_B, 1000, 2000, text.getBytes());
        assertTrue(tunA.inject(packet));
        ByteBuffer received = tunB.take(TIMEOUT);
        assertNotNull(received, logs::toString);
        byte[] bytes = new byte[received.remaining()];
        received.duplicate().get(bytes);
        assertArrayEquals(packet, bytes);
        return bytes;
    }

    private static byte[] flip(byte[] datagram, int index) {
        byte[] copy = datagram.clone();
        copy[index] ^= 1;
        return copy;
    }

    private void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "timed out waiting for: " + what + "\n" + logs);
            Thread.sleep(5); // the devices' threads do the work; nothing to inject a clock into
        }
    }
}
