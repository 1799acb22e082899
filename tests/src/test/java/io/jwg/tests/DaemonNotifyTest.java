package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.NotifyListener;
import io.jwg.tests.support.WgKeyPair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code Type=notify} as systemd runs it: with {@code NOTIFY_SOCKET} set (a path, or an abstract
 * {@code @name}), jwg sends {@code READY=1} only once its UAPI socket accepts connections (and
 * its {@code JWG_CONFIG_FILE} is applied) and {@code STOPPING=1} when it begins to stop, nothing
 * else; on SIGTERM it exits 0 within a second. The service manager is {@link NotifyListener}.
 */
class DaemonNotifyTest {
    /** The bound the issue sets for a graceful stop. */
    private static final Duration STOP_BOUND = Duration.ofSeconds(1);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "python3", "kill");
        Assumptions.assumeTrue(Daemons.jwgIsReal(), "sd_notify is jwg's own (wireguard-go has none)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"path", "abstract"})
    void shouldNotifyReadyOnceListeningAndStoppingOnSigterm(String form) throws IOException {
        String ifname = Daemon.uniqueIfname("jo");
        Path dir = Files.createTempDirectory("jo-notify");
        String address = form.equals("path") ? dir.resolve("notify").toString() : "@jo-notify-" + ifname;
        try (Netns ns = Netns.create();
                NotifyListener listener = NotifyListener.start(ns, address, Daemon.socketOf(ifname));
                Jwg jwg = Jwg.start(ns, ifname, Map.of("NOTIFY_SOCKET", address))) {
            assertEquals("READY=1\tlistening", listener.next(READY_TIMEOUT), jwg::log);

            long signalled = System.nanoTime();
            Exec.runOk("kill", "-TERM", Long.toString(jwg.pid()));
            boolean exited = jwg.awaitExit(STOP_BOUND);
            double millis = (System.nanoTime() - signalled) / 1e6;

            assertTrue(exited, () -> "still running " + STOP_BOUND + " after SIGTERM\n" + jwg.log());
            System.err.printf("jwgt: SIGTERM to exit %.0f ms%n", millis);
            assertEquals(0, jwg.process().exitValue(), jwg::log);
            assertEquals("STOPPING=1", listener.next(STOP_BOUND).split("\t")[0]);
            assertEquals(List.of("READY=1", "STOPPING=1"),
                    listener.all().stream().map(line -> line.split("\t")[0]).toList(),
                    "exactly one READY=1 and one STOPPING=1 (a training run or a child must not notify)");
            assertFalse(Files.exists(jwg.socket(), LinkOption.NOFOLLOW_LINKS), "socket left behind");
        } finally {
            Files.deleteIfExists(dir.resolve("notify"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void shouldNotifyStoppingWhenItsInterfaceIsDeleted() throws IOException {
        String ifname = Daemon.uniqueIfname("jo");
        Path dir = Files.createTempDirectory("jo-notify");
        String address = dir.resolve("notify").toString();
        try (Netns ns = Netns.create();
                NotifyListener listener = NotifyListener.start(ns, address, Daemon.socketOf(ifname));
                Jwg jwg = Jwg.start(ns, ifname, Map.of("NOTIFY_SOCKET", address))) {
            assertEquals("READY=1\tlistening", listener.next(READY_TIMEOUT), jwg::log);

            ns.execOk("ip", "link", "del", ifname);

            assertEquals("STOPPING=1", listener.next(Duration.ofSeconds(2)).split("\t")[0], jwg::log);
            assertTrue(jwg.awaitExit(Duration.ofSeconds(2)), jwg::log);
        } finally {
            Files.deleteIfExists(dir.resolve("notify"));
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void shouldNotifyReadyOnlyOnceTheConfigFileIsApplied() throws IOException {
        String ifname = Daemon.uniqueIfname("jo");
        Path dir = Files.createTempDirectory("jo-notify");
        String address = dir.resolve("notify").toString();
        Path conf = dir.resolve(ifname + ".conf");
        WgKeyPair own = WgKeyPair.generate();
        WgKeyPair peer = WgKeyPair.generate();
        Files.writeString(conf, "[Interface]\nPrivateKey = " + own.privateKey() + "\nListenPort = 51999\n\n"
                + "[Peer]\nPublicKey = " + peer.publicKey() + "\nAllowedIPs = 10.77.0.2/32\n");
        try (Netns ns = Netns.create();
                NotifyListener listener = NotifyListener.start(ns, address, Daemon.socketOf(ifname));
                Jwg jwg = Jwg.start(ns, ifname, Map.of("NOTIFY_SOCKET", address, "JWG_CONFIG_FILE", conf.toString()))) {
            assertEquals("READY=1\tlistening", listener.next(READY_TIMEOUT), jwg::log);

            assertEquals(own.publicKey(), jwg.wgOk("show", ifname, "public-key").stdout().strip());
            assertEquals("51999", jwg.wgOk("show", ifname, "listen-port").stdout().strip());
            assertEquals(peer.publicKey() + "\t10.77.0.2/32", jwg.wgOk("show", ifname, "allowed-ips").stdout().strip());
        } finally {
            Files.deleteIfExists(conf);
            Files.deleteIfExists(dir.resolve("notify"));
            Files.deleteIfExists(dir);
        }
    }
}
