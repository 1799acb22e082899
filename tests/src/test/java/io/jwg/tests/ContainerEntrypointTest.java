package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.Installation;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import io.jwg.tests.support.WireGuardGo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The container's entry point ({@code packaging/container/entrypoint.sh}) without a container
 * engine: run inside a network namespace with {@code JWG_CONFIG_DIR} pointing at real wg-quick
 * configurations, it brings every one up through wg-quick with jwg (the {@code jwg} on
 * {@code PATH}, as in the image), the tunnels carry pings to wireguard-go, and SIGTERM takes them
 * all down (interfaces, sockets, daemons) and exits 0. A vanished interface makes it exit 1.
 */
class ContainerEntrypointTest {
    private static final Duration UP_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration DOWN_TIMEOUT = Duration.ofSeconds(10);

    private Path configDir;
    private Process entrypoint;
    private Path output;

    @BeforeEach
    void requirements() throws IOException {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("wg-quick", "bash");
        configDir = Files.createTempDirectory("jo-config");
        output = Files.createTempFile("jo-entrypoint", ".log");
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (entrypoint != null) {
            entrypoint.destroyForcibly();
        }
        Installation.deleteTree(configDir);
        Files.deleteIfExists(output);
    }

    @Test
    void shouldBringUpEveryConfigurationAndTakeThemDownOnSigterm() throws Exception {
        String first = Daemon.uniqueIfname("jo");
        String second = Daemon.uniqueIfname("jo");
        try (Netns ns = Netns.create(); Netns farNs = Netns.create()) {
            ns.veth(farNs, Pair.OUTER_A4 + "/24", Pair.OUTER_B4 + "/24");
            try (Daemon goA = WireGuardGo.start(farNs); Daemon goB = WireGuardGo.start(farNs)) {
                writeConfig(first, goA, "10.251.0", 51820);
                writeConfig(second, goB, "10.252.0", 51821);

                start(ns);
                awaitUp(ns);
                DaemonInteropTest.assertPing(ns, "10.251.0.2", goA);
                DaemonInteropTest.assertPing(ns, "10.252.0.2", goB);
                assertFalse(processesIn(ns).size() < 3, "expected the entry point and two daemons in " + ns);

                entrypoint.destroy(); // SIGTERM, as docker stop sends

                assertTrue(entrypoint.waitFor(DOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS), this::describe);
                assertEquals(0, entrypoint.exitValue(), this::describe);
                for (String ifname : List.of(first, second)) {
                    assertFalse(ns.exec("ip", "link", "show", ifname).ok(), ifname + " left behind\n" + describe());
                    assertFalse(Files.exists(Daemon.socketOf(ifname)), ifname + "'s socket left behind");
                }
                Await.assertWithin(Duration.ofSeconds(2), () -> processesIn(ns).isEmpty(),
                        () -> "processes left in " + ns + ": " + processesIn(ns));
            }
        }
    }

    @Test
    void shouldExitOneWhenAnInterfaceDisappears() throws Exception {
        String ifname = Daemon.uniqueIfname("jo");
        try (Netns ns = Netns.create(); Netns farNs = Netns.create()) {
            ns.veth(farNs, Pair.OUTER_A4 + "/24", Pair.OUTER_B4 + "/24");
            try (Daemon go = WireGuardGo.start(farNs)) {
                writeConfig(ifname, go, "10.251.0", 51820);
                start(ns);
                awaitUp(ns);

                ns.execOk("ip", "link", "del", ifname);

                assertTrue(entrypoint.waitFor(DOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS), this::describe);
                assertEquals(1, entrypoint.exitValue(), this::describe);
                assertTrue(read(output).contains("interface " + ifname + " is gone"), this::describe);
            } finally {
                Files.deleteIfExists(Daemon.socketOf(ifname));
            }
        }
    }

    @Test
    void shouldRefuseAnEmptyConfigDirectory() throws Exception {
        try (Netns ns = Netns.create()) {
            start(ns);

            assertTrue(entrypoint.waitFor(DOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS), this::describe);
            assertEquals(1, entrypoint.exitValue(), this::describe);
            assertEquals("jwg-entrypoint: no *.conf in " + configDir + " (mount your wg-quick configurations there)",
                    read(output).strip());
        }
    }

    /**
     * Writes {@code ifname.conf}: address {@code net.1/24}, a tunnel to {@code go} (configured here
     * as its peer, address {@code net.2}) listening on {@code port} on both sides.
     */
    private void writeConfig(String ifname, Daemon go, String net, int port) throws IOException {
        WgKeyPair own = WgKeyPair.generate();
        WgKeyPair far = WgKeyPair.generate();
        Pair.configure(go, far, port, own, null, net + ".1/32", 0);
        go.up(net + ".2/24");
        Path conf = configDir.resolve(ifname + ".conf");
        Files.createFile(conf, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(conf, """
                [Interface]
                Address = %s.1/24
                ListenPort = %d
                PrivateKey = %s

                [Peer]
                PublicKey = %s
                Endpoint = %s:%d
                AllowedIPs = %s.2/32
                """.formatted(net, port, own.privateKey(), far.publicKey(), Pair.OUTER_B4, port, net));
    }

    /** Starts the entry point in {@code ns}, with jwg (or, validating, wireguard-go) as the image has it. */
    private void start(Netns ns) throws IOException {
        List<String> command = new ArrayList<>(List.of("env", "JWG_CONFIG_DIR=" + configDir,
                "PATH=" + Jwg.home().resolve("bin") + ":" + System.getenv("PATH")));
        if (!Daemons.jwgIsReal()) {
            command.add("WG_QUICK_USERSPACE_IMPLEMENTATION=" + Daemons.jwgExecutable());
        }
        command.addAll(List.of("bash", Jwg.home().resolve("packaging/container/entrypoint.sh").toString()));
        entrypoint = new ProcessBuilder(ns.command(command.toArray(String[]::new)))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    private void awaitUp(Netns ns) {
        Await.assertWithin(UP_TIMEOUT, () -> read(output).contains("jwg-entrypoint: up:") || !entrypoint.isAlive(),
                this::describe);
        assertTrue(entrypoint.isAlive(), this::describe);
    }

    private static List<ProcessHandle> processesIn(Netns ns) {
        return Exec.run("ip", "netns", "pids", ns.name()).stdout().lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .flatMap(pid -> ProcessHandle.of(Long.parseLong(pid)).stream())
                .filter(ProcessHandle::isAlive)
                .toList();
    }

    private String describe() {
        return "entry point " + (entrypoint.isAlive() ? "running" : "exited " + entrypoint.exitValue())
                + "\n--- output\n" + read(output);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
