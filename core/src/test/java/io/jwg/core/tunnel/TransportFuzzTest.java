package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jwg.core.Constants;
import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.MessageType;
import io.jwg.core.message.Transport;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzz target: transport messages for an engine with a live session ({@link FuzzSession}),
 * through both receive paths: {@link Engine#decapsulate}, and the daemon's split path
 * {@link Engine#beginTransport}, {@link OpenJob#open}, {@link Engine#finishTransport}.
 *
 * <p>Input: byte 0 holds flags. Bit 0 clear: a forgery, the rest is the message after its type
 * word, with the receiver index aimed at A's live keypair unless bit 2 is set; it must be
 * dropped unless it is a genuine message. Bit 0 set: authentic, the next 8 bytes are the counter
 * (little-endian) and the rest the plaintext, sealed with the peer's real sending key, so the
 * replay window and the checks of the decrypted packet see fuzzed counters and inner packets;
 * the verdict must be the one an independent model of those checks predicts, and the same
 * datagram delivered again must be dropped as a replay. Bit 1 picks the split path.
 */
class TransportFuzzTest {
    private static final int PEER_ADDRESS = 0x0a000002; // A's allowed IPs for B: 10.0.0.2/32
    private final FuzzSession session = new FuzzSession();
    private final FuzzChecks checks = new FuzzChecks();
    private final ChaChaPoly aead = new ChaChaPoly();
    private final OpenJob job = new OpenJob();

    @FuzzTest
    void receive(byte[] input) {
        if (input.length == 0) {
            return;
        }
        boolean authentic = (input[0] & 1) != 0;
        boolean split = (input[0] & 2) != 0;
        if (authentic) {
            if (input.length < 9) {
                return;
            }
            long counter = LittleEndian.getLong(ByteBuffer.wrap(input), 1);
            byte[] plaintext = Arrays.copyOfRange(input, 9, input.length);
            byte[] datagram = seal(counter, plaintext);
            long rxBefore = session.aToB.rxBytes();
            Verdict first = deliver(datagram, split);
            checkAuthentic(counter, plaintext, first, rxBefore, datagram.length);
            TunnelState before = TunnelState.of(session.aToB, session.a);
            assertEquals(Verdict.DROP, deliver(datagram, split), "a replayed transport message was accepted");
            assertEquals(DropReason.REPLAYED_COUNTER, checks.received.dropReason());
            assertEquals(before, TunnelState.of(session.aToB, session.a), "a replay changed the tunnel");
            return;
        }
        byte[] datagram = new byte[input.length + 3];
        System.arraycopy(input, 1, datagram, 4, input.length - 1);
        MessageType.TRANSPORT.write(datagram, 0);
        if ((input[0] & 4) == 0 && datagram.length >= Transport.HEADER_SIZE) {
            LittleEndian.putInt(datagram, Transport.RECEIVER_OFFSET, session.keypairIndex);
        }
        TunnelState before = TunnelState.of(session.aToB, session.a);
        Verdict verdict = deliver(datagram, split);
        if (verdict != Verdict.DROP) {
            assertTrue(session.matchesGenuine(datagram), "a forged transport message was accepted");
        } else {
            assertEquals(before, TunnelState.of(session.aToB, session.a), "a dropped forgery changed the tunnel");
        }
    }

    /** The verdict an independent reading of the receive rules predicts for a sealed packet. */
    private void checkAuthentic(long counter, byte[] plaintext, Verdict verdict, long rxBefore, int datagramLength) {
        Received received = checks.received;
        if (Long.compareUnsigned(counter, Constants.REJECT_AFTER_MESSAGES) >= 0) {
            assertEquals(Verdict.DROP, verdict);
            assertEquals(DropReason.REPLAYED_COUNTER, received.dropReason());
            assertEquals(rxBefore, session.aToB.rxBytes());
            return;
        }
        if (received.dropReason() == DropReason.REPLAYED_COUNTER) {
            return; // an earlier input used this counter, or it is older than the window
        }
        assertSame(session.aToB, received.tunnel());
        assertEquals(rxBefore + datagramLength, session.aToB.rxBytes(), "authenticated bytes are counted");
        DropReason expected = innerVerdict(plaintext);
        if (plaintext.length == 0) {
            assertEquals(Verdict.DONE, verdict, "a keepalive");
        } else if (expected == null) {
            assertEquals(Verdict.WRITE_TO_TUNNEL, verdict);
            int length = ipLength(plaintext);
            assertEquals(length, checks.out.remaining());
            byte[] packet = FuzzSession.copy(checks.out);
            assertArrayEquals(Arrays.copyOf(plaintext, length), packet, "the packet is the plaintext cut to its IP length");
        } else {
            assertEquals(Verdict.DROP, verdict);
            assertEquals(expected, received.dropReason());
        }
    }

    /** Null for a well-formed packet from the peer's allowed address, else why it is dropped. */
    private static DropReason innerVerdict(byte[] p) {
        int version = p.length == 0 ? 0 : (p[0] & 0xff) >>> 4;
        if (version == 4 && p.length >= 20) {
            int length = ipLength(p);
            if (length < 20 || length > p.length) {
                return DropReason.INVALID_INNER_PACKET;
            }
            return LittleEndian.getInt(p, 12) == Integer.reverseBytes(PEER_ADDRESS) ? null : DropReason.SOURCE_NOT_ALLOWED;
        }
        if (version == 6 && p.length >= 40) {
            return ipLength(p) > p.length ? DropReason.INVALID_INNER_PACKET : DropReason.SOURCE_NOT_ALLOWED;
        }
        return DropReason.INVALID_INNER_PACKET;
    }

    private static int ipLength(byte[] p) {
        return (p[0] & 0xf0) == 0x40 ? (p[2] & 0xff) << 8 | (p[3] & 0xff) : ((p[4] & 0xff) << 8 | (p[5] & 0xff)) + 40;
    }

    /** The transport message the peer would send with {@code counter} for {@code plaintext}. */
    private byte[] seal(long counter, byte[] plaintext) {
        ByteBuffer out = ByteBuffer.allocate(Transport.OVERHEAD + plaintext.length);
        Transport.writeHeader(out, session.keypairIndex, counter);
        // A fresh cipher: the JDK refuses to encrypt twice with one key and nonce on one instance,
        // and inputs repeat counters on purpose.
        new ChaChaPoly().seal(session.bToA.currentKeypair().sendKey().jdk(), counter, ByteBuffer.wrap(plaintext), out);
        return out.array();
    }

    private Verdict deliver(byte[] datagram, boolean split) {
        if (!split) {
            return checks.decapsulate(session.a, datagram, session.addressB, false);
        }
        // The daemon's path: classified first, then begin, open (any thread), finish (in order).
        ByteBuffer buffer = ByteBuffer.wrap(datagram);
        if (MessageType.classify(buffer) != MessageType.TRANSPORT) {
            return Verdict.DROP;
        }
        long dropsBefore = FuzzChecks.totalDrops(session.a);
        Verdict verdict;
        if (!session.a.beginTransport(buffer, job, checks.received)) {
            verdict = Verdict.DROP;
        } else {
            job.open(aead, buffer, checks.out);
            verdict = session.a.finishTransport(job, session.addressB, checks.out, checks.received);
        }
        assertEquals(0, buffer.position());
        assertEquals(datagram.length, buffer.limit());
        checks.checkDropAccounting(session.a, verdict, dropsBefore);
        return verdict;
    }
}
