package io.jwg.daemon;

import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.tun.TunStandIn;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * Two devices over {@link TunStandIn}s, peers of each other over loopback UDP: the real packet
 * path (TUN reads and writes, routing, handshake, sealing, opening, sendmmsg, recvmmsg) without a
 * TUN interface or privileges. A is 10.0.0.1 and fd00::1, B is 10.0.0.2 and fd00::2.
 *
 * <p>The training run ({@link Training}) drives it for the profiles the ahead-of-time cache
 * keeps ({@link #roundTrips} sends the branches a real daemon's sparse traffic takes). Not for
 * the packet path of a running daemon: the stand-ins allocate per packet.
 */
final class StandInPair implements AutoCloseable {
    static final int MTU = Device.DEFAULT_MTU;
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final TunStandIn kernelA;
    private final TunStandIn kernelB;
    private final Device a;
    private final Device b;
    private final byte[][] pings = {packet(84, 1, 2), packet6(104, 1, 2)};
    private final byte[][] pongs = {packet(84, 2, 1), packet6(104, 2, 1)};
    // What the kernel sends on its own once a link is up: router solicitations to ff02::2,
    // which no peer routes; they must not be news to the compiled code.
    private final byte[] solicitation = packet6(56, 1, 0);
    private final IpPrefix v6OfA = IpPrefix.parse("fd00::1/128");
    private final IpPrefix v6OfB = IpPrefix.parse("fd00::2/128");
    private Tunnel toA;
    private Tunnel toB;
    private InetSocketAddress toBEndpoint;
    private Strangers strangers;

    private StandInPair(TunStandIn kernelA, TunStandIn kernelB, Device a, Device b) {
        this.kernelA = kernelA;
        this.kernelB = kernelB;
        this.a = a;
        this.b = b;
    }

    /** Two started devices named {@code prefix}a and {@code prefix}b, not yet peers. */
    static StandInPair open(String prefix, Log log) throws IOException {
        TunStandIn kernelA = TunStandIn.open(prefix + "a", MTU, true);
        TunStandIn kernelB = null;
        Device a = null;
        Device b = null;
        try {
            kernelB = TunStandIn.open(prefix + "b", MTU, true);
            a = new Device(kernelA.device(), log);
            b = new Device(kernelB.device(), log);
            StandInPair pair = new StandInPair(kernelA, kernelB, a, b);
            a.start();
            b.start();
            return pair;
        } catch (IOException | RuntimeException e) {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
            kernelA.close();
            if (kernelB != null) {
                kernelB.close();
            }
            throw e;
        }
    }

    Device a() {
        return a;
    }

    /**
     * Makes the devices peers: keys (A's only if it has none), ephemeral ports, allowed IPs of
     * both families, B's endpoint on A; then one packet from A to B, which is the handshake.
     */
    void connect() throws IOException, InterruptedException {
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[32];
        if (a.engine().publicKey() == null) {
            X25519.generatePrivateKey(random, key);
            a.engine().setPrivateKey(key);
        }
        X25519.generatePrivateKey(random, key);
        b.engine().setPrivateKey(key);
        if (a.listenPort() == 0) {
            a.setListenPort(0);
        }
        b.setListenPort(0);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while ((a.listenPort() == 0 || b.listenPort() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        toB = a.engine().addPeer(b.engine().publicKey());
        toA = b.engine().addPeer(a.engine().publicKey());
        a.engine().allowedIps().insert(IpPrefix.parse("10.0.0.2/32"), toB);
        a.engine().allowedIps().insert(v6OfB, toB);
        b.engine().allowedIps().insert(IpPrefix.parse("10.0.0.1/32"), toA);
        b.engine().allowedIps().insert(v6OfA, toA);
        toBEndpoint = new InetSocketAddress(InetAddress.getLoopbackAddress(), b.listenPort());
        toB.setEndpoint(toBEndpoint);
        strangers = new Strangers(a.listenPort(), b.listenPort());
        kernelA.inject(pings[0]);
        if (kernelB.take(WAIT) == null) {
            throw new IOException("no packet came through the stand-in tunnel");
        }
    }

    /** From now on IPv4 only, as many configurations are. */
    void ipv4Only() {
        a.engine().allowedIps().remove(v6OfB, toB);
        b.engine().allowedIps().remove(v6OfA, toA);
    }

    /**
     * {@code count} round trips one packet at a time, as a sparse flow (pings) sends them,
     * alternating IPv4 and IPv6 when {@code dualStack}, with what else a real daemon sees between
     * them now and then: router solicitations no peer routes, datagrams from strangers, and
     * `wg set … endpoint` (the next packet then picks a source address anew).
     */
    void roundTrips(int count, boolean dualStack) throws IOException {
        for (int i = 0; i < count; i++) {
            int family = dualStack ? i & 1 : 0;
            kernelA.inject(pings[family]);
            kernelB.take(WAIT);
            kernelB.inject(pongs[family]);
            kernelA.take(WAIT);
            if (i % 16 == 0) {
                kernelA.inject(solicitation);
                kernelB.inject(solicitation);
                strangers.knock();
            }
            if (i % 256 == 0) {
                toB.setEndpoint(toBEndpoint);
            }
        }
    }

    /** {@code count} full-size packets from A at once, and whatever of them B receives. */
    void burst(int count) throws IOException {
        byte[] full = packet(MTU, 1, 2);
        for (int i = 0; i < count; i++) {
            kernelA.inject(full);
        }
        while (kernelB.take(Duration.ofMillis(200)) != null) {
            // drain what arrived; the burst may lose some, as it would on a real link
        }
    }

    @Override
    public void close() {
        a.close();
        b.close();
        kernelA.close();
        kernelB.close();
    }

    /** An IPv4 UDP packet of {@code length} bytes from 10.0.0.{@code from} to 10.0.0.{@code to}. */
    private static byte[] packet(int length, int from, int to) {
        byte[] packet = new byte[length];
        packet[0] = 0x45;
        packet[2] = (byte) (length >> 8);
        packet[3] = (byte) length;
        packet[9] = 17;
        packet[12] = 10;
        packet[15] = (byte) from;
        packet[16] = 10;
        packet[19] = (byte) to;
        return packet;
    }

    /**
     * An IPv6 UDP packet of {@code length} bytes from fd00::{@code from} to fd00::{@code to}, or
     * to ff02::2 (all routers) when {@code to} is 0.
     */
    private static byte[] packet6(int length, int from, int to) {
        byte[] packet = new byte[length];
        packet[0] = 0x60;
        packet[4] = (byte) ((length - 40) >> 8);
        packet[5] = (byte) (length - 40);
        packet[6] = 17;
        packet[7] = 64;
        packet[8] = (byte) 0xfd;
        packet[23] = (byte) from;
        if (to == 0) {
            packet[24] = (byte) 0xff;
            packet[25] = 0x02;
            packet[39] = 2;
        } else {
            packet[24] = (byte) 0xfd;
            packet[39] = (byte) to;
        }
        return packet;
    }

    /**
     * Datagrams from ports no peer uses, each from a new one and to one of many loopback
     * addresses: what scanners and stale peers send a real daemon, and what makes its caches of
     * source and local addresses miss, as a daemon's first packets do. Both devices drop them.
     */
    private static final class Strangers {
        private final int[] ports;
        private final ByteBuffer junk = ByteBuffer.wrap(new byte[] {1, 0, 0, 0, 0, 0, 0, 0});
        private int next;

        Strangers(int... ports) {
            this.ports = ports;
        }

        void knock() {
            int n = next++;
            byte[] local = {127, 0, 0, (byte) (1 + n % 200)};
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.send(junk.rewind(), new InetSocketAddress(InetAddress.getByAddress(local), ports[n % ports.length]));
            } catch (IOException e) {
                // a detail of the traffic, not worth failing the run over
            }
        }
    }
}
