package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.WgKeyPair;
import io.jwg.tests.support.WireGuardGo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code JWG_CONFIG_FILE} against {@code wg setconf}: the same file given to jwg at start and
 * to a running wireguard-go through {@code wg setconf} must give the same {@code wg showconf}
 * (peers as a set, a random listen port masked). A file {@code wg setconf} rejects makes
 * {@code jwg IFNAME} exit 1 with one line naming the file and line, leaving no process,
 * interface or socket behind.
 *
 * <p>Deliberate divergence, checked in {@code ConfFileTest} alone: a port above 65535 is an
 * error for jwg, while {@code wg setconf} takes it modulo 65536 (70000 becomes 4464).
 */
class ConfFileDifferentialTest {
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern LISTEN_PORT = Pattern.compile("ListenPort = \\d+");

    private final WgKeyPair own = WgKeyPair.generate();
    private final WgKeyPair a = WgKeyPair.generate();
    private final WgKeyPair b = WgKeyPair.generate();
    private final WgKeyPair psk = WgKeyPair.generate(); // any 32 random bytes in base64 make a PSK
    private Path dir;

    @BeforeEach
    void requirements() throws IOException {
        Environment.requireWireGuardGoInterop();
        Assumptions.assumeTrue(Daemons.jwgIsReal(), "JWG_CONFIG_FILE is jwg's own");
        dir = Files.createTempDirectory("jo-conf");
    }

    @AfterEach
    void removeFiles() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }

    @Test
    void shouldMatchWgSetconfOnWireGuardGo() {
        assertSameAsSetconf("""
                # everything wg setconf reads, in config.c's loose syntax
                [Interface]
                PrivateKey = %s
                ListenPort = 51820
                FwMark = 0x1234

                [Peer]
                PublicKey = %s
                PresharedKey = %s
                Endpoint = 192.0.2.1:51820   # a comment after a value
                Persistent Keepalive = 25
                AllowedIPs = 10.0.0.0/8, fd00::/64
                allowedips = 10.9.0.1/16

                [peer]
                PUBLICKEY = %s
                Endpoint = [2001:db8::1]:7
                AllowedIPs = ::ffff:10.0.0.0/104, 0.0.0.0/0
                """.formatted(own.privateKey(), a.publicKey(), psk.privateKey(), b.publicKey()));
    }

    @Test
    void shouldMatchWgSetconfForEndpointFormsAndOffValues() {
        assertSameAsSetconf("""
                [Interface]
                PrivateKey = %s
                FwMark = off
                [Peer]
                PublicKey = %s
                Endpoint = [fe80::1%%lo]:5
                PersistentKeepalive = off
                PresharedKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
                [Peer]
                PublicKey = %s
                Endpoint = ::1:9
                [Peer]
                PublicKey = %s
                Endpoint = [192.0.2.9]:10
                AllowedIPs = 10.1.0.0/16
                """.formatted(own.privateKey(), a.publicKey(), b.publicKey(), psk.publicKey()));
    }

    @Test
    void shouldMatchWgSetconfForARepeatedPeerAndNoPrivateKey() {
        assertSameAsSetconf("""
                [Interface]
                ListenPort = 51821
                [Peer]
                PublicKey = %s
                AllowedIPs = 10.1.0.0/16
                [Peer]
                PublicKey = %s
                AllowedIPs = 10.2.0.0/16
                PersistentKeepalive = 5
                """.formatted(a.publicKey(), a.publicKey()));
    }

    @Test
    void shouldFailLikeWgSetconfWithOneLineAndLeaveNothingBehind() {
        String interfaceHead = "[Interface]\nPrivateKey = " + own.privateKey() + "\n";
        List<BadFile> bad = List.of(
                new BadFile(interfaceHead + "Address = 10.0.0.1/24\n", 3),
                new BadFile(interfaceHead + "[Peer]\nAllowedIPs = 10.0.0.0/8\n", 3),
                new BadFile(interfaceHead + "[Peer]\nPublicKey = " + a.publicKey().substring(1) + "\n", 4),
                new BadFile(interfaceHead + "[Peer]\nPublicKey = " + a.publicKey() + "\nAllowedIPs = 10.0.0.0/33\n", 5),
                new BadFile("ListenPort = 1\n[Interface]\n", 1),
                new BadFile(interfaceHead + "[Peers]\n", 3),
                new BadFile(interfaceHead + "ListenPort = 5x\n", 3));
        for (BadFile file : bad) {
            Path conf = write(file.text());
            String ifname = Daemon.uniqueIfname("jo");
            try (Netns referenceNs = Netns.create(); Netns ns = Netns.create();
                    Daemon reference = WireGuardGo.start(referenceNs)) {
                ExecResult setconf = reference.wg("setconf", reference.ifname(), conf.toString());
                ExecResult launch = ns.exec(LAUNCH_TIMEOUT, "env", "JWG_CONFIG_FILE=" + conf, Jwg.executable().toString(),
                        ifname);

                String what = file.text() + "\n" + setconf.describe() + "\n" + launch.describe();
                assertEquals(1, setconf.exitCode(), "wg setconf accepted it: " + what);
                assertEquals(1, launch.exitCode(), what);
                List<String> lines = launch.stderr().lines().filter(line -> !line.isBlank()).toList();
                assertEquals(1, lines.size(), what);
                assertTrue(lines.get(0).startsWith("Invalid JWG_CONFIG_FILE: " + conf + ":" + file.line() + ": "), what);
                assertFalse(lines.get(0).contains(own.privateKey()), "the error quotes the private key");
                assertFalse(Files.exists(Daemon.socketOf(ifname)), "socket left behind");
                assertFalse(ns.exec("ip", "link", "show", ifname).ok(), "interface left behind");
                assertTrue(Exec.run("ip", "netns", "pids", ns.name()).stdout().isBlank(), "process left behind");
            } finally {
                delete(conf);
            }
        }
    }

    /** A file wg setconf rejects, and the line the error must name. */
    private record BadFile(String text, int line) {
    }

    private void assertSameAsSetconf(String text) {
        Path conf = write(text);
        try (Netns referenceNs = Netns.create(); Netns ns = Netns.create();
                Daemon reference = WireGuardGo.start(referenceNs);
                Daemon jwg = Jwg.startConfigured(ns, Daemon.uniqueIfname("jo"), conf)) {
            ExecResult setconf = reference.wg("setconf", reference.ifname(), conf.toString());
            assertEquals(0, setconf.exitCode(), setconf::describe);
            // Up, so both have bound their port: jwg reports none while its link is down.
            for (Daemon daemon : List.of(reference, jwg)) {
                daemon.netns().execOk("ip", "link", "set", daemon.ifname(), "up");
            }
            boolean randomPort = !text.contains("ListenPort");

            Await.assertWithin(Duration.ofSeconds(5), () -> showconf(jwg, randomPort).contains("ListenPort"),
                    () -> "jwg bound no port\n" + jwg.describe());
            assertEquals(showconf(reference, randomPort), showconf(jwg, randomPort), () -> text + "\n" + jwg.log());
        } finally {
            delete(conf);
        }
    }

    /** {@code wg showconf} with peers as a sorted set and a random listen port masked. */
    private static String showconf(Daemon daemon, boolean randomPort) {
        String text = daemon.wgOk("showconf", daemon.ifname()).stdout();
        String[] sections = text.split("\n(?=\\[Peer\\])");
        String head = sections[0];
        if (randomPort) {
            head = LISTEN_PORT.matcher(head).replaceAll("ListenPort = (random)");
        }
        return head + "\n" + String.join("\n", new TreeSet<>(List.of(sections).subList(1, sections.length)));
    }

    private Path write(String text) {
        try {
            Path file = Files.createTempFile(dir, "jo", ".conf",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
