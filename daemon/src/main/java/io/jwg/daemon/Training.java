package io.jwg.daemon;

import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.tun.TunStandIn;
import io.jwg.uapi.UapiServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * {@code jwg --train}: the training run for the JDK's ahead-of-time cache (JEP 483/515). The
 * launcher runs it once per build with {@code -XX:AOTCacheOutput}; every later start then finds
 * the classes it needs already loaded and linked, which is what brings launch-to-ready under a
 * second. It walks the start-up path without root: two devices over {@link TunStandIn}s and
 * loopback UDP, a UAPI socket in a temporary directory, a handshake, then packets.
 *
 * <p>The packets are there for the profiles the cache keeps (JEP 515). With them, and
 * {@code -XX:+AOTCompileEagerly} at start (see bin/jwg), a new daemon compiles its packet path as
 * its classes initialize instead of interpreting it until enough traffic made it hot: sparse
 * traffic, such as pings a second apart, would otherwise stay interpreted for minutes, at about
 * 1 ms more per packet on each side. So the training runs the path a sparse flow takes (one
 * packet at a time, {@value #ROUND_TRIPS} round trips), a burst, and {@value #SETTLE_ROUND_TRIPS}
 * round trips more, through the same {@code LinuxTun} code a TUN interface uses; then it waits
 * for the JIT to finish what that queued ({@link JitQuiet}), since the cache records only
 * compilations done when the run ends.
 */
final class Training {
    /** Enough for the one-packet path to reach C2 (tier 4) in training. */
    static final int ROUND_TRIPS = 20_000;
    /** After the burst: enough for what it deoptimized to reach C2 again. */
    static final int SETTLE_ROUND_TRIPS = 10_000;
    private static final int BURST = 1_000;
    private static final int MTU = 1420;

    private Training() {
    }

    static int run(PrintStream err) {
        Log log = new Log(Log.Level.SILENT, "train", new PrintStream(OutputStream.nullOutputStream()));
        Path dir = null;
        try (TunStandIn kernelA = TunStandIn.open("traina", MTU, true);
                TunStandIn kernelB = TunStandIn.open("trainb", MTU, true);
                Device a = new Device(kernelA.device(), log);
                Device b = new Device(kernelB.device(), log)) {
            dir = Files.createTempDirectory("jwg-train");
            a.start();
            b.start();
            try (UapiServer uapi = UapiServer.bind(dir, "traina", a, UapiServer.Options.DEFAULT, () -> { })) {
                SecureRandom random = new SecureRandom();
                byte[] key = new byte[32];
                X25519.generatePrivateKey(random, key);
                b.engine().setPrivateKey(key);
                X25519.generatePrivateKey(random, key);
                String hex = java.util.HexFormat.of().formatHex(key);
                exchange(uapi.socketPath(), "set=1\nprivate_key=" + hex + "\nlisten_port=0\n\n");
                b.setListenPort(0);
                await(() -> a.listenPort() != 0 && b.listenPort() != 0);
                Tunnel toB = a.engine().addPeer(b.engine().publicKey());
                Tunnel toA = b.engine().addPeer(a.engine().publicKey());
                a.engine().allowedIps().insert(IpPrefix.parse("10.0.0.2/32"), toB);
                IpPrefix v6OfB = IpPrefix.parse("fd00::2/128");
                IpPrefix v6OfA = IpPrefix.parse("fd00::1/128");
                a.engine().allowedIps().insert(v6OfB, toB);
                b.engine().allowedIps().insert(IpPrefix.parse("10.0.0.1/32"), toA);
                b.engine().allowedIps().insert(v6OfA, toA);
                toB.setEndpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.listenPort()));
                kernelA.inject(packet(84, 1, 2));
                if (kernelB.take(Duration.ofSeconds(5)) == null) { // after the handshake
                    throw new IOException("no packet came through the training tunnel");
                }
                Sparse sparse = new Sparse(kernelA, kernelB, toB, new Strangers(a.listenPort(), b.listenPort()));
                sparse.roundTrips(ROUND_TRIPS / 2, true);
                a.engine().allowedIps().remove(v6OfB, toB); // from now on IPv4 only, as many configurations are
                b.engine().allowedIps().remove(v6OfA, toA);
                sparse.roundTrips(ROUND_TRIPS / 2, false);
                byte[] full = packet(MTU, 1, 2);
                for (int i = 0; i < BURST; i++) {
                    kernelA.inject(full);
                }
                while (kernelB.take(Duration.ofMillis(200)) != null) {
                    // drain what arrived; the burst may lose some, as it would on a real link
                }
                // The burst takes branches one packet at a time never does, and the JIT drops the
                // code it had compiled for the sparse path (deoptimization). Without more sparse
                // traffic that code was recompiled only by C1 when the run ended, and the cache
                // kept C1 profiles (tier 3) for it: a daemon then ran it C1-compiled at start.
                sparse.roundTrips(SETTLE_ROUND_TRIPS, false);
                JitQuiet.await(Duration.ofSeconds(10));
                exchange(uapi.socketPath(), "get=1\n\n");
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("training run failed: " + e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            if (dir != null) {
                try (var files = Files.list(dir)) {
                    for (Path file : files.toList()) {
                        Files.deleteIfExists(file);
                    }
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // a temporary directory is not worth failing the build over
                }
            }
        }
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
     * One packet at a time each way, as a sparse flow (pings) sends them, with what else a real
     * daemon sees between them now and then: router solicitations no peer routes, datagrams from
     * strangers, and `wg set … endpoint` (the next packet then picks a source address anew).
     */
    private static final class Sparse {
        private final TunStandIn kernelA;
        private final TunStandIn kernelB;
        private final Tunnel toB;
        private final InetSocketAddress toBEndpoint;
        private final Strangers strangers;
        private final byte[][] pings = {packet(84, 1, 2), packet6(104, 1, 2)};
        private final byte[][] pongs = {packet(84, 2, 1), packet6(104, 2, 1)};
        // What the kernel sends on its own once a link is up: router solicitations to ff02::2,
        // which no peer routes; they must not be news to the compiled code.
        private final byte[] solicitation = packet6(56, 1, 0);

        Sparse(TunStandIn kernelA, TunStandIn kernelB, Tunnel toB, Strangers strangers) {
            this.kernelA = kernelA;
            this.kernelB = kernelB;
            this.toB = toB;
            this.toBEndpoint = toB.endpoint();
            this.strangers = strangers;
        }

        /** {@code count} round trips, alternating IPv4 and IPv6 when {@code dualStack}. */
        void roundTrips(int count, boolean dualStack) throws IOException {
            for (int i = 0; i < count; i++) {
                int family = dualStack ? i & 1 : 0;
                kernelA.inject(pings[family]);
                kernelB.take(Duration.ofSeconds(1));
                kernelB.inject(pongs[family]);
                kernelA.take(Duration.ofSeconds(1));
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
                // a training detail, not worth failing the run over
            }
        }
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

    private static void exchange(Path socket, String request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            ByteBuffer reply = ByteBuffer.allocate(4096);
            while (channel.read(reply) > 0 && !new String(reply.array(), 0, reply.position(), StandardCharsets.UTF_8).endsWith("\n\n")) {
                if (!reply.hasRemaining()) {
                    reply.clear();
                }
            }
        }
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }
}
