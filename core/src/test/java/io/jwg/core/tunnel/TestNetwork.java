package io.jwg.core.tunnel;

import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Two engines wired back to back through an in-memory "network" on a manual clock: what one side
 * emits is queued and delivered to the other by {@link #pump()}. Lets tests drive handshakes,
 * data, loss and minutes of protocol time without sockets or sleeps.
 */
final class TestNetwork {
    /** One endpoint: an engine, its address, its tunnel to the other side, and what it received. */
    final class Side {
        final String name;
        final Engine engine;
        final InetSocketAddress address;
        final byte[] privateKey = new byte[32];
        final byte[] publicKey = new byte[32];
        final String innerAddress;
        Tunnel tunnel;
        final List<byte[]> delivered = new ArrayList<>();
        final Received received = new Received();
        boolean underLoad;

        Side(String name, int port, String innerAddress) {
            this.name = name;
            this.engine = new Engine(() -> now, () -> EPOCH_BASE + now, random);
            this.address = new InetSocketAddress("127.0.0.1", port);
            this.innerAddress = innerAddress;
            X25519.generatePrivateKey(random, privateKey);
            X25519.publicKey(privateKey, publicKey);
            engine.setPrivateKey(privateKey);
        }

        /** Sends an IP packet from this side's inner address to the other side's. */
        Verdict send(byte[] payload) {
            ByteBuffer packet = ByteBuffer.wrap(Packets.ipv4(innerAddress, other(this).innerAddress, payload));
            ByteBuffer out = ByteBuffer.allocate(2048);
            Verdict verdict = engine.encapsulate(packet, out, received);
            if (verdict == Verdict.WRITE_TO_NETWORK) {
                emit(this, out);
            }
            drain(this, received.tunnel());
            return verdict;
        }
    }

    /** A datagram in flight. */
    record Datagram(Side from, Side to, byte[] bytes) {
    }

    static final long EPOCH_BASE = 1_700_000_000_000_000_000L;
    final SecureRandom random;
    long now = 1_000_000_000L;
    final Side a;
    final Side b;
    final Deque<Datagram> inFlight = new ArrayDeque<>();
    /** Every datagram ever emitted, in order (for replay tests). */
    final List<Datagram> log = new ArrayList<>();
    boolean dropAll;

    TestNetwork() {
        this(null, null);
    }

    /** Two peers with optional pre-shared keys on each side. */
    TestNetwork(byte[] pskA, byte[] pskB) {
        random = new SecureRandom();
        a = new Side("a", 1000, "10.0.0.1");
        b = new Side("b", 2000, "10.0.0.2");
        a.tunnel = a.engine.addPeer(b.publicKey);
        b.tunnel = b.engine.addPeer(a.publicKey);
        a.tunnel.setEndpoint(b.address);
        b.tunnel.setEndpoint(a.address);
        a.engine.allowedIps().insert(IpPrefix.parse("10.0.0.2/32"), a.tunnel);
        b.engine.allowedIps().insert(IpPrefix.parse("10.0.0.1/32"), b.tunnel);
        if (pskA != null) {
            a.tunnel.setPresharedKey(pskA);
        }
        if (pskB != null) {
            b.tunnel.setPresharedKey(pskB);
        }
    }

    Side other(Side side) {
        return side == a ? b : a;
    }

    void emit(Side from, ByteBuffer out) {
        byte[] bytes = new byte[out.remaining()];
        out.get(out.position(), bytes);
        Datagram datagram = new Datagram(from, other(from), bytes);
        log.add(datagram);
        if (!dropAll) {
            inFlight.add(datagram);
        }
    }

    /** Drains a tunnel's pending output onto the network. */
    void drain(Side side, Tunnel tunnel) {
        if (tunnel == null) {
            return;
        }
        ByteBuffer out = ByteBuffer.allocate(2048);
        while (tunnel.poll(out) == Verdict.WRITE_TO_NETWORK) {
            emit(side, out);
        }
    }

    /** Delivers one datagram as if it arrived at {@code to} from {@code source}. */
    Verdict deliver(Side to, byte[] bytes, InetSocketAddress source) {
        ByteBuffer out = ByteBuffer.allocate(2048);
        Verdict verdict = to.engine.decapsulate(ByteBuffer.wrap(bytes), source, to.underLoad, out, to.received);
        if (verdict == Verdict.WRITE_TO_NETWORK) {
            emit(to, out);
        } else if (verdict == Verdict.WRITE_TO_TUNNEL) {
            byte[] packet = new byte[out.remaining()];
            out.get(out.position(), packet);
            to.delivered.add(packet);
        }
        drain(to, to.received.tunnel());
        return verdict;
    }

    /** Delivers everything in flight (and whatever that triggers) until the network is quiet. */
    void pump() {
        int guard = 0;
        while (!inFlight.isEmpty()) {
            if (++guard > 10_000) {
                throw new AssertionError("network does not settle");
            }
            Datagram d = inFlight.poll();
            deliver(d.to(), d.bytes(), d.from().address);
        }
    }

    /** Advances the clock and lets both sides run their timers. */
    void advance(long nanos) {
        now += nanos;
        drain(a, a.tunnel);
        drain(b, b.tunnel);
    }

    /** Advances in steps of {@code step}, pumping in between, until {@code total} has passed. */
    void run(long total, long step) {
        for (long t = 0; t < total; t += step) {
            advance(step);
            pump();
        }
    }

    static long seconds(double s) {
        return (long) (s * 1_000_000_000L);
    }
}
