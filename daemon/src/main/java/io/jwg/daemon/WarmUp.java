package io.jwg.daemon;

import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.message.Transport;
import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.OpenJob;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.SealJob;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import javax.crypto.SecretKey;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * Gets the transport cipher compiled before the first tunnel packet. A cold JVM runs the JDK's
 * ChaCha20-Poly1305 in the interpreter and C1 until C2 (with the vector intrinsics) has
 * compiled it: measured, a fresh daemon carried about 110 Mbit/s in its first second of TCP
 * and 200-300 in the next five, against 450-590 once warm. Running throwaway packets through
 * the cipher and the core's split transport path between two private engines (no I/O, nothing
 * shared with the device) at start-up, on a background thread, moves that cost out of the
 * traffic.
 */
final class WarmUp {
    private static final int ROUNDS = 20_000;
    private static final long MAX_NANOS = 1_500_000_000L;

    private WarmUp() {
    }

    /**
     * Two private engines, one handshake, then reserve/seal/begin/open/finish of throwaway
     * packets, as the data path calls them. Best effort: any failure just ends the warm-up.
     */
    static void engines() {
        try {
            SecureRandom random = new SecureRandom();
            Engine a = new Engine(new SystemNanoClock(), new SystemEpochNanoClock(), random);
            Engine b = new Engine(new SystemNanoClock(), new SystemEpochNanoClock(), random);
            byte[] keyA = new byte[32];
            byte[] keyB = new byte[32];
            X25519.generatePrivateKey(random, keyA);
            X25519.generatePrivateKey(random, keyB);
            a.setPrivateKey(keyA);
            b.setPrivateKey(keyB);
            Tunnel ab = a.addPeer(b.publicKey());
            Tunnel ba = b.addPeer(a.publicKey());
            InetSocketAddress addressA = new InetSocketAddress("127.0.0.1", 1);
            InetSocketAddress addressB = new InetSocketAddress("127.0.0.1", 2);
            a.allowedIps().insert(IpPrefix.parse("10.255.0.2/32"), ab);
            b.allowedIps().insert(IpPrefix.parse("10.255.0.1/32"), ba);
            ab.setEndpoint(addressB);
            ba.setEndpoint(addressA);
            ByteBuffer packet = ByteBuffer.allocateDirect(2048);
            ByteBuffer wire = ByteBuffer.allocateDirect(2048);
            ByteBuffer reply = ByteBuffer.allocateDirect(2048);
            ByteBuffer plain = ByteBuffer.allocateDirect(2048);
            Received received = new Received();
            ipv4(packet, 1380);
            // Handshake: the first packet is staged, the initiation and response flow, the
            // keepalive-or-staged packet confirms the session.
            ab.reserve(packet, wire.capacity(), new SealJob());
            if (ab.poll(wire) != Verdict.WRITE_TO_NETWORK
                    || b.decapsulate(wire, addressA, false, reply, received) != Verdict.WRITE_TO_NETWORK) {
                return;
            }
            a.decapsulate(reply, addressB, false, plain, received);
            while (ab.poll(wire) == Verdict.WRITE_TO_NETWORK) {
                b.decapsulate(wire, addressA, false, plain, received);
            }
            SealJob seal = new SealJob();
            OpenJob open = new OpenJob();
            ChaChaPoly aead = new ChaChaPoly();
            long deadline = System.nanoTime() + MAX_NANOS;
            for (int i = 0; i < ROUNDS && System.nanoTime() - deadline < 0; i++) {
                ipv4(packet, (i & 3) == 0 ? 40 : 1380);
                if (ab.reserve(packet, wire.capacity(), seal) != Verdict.WRITE_TO_NETWORK) {
                    return;
                }
                seal.seal(aead, packet, wire);
                if (!b.beginTransport(wire, open, received)) {
                    return;
                }
                open.open(aead, wire, plain);
                b.finishTransport(open, addressA, plain, received);
            }
        } catch (RuntimeException e) {
            // Only a warm-up.
        }
    }

    /** A minimal IPv4 packet 10.255.0.1 -> 10.255.0.2 of {@code length} bytes in {@code buf}. */
    private static void ipv4(ByteBuffer buf, int length) {
        buf.clear();
        buf.put(0, (byte) 0x45);
        buf.put(2, (byte) (length >>> 8));
        buf.put(3, (byte) length);
        buf.put(8, (byte) 64);
        buf.put(9, (byte) 17);
        buf.put(12, (byte) 10).put(13, (byte) 255).put(14, (byte) 0).put(15, (byte) 1);
        buf.put(16, (byte) 10).put(17, (byte) 255).put(18, (byte) 0).put(19, (byte) 2);
        buf.limit(length);
    }

    /** Seals and opens throwaway packets of typical sizes with direct buffers, as the data path does. */
    static void cipher() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        SecretKey key = ChaChaPoly.key(raw);
        ChaChaPoly aead = new ChaChaPoly();
        ByteBuffer plain = ByteBuffer.allocateDirect(2048);
        ByteBuffer sealed = ByteBuffer.allocateDirect(2048);
        ByteBuffer opened = ByteBuffer.allocateDirect(2048);
        long deadline = System.nanoTime() + MAX_NANOS;
        for (int i = 0; i < ROUNDS && System.nanoTime() - deadline < 0; i++) {
            int length = (i & 3) == 0 ? 40 : 1380;
            plain.clear().limit(length);
            sealed.clear();
            aead.sealPadded(key, i, plain, Transport.paddedLength(length, 1420) - length, sealed);
            sealed.flip();
            opened.clear();
            aead.open(key, i, sealed, opened);
        }
    }
}
