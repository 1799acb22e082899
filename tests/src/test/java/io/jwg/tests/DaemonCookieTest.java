package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.EngineDriver;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Icmp;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A cookie reply must not move the peer's endpoint: unlike handshake and transport messages it is
 * not authenticated by the peer's static key, so anyone who saw the initiation could send one
 * from anywhere. The responder here is the project's own core {@link Engine} in the test JVM,
 * because it can be told it is under load (wireguard-go cannot be, short of a flood): it answers
 * the daemon's initiation with a cookie reply. iptables on the daemon's side rewrites the source
 * port of just that reply (the only 64-byte message in this exchange), so the cookie arrives
 * from a port where nobody listens. The daemon must keep the configured endpoint, retry after
 * RekeyTimeout (5 s) with MAC2 to it, and get through.
 *
 * <pre>
 *   test JVM (root netns)                          netns ns
 *   Engine + EngineDriver, under load              daemon ── IF 10.236.0.2/24
 *   10.235.R.(4Q+1):P ──────── veth ──────────── 10.235.R.(4Q+2):51820
 *                    iptables in ns: SNAT the UDP from :P with IP length 92 to source port P+1
 * </pre>
 */
class DaemonCookieTest {
    private static final Duration PING_WAIT = Duration.ofSeconds(12);

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "wireguard-go", "ping", "iptables", "iptables-save");
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldNotMoveTheEndpointWhenACookieReplyComesFromElsewhere() throws UnknownHostException {
        int subnet = ThreadLocalRandom.current().nextInt(256);
        int quad = ThreadLocalRandom.current().nextInt(64);
        InetAddress host = InetAddress.getByName("10.235." + subnet + "." + (4 * quad + 1));
        String nsAddress = "10.235." + subnet + "." + (4 * quad + 2);
        InetAddress javaInner = InetAddress.getByName("10.236.0.1");
        WgKeyPair javaKeys = WgKeyPair.generate();
        WgKeyPair daemonKeys = WgKeyPair.generate();

        Engine engine = new Engine(System::nanoTime, new SystemEpochNanoClock(), new SecureRandom());
        engine.setPrivateKey(Base64.getDecoder().decode(javaKeys.privateKey()));
        Tunnel tunnel = engine.addPeer(Base64.getDecoder().decode(daemonKeys.publicKey()));
        engine.allowedIps().insert(IpPrefix.parse("10.236.0.2/32"), tunnel);

        try (Netns ns = Netns.create();
                Netns.HostLink link = ns.linkToHost(host.getHostAddress() + "/30", nsAddress + "/30");
                EngineDriver driver = EngineDriver.bind(engine, new InetSocketAddress(host, 0));
                Daemon daemon = Daemons.jwg(ns)) {
            int port = driver.localAddress().getPort();
            String endpoint = host.getHostAddress() + ":" + port;
            Pair.configure(daemon, daemonKeys, Pair.PORT, javaKeys, endpoint, javaInner.getHostAddress() + "/32", 0);
            daemon.up("10.236.0.2/24");
            // tc pedit is not available on every kernel (nor nft), so the rewrite is iptables SNAT
            // on input. NAT acts on a connection's first packet only: everything else between the
            // two ports is left untracked, which makes the cookie reply (IP length 20 + 8 + 64 = 92)
            // the first packet of its own connection, and the only one rewritten.
            ns.execOk("iptables", "-t", "raw", "-A", "OUTPUT", "-p", "udp", "--sport", Integer.toString(Pair.PORT),
                    "-j", "NOTRACK");
            ns.execOk("iptables", "-t", "raw", "-A", "PREROUTING", "-p", "udp", "--sport", Integer.toString(port),
                    "-m", "length", "!", "--length", "92", "-j", "NOTRACK");
            ns.execOk("iptables", "-t", "nat", "-A", "INPUT", "-p", "udp", "--sport", Integer.toString(port),
                    "-m", "length", "--length", "92", "-j", "SNAT", "--to-source", host.getHostAddress() + ":" + (port + 1));
            driver.setUnderLoad(true);

            CompletableFuture<ExecResult> ping = CompletableFuture.supplyAsync(() -> ns.exec(
                    PING_WAIT.plusSeconds(5), "ping", "-c", "1", "-W", Long.toString(PING_WAIT.toSeconds()),
                    javaInner.getHostAddress()));
            boolean finished = driver.pumpUntil(PING_WAIT.plusSeconds(7), ping::isDone, packet -> {
                Icmp.Echo echo = Icmp.parse(packet);
                if (echo != null && echo.request()) {
                    driver.send(Icmp.echoReply(echo));
                }
            });

            String state = "\nlink " + link.host() + " <-> " + link.here() + "\n" + driver.describe() + "\n" + ns.exec("iptables-save", "-c").stdout() + "\n" + daemon.describe();
            assertTrue(finished, () -> "ping did not finish" + state);
            assertTrue(engine.events(Engine.Event.COOKIES_SENT) >= 1, () -> "no cookie reply sent" + state);
            assertTrue(rewritten(ns) >= 1, () -> "iptables never rewrote a cookie reply; the test proves nothing" + state);
            assertEquals(endpoint, daemon.endpoint(javaKeys.publicKey()), () -> "the cookie reply moved the endpoint" + state);
            ExecResult result = ping.join();
            assertTrue(result.ok(), () -> "no handshake after the cookie: " + result.describe() + state);
        }
    }

    /** Connections the SNAT rule rewrote (its first packets: the cookie replies). */
    private static long rewritten(Netns ns) {
        String rules = ns.execOk("iptables", "-t", "nat", "-L", "INPUT", "-v", "-n", "-x").stdout();
        Matcher matcher = Pattern.compile("^\\s*(\\d+)\\s+\\d+\\s+SNAT", Pattern.MULTILINE).matcher(rules);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
    }
}
