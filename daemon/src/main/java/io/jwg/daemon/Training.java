package io.jwg.daemon;

import io.jwg.core.crypto.X25519;
import io.jwg.uapi.UapiServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
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
 * second. It walks the start-up path without root: two devices over stand-in TUNs and loopback
 * UDP ({@link StandInPair}), a UAPI socket in a temporary directory, a handshake, then packets.
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

    private Training() {
    }

    static int run(PrintStream err) {
        Log log = new Log(Log.Level.SILENT, "train", new PrintStream(OutputStream.nullOutputStream()));
        Path dir = null;
        try (StandInPair pair = StandInPair.open("train", log)) {
            dir = Files.createTempDirectory("jwg-train");
            try (UapiServer uapi = UapiServer.bind(dir, "traina", pair.a(), UapiServer.Options.DEFAULT, () -> { })) {
                byte[] key = new byte[32];
                X25519.generatePrivateKey(new SecureRandom(), key);
                String hex = java.util.HexFormat.of().formatHex(key);
                exchange(uapi.socketPath(), "set=1\nprivate_key=" + hex + "\nlisten_port=0\n\n");
                pair.connect();
                pair.roundTrips(ROUND_TRIPS / 2, true);
                pair.ipv4Only();
                pair.roundTrips(ROUND_TRIPS / 2, false);
                pair.burst(BURST);
                // The burst takes branches one packet at a time never does, and the JIT drops the
                // code it had compiled for the sparse path (deoptimization). Without more sparse
                // traffic that code was recompiled only by C1 when the run ended, and the cache
                // kept C1 profiles (tier 3) for it: a daemon then ran it C1-compiled at start.
                pair.roundTrips(SETTLE_ROUND_TRIPS, false);
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
}
