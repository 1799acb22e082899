package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Iperf;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The UAPI of a running tunnel: jwg (side a of a {@link Pair}) with wireguard-go as its peer
 * (side b), configured and read by {@code wg} while traffic flows. Counters must agree with the
 * peer's, configuration changes must not stall the data path, and keys rotated the way
 * management layers rotate them must bring the tunnel back within one REKEY_TIMEOUT.
 */
class UapiLiveTest {
    /** REKEY_TIMEOUT: a lost initiation is retried after this (plus up to 333 ms jitter). */
    private static final Duration REKEY_TIMEOUT = Duration.ofSeconds(5);
    /** Jitter of the retry, and the time to run {@code wg} and {@code ping} on a busy machine. */
    private static final Duration SLACK = Duration.ofMillis(1_000);

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "wireguard-go", "ping", "iperf3");
        Environment.requireWireGuardGoInterop();
    }

    /**
     * Both sides count every UDP payload sent and received for the peer (handshakes, keepalives,
     * transport), so once traffic is over jwg's tx must equal wireguard-go's rx and vice versa;
     * a little slack allows a keepalive in flight while the two dumps are read.
     */
    @Test
    void shouldReportTransferAndHandshakeMatchingThePeersCounters() {
        try (Pair pair = pair()) {
            Daemon jwg = pair.a();
            Daemon peer = pair.b();
            String b = pair.keysB().publicKey();
            String a = pair.keysA().publicKey();
            long startSeconds = System.currentTimeMillis() / 1000;
            ExecResult ping = Pair.ping(pair.nsA(), Pair.INNER_B4, 10, "-s", "1000");
            assertTrue(ping.ok(), () -> ping.describe() + "\n" + pair.describe());
            // Nothing is lost at ping rates: the counts must agree to the byte.
            String afterPing = settledCounters(jwg, b, peer, a, pair);
            assertEquals(peer.rxBytes(a), jwg.txBytes(b), afterPing);
            assertEquals(peer.txBytes(a), jwg.rxBytes(b), afterPing);
            // 10 pings of 1028 B ICMP + 20 B IPv4 each way, each with 32 B of WireGuard overhead at least.
            assertTrue(jwg.txBytes(b) >= 10 * (1048 + 32) && jwg.rxBytes(b) >= 10 * (1048 + 32), afterPing);

            Iperf.Result iperf = Iperf.run(pair.nsB(), Pair.INNER_B4, pair.nsA(), Duration.ofSeconds(30),
                    "-n", "4M", "-b", "40M");
            long nowSeconds = System.currentTimeMillis() / 1000;
            String counters = settledCounters(jwg, b, peer, a, pair);
            System.out.println("UapiLiveTest counters: " + counters + "; iperf3 sent " + iperf.bytesSent()
                    + ", received " + iperf.bytesReceived());
            long jwgTx = jwg.txBytes(b);
            long peerRx = peer.rxBytes(a);
            // What the iperf3 server got went through jwg; a datagram lost on the way is counted
            // by jwg only (TCP resent it), so jwg's tx may exceed wireguard-go's rx by a little.
            assertTrue(jwgTx >= iperf.bytesReceived(), counters);
            assertTrue(peerRx <= jwgTx && jwgTx - peerRx <= jwgTx / 20, counters);
            assertTrue(peer.txBytes(a) >= jwg.rxBytes(b) && peer.txBytes(a) - jwg.rxBytes(b) <= peer.txBytes(a) / 20,
                    counters);
            // The first ping made the handshake: after this test started, and both sides agree.
            long handshake = jwg.latestHandshake(b);
            assertTrue(handshake >= startSeconds - 1 && handshake <= nowSeconds + 1,
                    () -> "latest handshake " + handshake + ", test ran " + startSeconds + ".." + nowSeconds
                            + "\n" + pair.describe());
            long theirs = peer.latestHandshake(a);
            assertTrue(Math.abs(theirs - handshake) <= 2, () -> "jwg " + handshake + ", wireguard-go " + theirs);
        }
    }

    /**
     * A management layer adding 1,000 peers (one {@code wg addconf}) must not stall the tunnel
     * to an existing peer: iperf3 runs 5 s through it meanwhile, and no one-second interval may
     * be empty.
     */
    @Test
    void shouldKeepTrafficFlowingWhileAThousandPeersAreAdded() throws Exception {
        try (Pair pair = pair()) {
            Daemon jwg = pair.a();
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            StringBuilder config = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                config.append("[Peer]\nPublicKey = ").append(randomKey())
                        .append("\nAllowedIPs = 10.200.").append(i >> 8).append('.').append(i & 0xFF)
                        .append("/32, fd00:200::").append(Integer.toHexString(i)).append("/128\n")
                        .append("Endpoint = 192.0.2.").append(1 + i % 250).append(":51820\n");
            }
            Path file = privateFile(config.toString());
            try {
                CompletableFuture<Iperf.Result> iperf = CompletableFuture.supplyAsync(() ->
                        Iperf.run(pair.nsB(), Pair.INNER_B4, pair.nsA(), Duration.ofSeconds(30), "-t", "5", "-i", "1"));
                // Into the run (the server must be up and the client sending), then the change.
                Await.assertWithin(Duration.ofSeconds(10), () -> jwg.txBytes(pair.keysB().publicKey()) > 2_000_000,
                        () -> "iperf3 not sending\n" + pair.describe());
                long start = System.nanoTime();
                jwg.wgOk("addconf", jwg.ifname(), file.toString());
                long applied = System.nanoTime() - start;
                Iperf.Result result = iperf.get(60, TimeUnit.SECONDS);
                System.out.printf("UapiLiveTest: 1,000 peers added in %d ms during iperf3; %d B sent, %d B received%n",
                        applied / 1_000_000, result.bytesSent(), result.bytesReceived());
                assertTrue(result.bytesReceived() > 0, () -> result.exec().describe());
                String json = result.exec().stdout();
                String intervals = json.substring(json.indexOf("\"intervals\""), json.lastIndexOf("\"end\""));
                Matcher bytes = Pattern.compile("\"bytes\"\\s*:\\s*(\\d+)").matcher(intervals);
                int count = 0;
                while (bytes.find()) {
                    count++;
                    assertTrue(Long.parseLong(bytes.group(1)) > 0, () -> "an interval moved nothing:\n" + intervals);
                }
                assertTrue(count >= 5, () -> "expected 5 intervals:\n" + intervals);
                assertEquals(1001, jwg.wgOk("show", jwg.ifname(), "peers").stdout().lines().count());
                pair.pingOk(pair.nsA(), Pair.INNER_B4);
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Key rotation as a management layer does it, while a ping runs: jwg gets a new private
     * key, wireguard-go replaces our old public key with the new one, and both get a new PSK.
     * Handshakes tried in between fail; once both sides are reconfigured the tunnel must carry
     * traffic again within REKEY_TIMEOUT (the retry of a lost initiation), and on a handshake
     * made after the change.
     */
    @Test
    void shouldCarryTrafficAgainWithinRekeyTimeoutAfterKeyRotation() throws Exception {
        try (Pair pair = pair()) {
            Daemon jwg = pair.a();
            Daemon peer = pair.b();
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            Process background = new ProcessBuilder(pair.nsA().command("ping", "-i", "0.2", "-w", "30", Pair.INNER_B4))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                WgKeyPair ours = pair.keysA();
                for (int round = 0; round < 2; round++) {
                    ours = rotate(pair, ours, round);
                }
            } finally {
                background.destroyForcibly();
                background.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** One rotation from jwg's key {@code previous}; returns the new one. */
    private static WgKeyPair rotate(Pair pair, WgKeyPair previous, int round) {
        Daemon jwg = pair.a();
        Daemon peer = pair.b();
        WgKeyPair next = WgKeyPair.generate();
        String psk = randomKey();
        String b = pair.keysB().publicKey();
        long changeSeconds = System.currentTimeMillis() / 1000;
        jwg.setPrivateKey(next.privateKey());
        jwg.setPresharedKey(b, psk);
        // Traffic now fails: wireguard-go still expects our old key. A management layer updates it,
        // at once (round 0) or (round 1) only after the running ping made jwg send an initiation
        // wireguard-go refuses: then only jwg's retry, REKEY_TIMEOUT later, can bring it back.
        if (round == 1) {
            try {
                Thread.sleep(600); // three ping intervals; another process's timing, no clock to inject
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        Path pskFile = privateFile(psk);
        try {
            peer.wgOk("set", peer.ifname(), "peer", previous.publicKey(), "remove",
                    "peer", next.publicKey(), "preshared-key", pskFile.toString(),
                    "endpoint", Pair.endpoint(Pair.OUTER_A4, Pair.PORT),
                    "allowed-ips", Pair.INNER_A4 + "/32," + Pair.INNER_A6 + "/128");
        } finally {
            deleteQuietly(pskFile);
        }
        long reconfigured = System.nanoTime();
        Duration deadline = REKEY_TIMEOUT.plus(SLACK);
        boolean ok = Await.until(deadline, () -> Pair.ping(pair.nsA(), Pair.INNER_B4, 1).ok());
        long took = (System.nanoTime() - reconfigured) / 1_000_000;
        System.out.printf("UapiLiveTest: rotation %d: traffic again %d ms after both sides were reconfigured%n",
                round, took);
        assertTrue(ok, () -> "no traffic within " + deadline + " of rotation " + round + "\n" + pair.describe());
        long handshake = jwg.latestHandshake(b);
        assertTrue(handshake >= changeSeconds - 1, () -> "handshake " + handshake + " predates the rotation at "
                + changeSeconds + "\n" + pair.describe());
        assertTrue(peer.latestHandshake(next.publicKey()) >= changeSeconds - 1, pair::describe);
        return next;
    }

    private static Pair pair() {
        return Pair.builder().a(Daemons.jwgFactory()).b(Daemons.wireguardGoFactory()).build();
    }

    /** Waits until both dumps stop changing (the last ACKs and any keepalive delivered); returns them. */
    private static String settledCounters(Daemon jwg, String b, Daemon peer, String a, Pair pair) {
        String[] last = {""};
        Await.assertWithin(Duration.ofSeconds(15), () -> {
            String now = "jwg tx " + jwg.txBytes(b) + " rx " + jwg.rxBytes(b)
                    + ", wireguard-go tx " + peer.txBytes(a) + " rx " + peer.rxBytes(a);
            boolean same = now.equals(last[0]);
            last[0] = now;
            return same;
        }, () -> "counters keep moving\n" + pair.describe());
        return last[0];
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        ThreadLocalRandom.current().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    private static Path privateFile(String content) {
        try {
            Path file = Files.createTempFile("jwgt-live", ".conf",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, content.endsWith("\n") ? content : content + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a temp file
        }
    }
}
