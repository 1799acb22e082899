package io.jwg.daemon;

import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.tun.InMemoryTun;
import io.jwg.uapi.UapiServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
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
 * second. It walks the start-up path without root: two devices over in-memory TUNs and loopback
 * UDP, a UAPI socket in a temporary directory, a handshake and some packets.
 */
final class Training {
    private Training() {
    }

    static int run(PrintStream err) {
        Log log = new Log(Log.Level.SILENT, "train", new PrintStream(OutputStream.nullOutputStream()));
        Path dir = null;
        try (Device a = new Device(new InMemoryTun("traina"), log); Device b = new Device(new InMemoryTun("trainb"), log)) {
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
                b.engine().allowedIps().insert(IpPrefix.parse("10.0.0.1/32"), toA);
                toB.setEndpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.listenPort()));
                InMemoryTun tunA = (InMemoryTun) a.tun();
                InMemoryTun tunB = (InMemoryTun) b.tun();
                byte[] packet = new byte[1400];
                packet[0] = 0x45;
                packet[2] = (byte) (1400 >> 8);
                packet[3] = (byte) (1400 & 0xff);
                packet[9] = 17;
                packet[12] = 10;
                packet[15] = 1;
                packet[16] = 10;
                packet[19] = 2;
                tunA.inject(packet);
                tunB.take(Duration.ofSeconds(5)); // after the handshake
                for (int i = 0; i < 1_000; i++) {
                    tunA.inject(packet);
                    if (tunB.poll() == null) {
                        Thread.onSpinWait();
                    }
                }
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
