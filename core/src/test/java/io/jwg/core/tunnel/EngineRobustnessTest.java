package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.cookie.CookieGenerator;
import io.jwg.core.crypto.X25519;
import io.jwg.core.message.CookieReply;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.HandshakeResponse;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.MessageType;
import io.jwg.core.message.Transport;
import io.jwg.core.noise.HandshakeState;
import io.jwg.core.routing.IpPrefix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Feeds {@link Engine#decapsulate} random and half-valid datagrams: right type words and exact
 * sizes, truncations, live receiver indices, valid MAC1s, genuine messages with flipped bytes.
 * Nothing may throw, every datagram must be dropped with a reason, the drop counters must
 * account for every datagram, and the session must still work afterwards.
 *
 * <p>Engine A has completed a handshake with engine B (so A holds a keypair index) and has a
 * second initiation in flight (so A holds a handshake index); garbage aimed at those indices
 * reaches the AEAD, response and cookie-reply code rather than stopping at the index lookup.
 */
class EngineRobustnessTest {
    private static final int DATAGRAMS = 100_000;
    private static final long SECOND = 1_000_000_000L;

    private long now = 1_000 * SECOND;
    private final SplittableRandom random = new SplittableRandom(0xdec0de);
    private Engine a;
    private Engine b;
    private Tunnel aToB;
    private Tunnel bToA;
    private InetSocketAddress addressA;
    private InetSocketAddress addressB;
    private final List<byte[]> genuine = new ArrayList<>();
    private int keypairIndex;
    private int handshakeIndex;
    private CookieGenerator macsForA;
    private final ByteBuffer out = ByteBuffer.allocate(65_536 + 64);
    private final Received received = new Received();

    private Engine engine() {
        return new Engine(() -> now, () -> 1_700_000_000L * SECOND + now, new SecureRandom());
    }

    private static byte[] ipv4Packet(int src, int dst, int length) {
        byte[] p = new byte[length];
        p[0] = 0x45;
        p[2] = (byte) (length >>> 8);
        p[3] = (byte) length;
        p[8] = 64;
        p[9] = 17;
        for (int i = 0; i < 4; i++) {
            p[12 + i] = (byte) (src >>> (24 - 8 * i));
            p[16 + i] = (byte) (dst >>> (24 - 8 * i));
        }
        return p;
    }

    private static byte[] copy(ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.get(buf.position(), b);
        return b;
    }

    @BeforeEach
    void setUp() throws UnknownHostException {
        addressA = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 1}), 51820);
        addressB = new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, 2}), 51821);
        SecureRandom keys = new SecureRandom();
        byte[] privateA = new byte[32];
        byte[] privateB = new byte[32];
        X25519.generatePrivateKey(keys, privateA);
        X25519.generatePrivateKey(keys, privateB);
        a = engine();
        b = engine();
        a.setPrivateKey(privateA);
        b.setPrivateKey(privateB);
        aToB = a.addPeer(b.publicKey());
        bToA = b.addPeer(a.publicKey());
        a.allowedIps().insert(IpPrefix.parse("10.0.0.2/32"), aToB);
        b.allowedIps().insert(IpPrefix.parse("10.0.0.1/32"), bToA);
        aToB.setEndpoint(addressB);
        macsForA = new CookieGenerator(a.publicKey());

        // A initiates, B responds, A confirms with the staged packet.
        ByteBuffer outB = ByteBuffer.allocate(2048);
        ByteBuffer packet = ByteBuffer.wrap(ipv4Packet(0x0a000001, 0x0a000002, 28));
        assertEquals(Verdict.DONE, a.encapsulate(packet, out, received));
        assertEquals(Verdict.WRITE_TO_NETWORK, aToB.poll(out));
        byte[] initiation = copy(out);
        assertEquals(Verdict.WRITE_TO_NETWORK, b.decapsulate(ByteBuffer.wrap(initiation), addressA, false, outB, received));
        byte[] response = copy(outB);
        assertEquals(Verdict.WRITE_TO_NETWORK, a.decapsulate(ByteBuffer.wrap(response), addressB, false, out, received));
        byte[] transport = copy(out);
        assertEquals(Verdict.WRITE_TO_TUNNEL, b.decapsulate(ByteBuffer.wrap(transport), addressA, false, outB, received));
        keypairIndex = aToB.currentKeypair().localIndex();

        // A second initiation from A stays in flight (never delivered).
        now += 6 * SECOND;
        aToB.requestHandshake();
        byte[] second = null;
        while (aToB.poll(out) == Verdict.WRITE_TO_NETWORK) {
            if (MessageType.classify(out) == MessageType.INITIATION) {
                second = copy(out);
            }
        }
        assertNotNull(second);
        assertEquals(HandshakeState.INITIATION_CREATED, aToB.handshake().state());
        handshakeIndex = aToB.handshake().localIndex();
        genuine.addAll(List.of(initiation, response, transport, second));
    }

    private int sizeOf(int type) {
        return switch (type) {
            case 1 -> HandshakeInitiation.SIZE;
            case 2 -> HandshakeResponse.SIZE;
            case 3 -> CookieReply.SIZE;
            default -> random.nextInt(8) == 0 ? random.nextInt(Transport.MIN_SIZE, 2000) : random.nextInt(Transport.MIN_SIZE, 200);
        };
    }

    private void aimAtLiveIndex(byte[] msg, int type) {
        int index = random.nextBoolean() ? keypairIndex : handshakeIndex;
        switch (type) {
            case 2 -> LittleEndian.putInt(msg, HandshakeResponse.RECEIVER_OFFSET, index);
            case 3 -> LittleEndian.putInt(msg, CookieReply.RECEIVER_OFFSET, index);
            case 4 -> LittleEndian.putInt(msg, Transport.RECEIVER_OFFSET, index);
            default -> {
            }
        }
    }

    /** One datagram from a mix of garbage and near-misses. */
    private byte[] nextDatagram() {
        int kind = random.nextInt(7);
        int type = random.nextInt(1, 5);
        byte[] msg;
        switch (kind) {
            case 0 -> { // random bytes, biased toward plausible type words
                msg = new byte[random.nextInt(0, 201)];
                random.nextBytes(msg);
                if (msg.length > 0 && random.nextInt(4) != 0) {
                    msg[0] = (byte) type;
                }
                if (msg.length >= 4 && random.nextInt(4) != 0) {
                    msg[1] = 0;
                    msg[2] = 0;
                    msg[3] = 0;
                }
            }
            case 1 -> { // exact size, valid type word, random body
                msg = new byte[sizeOf(type)];
                random.nextBytes(msg);
                MessageType.values()[type - 1].write(msg, 0);
            }
            case 2 -> { // truncated or extended by a little
                int size = sizeOf(type);
                int length = random.nextBoolean() ? random.nextInt(0, size) : size + random.nextInt(1, 4);
                msg = new byte[length];
                random.nextBytes(msg);
                byte[] word = new byte[4];
                MessageType.values()[type - 1].write(word, 0);
                System.arraycopy(word, 0, msg, 0, Math.min(4, length));
            }
            case 3 -> { // exact size, aimed at one of A's live indices
                msg = new byte[sizeOf(type)];
                random.nextBytes(msg);
                MessageType.values()[type - 1].write(msg, 0);
                aimAtLiveIndex(msg, type);
            }
            case 4 -> { // handshake message with a valid MAC1, so it reaches the Noise code
                type = random.nextInt(1, 3);
                msg = new byte[sizeOf(type)];
                random.nextBytes(msg);
                MessageType.values()[type - 1].write(msg, 0);
                aimAtLiveIndex(msg, type);
                macsForA.addMacs(msg, msg.length, now);
            }
            case 5 -> { // a genuine message with one to three bytes flipped
                msg = genuine.get(random.nextInt(genuine.size())).clone();
                for (int i = random.nextInt(1, 4); i > 0; i--) {
                    msg[random.nextInt(msg.length)] ^= (byte) random.nextInt(1, 256);
                }
            }
            default -> { // a genuine message replayed as is
                msg = genuine.get(random.nextInt(genuine.size())).clone();
            }
        }
        return msg;
    }

    private ByteBuffer place(byte[] msg) {
        int offset = random.nextInt(0, 8);
        ByteBuffer buf = random.nextBoolean()
                ? ByteBuffer.allocate(offset + msg.length + 8)
                : ByteBuffer.allocateDirect(offset + msg.length + 8);
        buf.position(offset);
        buf.put(msg);
        buf.position(offset).limit(offset + msg.length);
        return buf;
    }

    private Map<DropReason, Long> dropCounters(Engine engine) {
        Map<DropReason, Long> counts = new EnumMap<>(DropReason.class);
        for (DropReason reason : DropReason.values()) {
            counts.put(reason, engine.drops(reason));
        }
        return counts;
    }

    private InetSocketAddress randomSource() throws UnknownHostException {
        if (random.nextBoolean()) {
            return addressB;
        }
        byte[] ip = new byte[random.nextBoolean() ? 4 : 16];
        random.nextBytes(ip);
        return new InetSocketAddress(InetAddress.getByAddress(ip), random.nextInt(1, 65536));
    }

    @Test
    void shouldDropAndCountEveryGarbageDatagram() throws UnknownHostException {
        Map<DropReason, Long> before = dropCounters(a);
        long completedBefore = a.events(Engine.Event.HANDSHAKES_COMPLETED);
        long receivedBefore = a.events(Engine.Event.INITIATIONS_RECEIVED);
        Map<DropReason, Long> seen = new EnumMap<>(DropReason.class);
        for (int i = 0; i < DATAGRAMS; i++) {
            byte[] msg = nextDatagram();
            ByteBuffer datagram = place(msg);
            int position = datagram.position();
            int limit = datagram.limit();
            Verdict verdict = a.decapsulate(datagram, randomSource(), false, out, received);
            String what = "datagram " + i + " of " + msg.length + " bytes, type byte " + (msg.length > 0 ? msg[0] : -1);
            assertEquals(Verdict.DROP, verdict, what);
            assertNotNull(received.dropReason(), what);
            assertNull(received.tunnel(), what);
            assertEquals(MessageType.classify(ByteBuffer.wrap(msg)), received.type(), what);
            assertEquals(position, datagram.position(), what);
            assertEquals(limit, datagram.limit(), what);
            assertArrayEquals(msg, copy(datagram), what);
            seen.merge(received.dropReason(), 1L, Long::sum);
        }
        Map<DropReason, Long> after = dropCounters(a);
        long total = 0;
        for (DropReason reason : DropReason.values()) {
            long delta = after.get(reason) - before.get(reason);
            assertEquals(seen.getOrDefault(reason, 0L), delta, reason.name());
            total += delta;
        }
        assertEquals(DATAGRAMS, total);
        // The mix must actually reach the deep checks, not only the classifier.
        for (DropReason reason : List.of(DropReason.INVALID_MESSAGE, DropReason.INVALID_MAC1, DropReason.UNKNOWN_INDEX,
                DropReason.HANDSHAKE_FAILED, DropReason.INVALID_COOKIE_REPLY, DropReason.DECRYPTION_FAILED)) {
            assertTrue(seen.getOrDefault(reason, 0L) > 100, reason + " seen only " + seen.get(reason) + " times");
        }
        assertEquals(completedBefore, a.events(Engine.Event.HANDSHAKES_COMPLETED));
        assertEquals(receivedBefore, a.events(Engine.Event.INITIATIONS_RECEIVED));
        assertEquals(HandshakeState.INITIATION_CREATED, aToB.handshake().state());
        assertEquals(addressB, aToB.endpoint(), "an unauthenticated datagram moved the endpoint");

        // The session still carries data both ways.
        ByteBuffer outB = ByteBuffer.allocate(2048);
        assertEquals(Verdict.WRITE_TO_NETWORK, bToA.encapsulate(ByteBuffer.wrap(ipv4Packet(0x0a000002, 0x0a000001, 60)), outB));
        assertEquals(Verdict.WRITE_TO_TUNNEL, a.decapsulate(outB, addressB, false, out, received), String.valueOf(received.dropReason()));
        assertSame(aToB, received.tunnel());
        assertEquals(60, out.remaining());
    }

    @Test
    void shouldDeliverIntoAnOutputBufferOfEitherByteOrder() {
        // Encapsulating into a buffer leaves it little-endian (so does classify); a daemon that
        // reuses that buffer as the output of decapsulate must still get the packet.
        for (java.nio.ByteOrder order : List.of(java.nio.ByteOrder.BIG_ENDIAN, java.nio.ByteOrder.LITTLE_ENDIAN)) {
            ByteBuffer shared = ByteBuffer.allocateDirect(2048);
            assertEquals(Verdict.WRITE_TO_NETWORK, bToA.encapsulate(ByteBuffer.wrap(ipv4Packet(0x0a000002, 0x0a000001, 60)), shared));
            byte[] transport = copy(shared);
            shared.order(order);
            assertEquals(Verdict.WRITE_TO_TUNNEL, a.decapsulate(ByteBuffer.wrap(transport), addressB, false, shared, received),
                    order + ": " + received.dropReason());
            assertEquals(60, shared.remaining());
        }
    }

    @Test
    void shouldDropTransportLargerThanTheOutputBuffer() {
        // A forged transport message aimed at a live index (indices travel in clear) but larger
        // than the caller's output buffer: dropped and counted, not an exception.
        ByteBuffer small = ByteBuffer.allocate(1500);
        for (int size : new int[] {1500 + 16, 1500 + 17, 4000, 65_507}) {
            byte[] msg = new byte[size];
            random.nextBytes(msg);
            MessageType.TRANSPORT.write(msg, 0);
            LittleEndian.putInt(msg, Transport.RECEIVER_OFFSET, keypairIndex);
            long before = a.drops(DropReason.DECRYPTION_FAILED);
            assertEquals(Verdict.DROP, a.decapsulate(ByteBuffer.wrap(msg), addressB, false, small, received), "size " + size);
            assertEquals(DropReason.DECRYPTION_FAILED, received.dropReason());
            assertEquals(before + 1, a.drops(DropReason.DECRYPTION_FAILED));
        }
    }

    @Test
    void shouldDropOrAnswerWithACookieUnderLoad() throws UnknownHostException {
        Map<DropReason, Long> before = dropCounters(a);
        long drops = 0;
        long cookies = 0;
        for (int i = 0; i < DATAGRAMS / 5; i++) {
            byte[] msg = nextDatagram();
            Verdict verdict = a.decapsulate(place(msg), randomSource(), true, out, received);
            if (verdict == Verdict.WRITE_TO_NETWORK) {
                // Only a handshake message with a valid MAC1 earns a cookie reply, and nothing else.
                assertTrue(received.cookieReplySent(), "datagram " + i);
                assertNull(received.tunnel());
                assertEquals(CookieReply.SIZE, out.remaining());
                assertEquals(MessageType.COOKIE_REPLY, MessageType.classify(out));
                cookies++;
            } else {
                assertEquals(Verdict.DROP, verdict, "datagram " + i);
                assertNotNull(received.dropReason(), "datagram " + i);
                drops++;
            }
        }
        long total = 0;
        Map<DropReason, Long> after = dropCounters(a);
        for (DropReason reason : DropReason.values()) {
            total += after.get(reason) - before.get(reason);
        }
        assertEquals(drops, total);
        assertTrue(cookies > 0, "no datagram reached the cookie path");
        assertEquals(cookies, a.events(Engine.Event.COOKIES_SENT));
    }

    @Test
    void shouldDropEverythingWithoutAPrivateKey() {
        Engine bare = engine();
        long total = 0;
        for (int i = 0; i < 10_000; i++) {
            assertEquals(Verdict.DROP, bare.decapsulate(place(nextDatagram()), addressB, random.nextBoolean(), out, received));
            assertNotNull(received.dropReason());
        }
        for (DropReason reason : DropReason.values()) {
            total += bare.drops(reason);
        }
        assertEquals(10_000, total);
    }
}
