package io.jwg.benchmarks;

import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.NanoClock;

/**
 * Benchmark fixture: two engines that know each other, wired in-process with no sockets.
 * Engine A ("initiator") owns 10.0.0.1/32 on B's side, engine B ("responder") owns 10.0.0.2/32
 * on A's side; the endpoints are loopback addresses that never see a packet.
 */
final class EnginePair {
    static final InetSocketAddress ENDPOINT_A = new InetSocketAddress(InetAddress.getLoopbackAddress(), 51820);
    static final InetSocketAddress ENDPOINT_B = new InetSocketAddress(InetAddress.getLoopbackAddress(), 51821);
    static final int MAX_DATAGRAM = 2048;

    final Engine a;
    final Engine b;
    /** A's view of B. */
    final Tunnel peerB;
    /** B's view of A. */
    final Tunnel peerA;

    EnginePair(NanoClock clockA, EpochNanoClock wallA, NanoClock clockB, EpochNanoClock wallB) {
        SecureRandom random = new SecureRandom();
        a = new Engine(clockA, wallA, random);
        b = new Engine(clockB, wallB, random);
        byte[] keyA = new byte[32];
        byte[] keyB = new byte[32];
        X25519.generatePrivateKey(random, keyA);
        X25519.generatePrivateKey(random, keyB);
        a.setPrivateKey(keyA);
        b.setPrivateKey(keyB);
        peerB = a.addPeer(b.publicKey());
        peerA = b.addPeer(a.publicKey());
        peerB.setEndpoint(ENDPOINT_B);
        peerA.setEndpoint(ENDPOINT_A);
        a.allowedIps().insert(IpPrefix.parse("10.0.0.2/32"), peerB);
        b.allowedIps().insert(IpPrefix.parse("10.0.0.1/32"), peerA);
    }

    /**
     * Runs initiation → response → keepalive between A and B, so that both sides hold a
     * confirmed session (B's keypair moves from "next" to "current" on the keepalive).
     */
    void handshake() {
        ByteBuffer wire = ByteBuffer.allocateDirect(MAX_DATAGRAM);
        ByteBuffer reply = ByteBuffer.allocateDirect(MAX_DATAGRAM);
        Received received = new Received();
        peerB.requestHandshake();
        expect(peerB.poll(wire), Verdict.WRITE_TO_NETWORK, "initiation");
        expect(b.decapsulate(wire, ENDPOINT_A, false, reply, received), Verdict.WRITE_TO_NETWORK, "response");
        expect(a.decapsulate(reply, ENDPOINT_B, false, wire, received), Verdict.WRITE_TO_NETWORK, "keepalive");
        expect(b.decapsulate(wire, ENDPOINT_A, false, reply, received), Verdict.DONE, "keepalive consumed");
        if (peerA.currentKeypair() == null || peerB.currentKeypair() == null) {
            throw new IllegalStateException("no session after handshake");
        }
    }

    /** A 1420-byte (or {@code length}) IPv4 packet from {@code src} to {@code dst}, random payload. */
    static ByteBuffer ipv4Packet(int length, String src, String dst, boolean direct) {
        ByteBuffer packet = direct ? ByteBuffer.allocateDirect(length) : ByteBuffer.allocate(length);
        byte[] payload = new byte[length];
        new java.util.Random(7).nextBytes(payload);
        packet.put(0, payload);
        packet.put(0, (byte) 0x45);
        packet.put(1, (byte) 0);
        packet.putShort(2, (short) length);
        packet.put(8, (byte) 64);
        packet.put(9, (byte) 17);
        packet.put(12, parse(src));
        packet.put(16, parse(dst));
        return packet;
    }

    private static byte[] parse(String address) {
        try {
            return InetAddress.getByName(address).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    static void expect(Verdict actual, Verdict expected, String what) {
        if (actual != expected) {
            throw new IllegalStateException(what + ": expected " + expected + " but got " + actual);
        }
    }
}
