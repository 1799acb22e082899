package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Iperf;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bulk transfers through the jwg daemon (issue #3), jwg against wireguard-go and jwg against
 * jwg: iperf3 TCP of 256 MiB each way, and iperf3 UDP at 200 Mbit/s in 1380-byte datagrams for
 * 3 s each way, where the loss must be reported and data must arrive. Throughput is printed, not
 * asserted: the benchmarks compare speeds; this checks that everything sent arrives intact.
 *
 * <p>{@code -Djwg.test.iperfBytes=32M} shrinks the TCP transfers while developing on a shared
 * machine; the default is the issue's 256M.
 *
 * <p>jwg seals and opens with OpenSSL's libcrypto when it can, sends and receives with UDP
 * GSO/GRO and reads TCP super-packets from its TUN (TSO, split in software) (the defaults); the
 * {@code jwg-plain} peer runs with all three switched off ({@code JWG_AEAD=jdk},
 * {@code JWG_UDP_OFFLOAD=off}, {@code JWG_TUN_OFFLOAD=off}), so each way is checked against the
 * other as well as against wireguard-go. TCP also runs over the inner IPv6 addresses; the
 * sending jwg must have split super-packets (its summary at shutdown), none malformed, and as
 * the receiver (the {@code -R} run) it must have coalesced segments into super-packets on its
 * TUN writes, while iperf3's byte count shows that every byte arrived.
 */
class DaemonThroughputTest {
    private static final String TCP_BYTES = System.getProperty("jwg.test.iperfBytes", "256M");
    private static final String TCP6_BYTES = System.getProperty("jwg.test.iperf6Bytes", "64M");
    private static final Pattern SPLITS = Pattern.compile(
            "TUN offloads: (\\d+) super-packets split into (\\d+) segments, (\\d+) malformed reads dropped");
    private static final Pattern COALESCED = Pattern.compile(
            "TUN writes: (\\d+) TCP segments coalesced into (\\d+) super-packets");
    private static final int BYTES_PORT = 5611;
    private static final Duration TCP_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration UDP_TIMEOUT = Duration.ofSeconds(30);

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "wireguard-go", "ping", "iperf3", "ss", "ncat", "sha256sum");
        Environment.requireWireGuardGoInterop();
    }

    @ParameterizedTest(name = "jwg <-> {0}")
    @ValueSource(strings = {"wireguard-go", "jwg", "jwg-plain"})
    void shouldTransferTcpBothWays(String peer) {
        try (Pair pair = pair(peer)) {
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            long bytes = parseSize(TCP_BYTES);
            // Client in a (jwg): first a sends, then (-R) b sends.
            for (String[] args : new String[][] {{"-n", TCP_BYTES}, {"-n", TCP_BYTES, "-R"}}) {
                Iperf.Result result = Iperf.run(pair.nsB(), Pair.INNER_B4, pair.nsA(), TCP_TIMEOUT, args);
                report("TCP jwg <-> " + peer + " " + String.join(" ", args), result);
                DaemonInteropTest.assertTransfer(result, bytes, pair);
            }
            if (peer.equals("jwg-plain") && Daemons.jwgIsReal()) {
                assertTrue(pair.a().log().contains("transport AEAD: OpenSSL libcrypto; UDP GSO/GRO: on; TUN offloads: on"),
                        pair.a()::log);
                assertTrue(pair.b().log().contains("transport AEAD: JDK cipher (JWG_AEAD=jdk); UDP GSO/GRO: off ("
                        + "JWG_UDP_OFFLOAD); TUN offloads: off (JWG_TUN_OFFLOAD)"), pair.b()::log);
            }
            assertSplitSuperPackets(pair, peer);
        }
    }

    @ParameterizedTest(name = "jwg <-> {0}")
    @ValueSource(strings = {"wireguard-go", "jwg-plain"})
    void shouldTransferTcpOverInnerIpv6BothWays(String peer) {
        try (Pair pair = pair(peer)) {
            pair.pingOk(pair.nsA(), Pair.INNER_B6);
            long bytes = parseSize(TCP6_BYTES);
            for (String[] args : new String[][] {{"-n", TCP6_BYTES}, {"-n", TCP6_BYTES, "-R"}}) {
                Iperf.Result result = Iperf.run(pair.nsB(), Pair.INNER_B6, pair.nsA(), TCP_TIMEOUT, args);
                report("TCP over IPv6 jwg <-> " + peer + " " + String.join(" ", args), result);
                DaemonInteropTest.assertTransfer(result, bytes, pair);
            }
            assertSplitSuperPackets(pair, peer);
        }
    }

    /**
     * iperf3 counts bytes, not their contents, and a coalesced super-packet reaches the kernel
     * with a checksum it trusts: so 24 MiB of random bytes go into jwg (side a, which coalesces
     * them on its TUN writes) over one TCP connection and must hash the same on arrival.
     */
    @ParameterizedTest(name = "jwg <-> {0}")
    @ValueSource(strings = {"wireguard-go", "jwg"})
    void shouldDeliverTcpBytesIntoJwgIntact(String peer) throws Exception {
        Path file = Files.createTempFile("jwgt-bytes", ".bin");
        try (Pair pair = pair(peer)) {
            byte[] data = new byte[24 << 20];
            new Random(42).nextBytes(data);
            Files.write(file, data);
            String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            Process receiver = new ProcessBuilder(pair.nsA().command("sh", "-c",
                    "ncat -l --recv-only " + Pair.INNER_A4 + " " + BYTES_PORT + " | sha256sum"))
                    .redirectErrorStream(true).start();
            try {
                Await.assertWithin(Duration.ofSeconds(5),
                        () -> pair.nsA().exec("ss", "-Hltn", "sport", "=", ":" + BYTES_PORT).stdout().contains(":" + BYTES_PORT),
                        () -> "ncat not listening in " + pair.nsA());
                ExecResult sent = pair.nsB().exec(TCP_TIMEOUT, "sh", "-c",
                        "ncat --send-only " + Pair.INNER_A4 + " " + BYTES_PORT + " < " + file);
                assertTrue(sent.ok(), sent::describe);
                assertTrue(receiver.waitFor(30, TimeUnit.SECONDS), "the receiver did not finish");
                String got = new String(receiver.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                assertEquals(expected, got.split("\\s+")[0], () -> "bytes changed on the way\n" + pair.describe());
            } finally {
                receiver.descendants().forEach(ProcessHandle::destroyForcibly);
                receiver.destroyForcibly();
            }
            if (Daemons.jwgIsReal()) {
                pair.a().close();
                Matcher coalesced = COALESCED.matcher(pair.a().log());
                assertTrue(coalesced.find() && Long.parseLong(coalesced.group(2)) > 0, pair.a()::log);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @ParameterizedTest(name = "jwg <-> {0}")
    @ValueSource(strings = {"wireguard-go", "jwg"})
    void shouldCarryUdpAndReportLossBothWays(String peer) {
        try (Pair pair = pair(peer)) {
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            for (String[] args : new String[][] {{"-u", "-b", "200M", "-l", "1380", "-t", "3"},
                    {"-u", "-b", "200M", "-l", "1380", "-t", "3", "-R"}}) {
                Iperf.Result result = Iperf.run(pair.nsB(), Pair.INNER_B4, pair.nsA(), UDP_TIMEOUT, args);
                report("UDP jwg <-> " + peer + " " + String.join(" ", args), result);
                assertTrue(result.lossReported(), () -> "no loss figure: " + result.exec().describe());
                assertTrue(result.bytesReceived() > 0 && result.lostPercent() < 100,
                        () -> "nothing arrived: " + result.exec().describe() + "\n" + pair.describe());
            }
        }
    }

    /**
     * Stops jwg on side a (it sent a bulk TCP stream from its TUN, then received one) and checks
     * its shutdown summary: super-packets were split and none was malformed, received segments
     * were coalesced into super-packets; a jwg-plain peer must have had no offloads.
     */
    private static void assertSplitSuperPackets(Pair pair, String peer) {
        if (!Daemons.jwgIsReal()) {
            return;
        }
        pair.a().close();
        Matcher splits = SPLITS.matcher(pair.a().log());
        assertTrue(splits.find(), pair.a()::log);
        System.out.println("jwg <-> " + peer + ": " + splits.group());
        assertTrue(Long.parseLong(splits.group(1)) > 0, splits::group);
        assertTrue(Long.parseLong(splits.group(2)) > Long.parseLong(splits.group(1)), splits::group);
        assertEquals(0, Long.parseLong(splits.group(3)), splits::group);
        Matcher coalesced = COALESCED.matcher(pair.a().log());
        assertTrue(coalesced.find(), pair.a()::log);
        System.out.println("jwg <-> " + peer + ": " + coalesced.group());
        assertTrue(Long.parseLong(coalesced.group(2)) > 0, coalesced::group);
        assertTrue(Long.parseLong(coalesced.group(1)) >= 2 * Long.parseLong(coalesced.group(2)), coalesced::group);
        if (peer.equals("jwg-plain")) {
            pair.b().close();
            assertFalse(pair.b().log().contains("super-packets split"), pair.b()::log);
            assertFalse(pair.b().log().contains("TCP segments coalesced"), pair.b()::log);
            assertTrue(pair.b().log().contains("Device closed"), pair.b()::log);
        }
    }

    /**
     * The other way round from the jwg-plain cases: jwg with every offload and OpenSSL switched
     * off against wireguard-go, TCP over IPv4 and IPv6 each way, every byte arriving.
     */
    @Test
    void shouldTransferTcpWithOffloadsOffAgainstWireGuardGo() {
        try (Pair pair = Pair.builder().a(DaemonThroughputTest::plainJwg).b(Daemons.wireguardGoFactory()).build()) {
            for (String inner : new String[] {Pair.INNER_B4, Pair.INNER_B6}) {
                pair.pingOk(pair.nsA(), inner);
                long bytes = parseSize(TCP6_BYTES);
                for (String[] args : new String[][] {{"-n", TCP6_BYTES}, {"-n", TCP6_BYTES, "-R"}}) {
                    Iperf.Result result = Iperf.run(pair.nsB(), inner, pair.nsA(), TCP_TIMEOUT, args);
                    report("TCP to " + inner + " jwg-plain <-> wireguard-go " + String.join(" ", args), result);
                    DaemonInteropTest.assertTransfer(result, bytes, pair);
                }
            }
            if (Daemons.jwgIsReal()) {
                pair.a().close();
                assertTrue(pair.a().log().contains("UDP GSO/GRO: off (JWG_UDP_OFFLOAD); TUN offloads: off (JWG_TUN_OFFLOAD)"),
                        pair.a()::log);
                assertFalse(pair.a().log().contains("TCP segments coalesced"), pair.a()::log);
            }
        }
    }

    private static Pair pair(String peer) {
        return Pair.builder()
                .a(Daemons.jwgFactory())
                .b(switch (peer) {
                    case "jwg" -> Daemons.jwgFactory();
                    case "jwg-plain" -> DaemonThroughputTest::plainJwg;
                    default -> Daemons.wireguardGoFactory();
                })
                .build();
    }

    /** jwg with the JDK cipher and no UDP or TUN offloads (the fake daemon when jwg is not real). */
    private static Daemon plainJwg(Netns netns) {
        return Daemons.jwgIsReal()
                ? Jwg.start(netns, Map.of("JWG_AEAD", "jdk", "JWG_UDP_OFFLOAD", "off", "JWG_TUN_OFFLOAD", "off"))
                : Daemons.jwg(netns);
    }

    private static void report(String what, Iperf.Result result) {
        System.out.printf("%s: sent %d B, received %d B%s%n", what, result.bytesSent(), result.bytesReceived(),
                result.lossReported() ? String.format(", lost %.2f %%", result.lostPercent()) : "");
    }

    /** iperf3's size syntax: a number with an optional K, M or G (binary multiples). */
    static long parseSize(String size) {
        char unit = Character.toUpperCase(size.charAt(size.length() - 1));
        int shift = switch (unit) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        return Long.parseLong(shift == 0 ? size : size.substring(0, size.length() - 1)) << shift;
    }
}
