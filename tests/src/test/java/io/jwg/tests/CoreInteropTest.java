package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.DropReason;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.tests.support.Closer;
import io.jwg.tests.support.EngineDriver;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Icmp;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Setup;
import io.jwg.tests.support.WgKeyPair;
import io.jwg.tests.support.WireGuardGo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Protocol-level interop (issue #2): the pure-Java core {@link Engine}, driven over a plain UDP
 * socket by {@link EngineDriver} in the test JVM, against Debian's real {@code wireguard-go}
 * configured by the real {@code wg} in a network namespace. No jwg daemon or TUN is involved: the
 * test builds the inner packets (ICMP echo with real checksums) and checks what comes back, and
 * the kernel in the namespace plays the other host.
 *
 * <pre>
 *   test JVM (root netns)                        netns ns
 *   Engine + EngineDriver                        wireguard-go ── wgtXXXXXX 10.232.R.2/24, fd6a:7767:0:R::2/64
 *   UDP 10.231.R.(4Q+1):ephemeral ── veth ──  10.231.R.(4Q+2):51820
 *   (inner 10.232.R.1, fd6a:7767:0:R::1)
 * </pre>
 * R and Q are random per test, the host end of the veth pair has a unique name, and everything
 * is deleted when the test ends, also when it fails.
 */
class CoreInteropTest {
    private static final int WG_PORT = 51820;
    private static final Duration WAIT = Duration.ofSeconds(5);

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldGetEchoReplyFromWireGuardGoWhenJavaInitiates() {
        try (Rig rig = Rig.create(false)) {
            Icmp.Echo reply = rig.javaPings(rig.goV4);

            assertEquals(rig.goV4, reply.source());
            assertEquals(1, rig.engine.events(Engine.Event.INITIATIONS_SENT), rig::describe);
            assertEquals(1, rig.engine.events(Engine.Event.HANDSHAKES_COMPLETED), rig::describe);
            assertEquals(0, rig.engine.events(Engine.Event.INITIATIONS_RECEIVED), rig::describe);
            assertTrue(rig.tunnel.currentKeypair().isInitiator(), rig::describe);
            rig.assertSessionOnBothSides();
        }
    }

    @Test
    void shouldAnswerPingFromWireGuardGoWhenItInitiates() {
        try (Rig rig = Rig.create(false)) {
            List<Icmp.Echo> answered = rig.answerPingFromNamespace("-4", rig.javaV4);

            assertEquals(1, answered.size(), rig::describe);
            assertEquals(rig.goV4, answered.getFirst().source());
            assertEquals(1, rig.engine.events(Engine.Event.INITIATIONS_RECEIVED), rig::describe);
            assertEquals(1, rig.engine.events(Engine.Event.RESPONSES_SENT), rig::describe);
            assertEquals(0, rig.engine.events(Engine.Event.INITIATIONS_SENT), rig::describe);
            assertFalse(rig.tunnel.currentKeypair().isInitiator(), rig::describe);
            rig.assertSessionOnBothSides();
        }
    }

    @Test
    void shouldCarryIpv6BothWaysOverOneSessionWithPresharedKey() {
        try (Rig rig = Rig.create(true)) {
            Icmp.Echo reply = rig.javaPings(rig.goV6);
            assertEquals(rig.goV6, reply.source());

            // Same session, other direction: the namespace's kernel pings us and must accept our reply.
            List<Icmp.Echo> answered = rig.answerPingFromNamespace("-6", rig.javaV6);
            assertEquals(1, answered.size(), rig::describe);
            assertEquals(rig.goV6, answered.getFirst().source());

            assertEquals(1, rig.engine.events(Engine.Event.INITIATIONS_SENT), rig::describe);
            assertEquals(1, rig.engine.events(Engine.Event.HANDSHAKES_COMPLETED), rig::describe);
            assertEquals(rig.psk, rig.peerDump()[1], "wireguard-go's view of the pre-shared key");
            rig.assertSessionOnBothSides();
        }
    }

    @Test
    void shouldFailHandshakeWhenPresharedKeysDiffer() {
        try (Rig rig = Rig.create(true)) {
            // wireguard-go answers the initiation (the PSK enters only at the response), but the
            // response must not authenticate for us: proof the PSK is really mixed in.
            rig.tunnel.setPresharedKey(Base64.getDecoder().decode(Exec.runOk("wg", "genpsk").stdout().strip()));
            rig.driver.send(Icmp.echoRequest(rig.javaV4, rig.goV4, 1, 1, new byte[8]));

            boolean rejected = rig.driver.pumpUntil(WAIT,
                    () -> rig.engine.drops(DropReason.HANDSHAKE_FAILED) > 0, packet -> { });

            assertTrue(rejected, rig::describe);
            assertNull(rig.tunnel.currentKeypair(), rig::describe);
            assertEquals(0, rig.engine.events(Engine.Event.HANDSHAKES_COMPLETED), rig::describe);
        }
    }

    @Test
    void shouldMakeWireGuardGoRetryWithOurCookieWhenUnderLoad() {
        try (Rig rig = Rig.create(false)) {
            // Under load we answer wireguard-go's initiation with a cookie reply instead of a
            // response. It must decrypt it (XChaCha20-Poly1305 keyed from our public key, bound to
            // its MAC1) and retry after REKEY_TIMEOUT with a MAC2 our checker accepts.
            rig.driver.setUnderLoad(true);
            List<Icmp.Echo> answered = rig.answerPingFromNamespace("-4", rig.javaV4, 12);

            assertEquals(1, answered.size(), rig::describe);
            assertEquals(1, rig.engine.events(Engine.Event.COOKIES_SENT), rig::describe);
            assertEquals(1, rig.engine.events(Engine.Event.INITIATIONS_RECEIVED), "only the MAC2 retry got in");
            assertEquals(1, rig.engine.events(Engine.Event.RESPONSES_SENT), rig::describe);
            rig.assertSessionOnBothSides();
        }
    }

    /**
     * One namespace with wireguard-go, one veth link to it, and the Java engine with its driver;
     * {@link #close()} tears down whatever was set up, newest first.
     */
    private static final class Rig implements AutoCloseable {
        final Closer resources = new Closer("cleanup failed");
        final int subnet = ThreadLocalRandom.current().nextInt(256);
        final int quad = ThreadLocalRandom.current().nextInt(64);
        final InetAddress hostAddress = address("10.231." + subnet + "." + (4 * quad + 1));
        final InetAddress nsAddress = address("10.231." + subnet + "." + (4 * quad + 2));
        final InetAddress javaV4 = address("10.232." + subnet + ".1");
        final InetAddress goV4 = address("10.232." + subnet + ".2");
        final InetAddress javaV6 = address("fd6a:7767:0:" + Integer.toHexString(subnet) + "::1");
        final InetAddress goV6 = address("fd6a:7767:0:" + Integer.toHexString(subnet) + "::2");
        final WgKeyPair javaKeys = WgKeyPair.generate();
        final WgKeyPair goKeys = WgKeyPair.generate();
        String psk;
        Netns ns;
        WireGuardGo wg;
        Engine engine;
        Tunnel tunnel;
        EngineDriver driver;

        static Rig create(boolean withPsk) {
            return Setup.orClose(new Rig(), rig -> rig.setUp(withPsk));
        }

        private void setUp(boolean withPsk) {
            psk = withPsk ? Exec.runOk("wg", "genpsk").stdout().strip() : null;
            ns = track(Netns.create());
            track(ns.linkToHost(hostAddress.getHostAddress() + "/30", nsAddress.getHostAddress() + "/30"));

            engine = new Engine(System::nanoTime, new SystemEpochNanoClock(), new SecureRandom());
            engine.setPrivateKey(Base64.getDecoder().decode(javaKeys.privateKey()));
            assertArrayEquals(Base64.getDecoder().decode(javaKeys.publicKey()), engine.publicKey(),
                    "our X25519 public key must match `wg pubkey`");
            tunnel = engine.addPeer(Base64.getDecoder().decode(goKeys.publicKey()));
            engine.allowedIps().insert(IpPrefix.parse(goV4.getHostAddress() + "/32"), tunnel);
            engine.allowedIps().insert(IpPrefix.parse(goV6.getHostAddress() + "/128"), tunnel);
            tunnel.setEndpoint(new InetSocketAddress(nsAddress, WG_PORT));
            if (psk != null) {
                tunnel.setPresharedKey(Base64.getDecoder().decode(psk));
            }
            driver = track(EngineDriver.bind(engine, new InetSocketAddress(hostAddress, 0)));

            wg = track(WireGuardGo.start(ns));
            wg.setPrivateKey(goKeys.privateKey());
            wg.wgOk("set", wg.ifname(), "listen-port", Integer.toString(WG_PORT),
                    "peer", javaKeys.publicKey(),
                    "allowed-ips", javaV4.getHostAddress() + "/32," + javaV6.getHostAddress() + "/128",
                    "endpoint", hostAddress.getHostAddress() + ":" + driver.localAddress().getPort());
            if (psk != null) {
                wg.setPresharedKey(javaKeys.publicKey(), psk);
            }
            wg.up(goV4.getHostAddress() + "/24");
            // nodad: duplicate address detection would hold the address tentative for a second.
            ns.execOk("ip", "-6", "addr", "add", goV6.getHostAddress() + "/64", "dev", wg.ifname(), "nodad");
        }

        /**
         * Sends one echo request from our inner address to {@code target} through the engine
         * and pumps until the matching reply comes back; returns it, checksums verified.
         */
        Icmp.Echo javaPings(InetAddress target) {
            InetAddress source = target.getAddress().length == 4 ? javaV4 : javaV6;
            int id = ThreadLocalRandom.current().nextInt(1 << 16);
            byte[] payload = new byte[56];
            ThreadLocalRandom.current().nextBytes(payload);
            Icmp.Echo expected = new Icmp.Echo(false, target, source, id, 1, payload);
            AtomicReference<Icmp.Echo> reply = new AtomicReference<>();
            List<Icmp.Echo> others = new ArrayList<>();

            driver.send(Icmp.echoRequest(source, target, id, 1, payload));
            boolean answered = driver.pumpUntil(WAIT, () -> reply.get() != null, packet -> {
                Icmp.Echo echo = Icmp.parse(packet);
                if (expected.equals(echo)) {
                    reply.set(echo);
                } else {
                    others.add(echo);
                }
            });

            assertTrue(answered, () -> "no echo reply " + expected + "; other packets " + others + "\n" + describe());
            return reply.get();
        }

        /**
         * Runs {@code ping -c 1} in the namespace toward our inner address and answers every echo
         * request the engine decrypts with a reply built here, until ping exits; asserts it
         * succeeded (the namespace's kernel accepted our reply) and returns the requests answered.
         */
        List<Icmp.Echo> answerPingFromNamespace(String family, InetAddress target) {
            return answerPingFromNamespace(family, target, 5);
        }

        /** As above, with ping waiting up to {@code waitSeconds} for its reply. */
        List<Icmp.Echo> answerPingFromNamespace(String family, InetAddress target, int waitSeconds) {
            CompletableFuture<ExecResult> ping = CompletableFuture.supplyAsync(() ->
                    ns.exec(Duration.ofSeconds(waitSeconds + 5), "ping", family, "-c", "1", "-W",
                            Integer.toString(waitSeconds), target.getHostAddress()));
            List<Icmp.Echo> answered = new ArrayList<>();
            boolean finished = driver.pumpUntil(Duration.ofSeconds(waitSeconds + 7), ping::isDone, packet -> {
                Icmp.Echo echo = Icmp.parse(packet);
                if (echo != null && echo.request()) {
                    answered.add(echo);
                    driver.send(Icmp.echoReply(echo));
                }
            });
            assertTrue(finished, () -> "ping did not finish\n" + describe());
            ExecResult result = ping.join();
            assertTrue(result.ok(), () -> result.describe() + "\nanswered " + answered + "\n" + describe());
            return answered;
        }

        /** Both sides report a handshake and traffic, and the Java side dropped nothing. */
        void assertSessionOnBothSides() {
            String[] peer = peerDump();
            assertTrue(Long.parseLong(peer[4]) > 0, () -> "wireguard-go saw no handshake\n" + describe());
            assertTrue(Long.parseLong(peer[5]) > 0, () -> "wireguard-go received nothing\n" + describe());
            assertTrue(Long.parseLong(peer[6]) > 0, () -> "wireguard-go sent nothing\n" + describe());
            assertEquals(hostAddress.getHostAddress() + ":" + driver.localAddress().getPort(), peer[2]);

            assertNotNull(tunnel.currentKeypair(), this::describe);
            assertTrue(tunnel.lastHandshakeEpochNanos() > 0, this::describe);
            assertTrue(tunnel.rxBytes() > 0 && tunnel.txBytes() > 0, this::describe);
            assertEquals("", drops(), this::describe);
        }

        /**
         * wireguard-go's line for our peer in {@code wg show IF dump}: public key, pre-shared
         * key, endpoint, allowed IPs, latest handshake, rx bytes, tx bytes, keepalive.
         */
        String[] peerDump() {
            return wg.wgOk("show", wg.ifname(), "dump").stdout().lines()
                    .skip(1)
                    .map(line -> line.split("\t"))
                    .filter(fields -> fields.length >= 8 && fields[0].equals(javaKeys.publicKey()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no Java peer on wireguard-go\n" + describe()));
        }

        /** Non-zero drop counters of the engine, e.g. {@code "DECRYPTION_FAILED=2"}; empty when none. */
        String drops() {
            return Stream.of(DropReason.values())
                    .filter(reason -> engine.drops(reason) > 0)
                    .map(reason -> reason + "=" + engine.drops(reason))
                    .collect(Collectors.joining(", "));
        }

        /** Everything useful when a test fails: engine trace, counters, wg show, wireguard-go's log. */
        String describe() {
            StringBuilder text = new StringBuilder();
            if (driver != null) {
                text.append("--- engine driver\n").append(driver.describe()).append('\n');
            }
            if (engine != null) {
                text.append("--- engine drops: ").append(drops()).append('\n');
            }
            if (wg != null) {
                text.append("--- wg show\n").append(wg.wg("show", wg.ifname()).describe()).append('\n');
                text.append("--- wireguard-go log\n").append(wg.log());
            }
            return text.toString();
        }

        private <T extends AutoCloseable> T track(T resource) {
            return resources.track(resource);
        }

        @Override
        public void close() {
            resources.close();
        }

        private static InetAddress address(String literal) {
            try {
                return InetAddress.getByName(literal);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(literal, e);
            }
        }
    }
}
