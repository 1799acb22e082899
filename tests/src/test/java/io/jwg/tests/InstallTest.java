package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Installation;
import io.jwg.tests.support.Jwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.NotifyListener;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code scripts/install}: the installed launcher runs the installed jar from anywhere; the
 * installed {@code jwg@.service} command line brings a real tunnel up to wireguard-go inside
 * the part of the unit's sandbox that can be rebuilt without systemd (read-only /, private /tmp,
 * no home, only the unit's capabilities, no_new_privs; {@code unit-sandbox.sh}), notifying
 * readiness and applying {@code JWG_CONFIG_FILE}; the wg-quick drop-in's environment makes
 * {@code wg-quick up} work even when {@code WG_PROCESS_FOREGROUND=1} was set; a DESTDIR install
 * stages the same files with the final paths in the units; {@code --uninstall} removes them.
 */
class InstallTest {
    private static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(90);

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("setpriv", "unshare", "python3", "wg-quick", "bash");
        Assumptions.assumeTrue(Daemons.jwgIsReal(), "installs jwg itself");
    }

    @Test
    void shouldRunTheInstalledLauncherFromAnywhere() {
        Installation installation = Installation.get();

        ExecResult version = Exec.run(LAUNCH_TIMEOUT, null, List.of("env", "-C", "/", "-u", "JWG_HOME",
                installation.launcher().toString(), "--version"));

        assertEquals(0, version.exitCode(), version::describe);
        assertEquals(Exec.runOk(Jwg.executable().toString(), "--version").stdout(), version.stdout());
        assertTrue(version.stderr().isEmpty(), () -> "the installed launcher must not build: " + version.describe());
        assertTrue(Files.isRegularFile(installation.prefix().resolve("lib/jwg/jwg.aot")),
                "no ahead-of-time cache made at install time (the sandboxed service cannot write one)");
        assertTrue(Files.isRegularFile(installation.prefix().resolve("lib/jwg/jwg.aot.opts")),
                "no eager-compilation options recorded beside the cache (this JDK accepts them)");
    }

    @Test
    void shouldBringATunnelUpWithTheUnitsCommandInsideItsSandbox() throws IOException {
        Installation installation = Installation.get();
        String ifname = Daemon.uniqueIfname("jo");
        List<String> execStart = Arrays.asList(
                installation.unitValues("jwg@.service", "ExecStart").get(0).replace("%i", ifname).split(" "));
        String caps = Arrays.stream(installation.unitValues("jwg@.service", "CapabilityBoundingSet").get(0).split(" "))
                .map(cap -> "+" + cap.toLowerCase(Locale.ROOT).replace("cap_", ""))
                .collect(Collectors.joining(","));
        assertEquals(List.of("yes"), installation.unitValues("jwg@.service", "NoNewPrivileges"));
        assertEquals(installation.launcher().toString(), execStart.get(0));
        WgKeyPair own = WgKeyPair.generate();
        WgKeyPair far = WgKeyPair.generate();
        Path conf = privateFile(installation.prefix(), ifname + ".conf", """
                [Interface]
                PrivateKey = %s
                ListenPort = %d
                [Peer]
                PublicKey = %s
                Endpoint = %s:%d
                AllowedIPs = %s/32
                """.formatted(own.privateKey(), Pair.PORT, far.publicKey(), Pair.OUTER_B4, Pair.PORT, Pair.INNER_B4));
        List<String> command = new ArrayList<>(List.of("bash", resource("unit-sandbox.sh").toString(), caps));
        command.addAll(execStart);
        String address = "@jo-install-" + ifname;
        try (Netns ns = Netns.create(); Netns farNs = Netns.create()) {
            ns.veth(farNs, Pair.OUTER_A4 + "/24", Pair.OUTER_B4 + "/24");
            try (Daemon go = Daemons.wireguardGo(farNs);
                    NotifyListener listener = NotifyListener.start(ns, address, Daemon.socketOf(ifname));
                    Installed jwg = new Installed(ns, ifname, command,
                            Map.of("NOTIFY_SOCKET", address, "JWG_CONFIG_FILE", conf.toString()))) {
                Pair.configure(go, far, Pair.PORT, own, null, Pair.INNER_A4 + "/32", 0);
                go.up(Pair.INNER_B4 + "/24");

                assertEquals("READY=1\tlistening", listener.next(LAUNCH_TIMEOUT), jwg::log);
                String status = Files.readString(Path.of("/proc", Long.toString(jwg.pid()), "status"));
                assertTrue(status.contains("CapBnd:\t0000000000001400"), "bounding set not the unit's: " + status);
                assertTrue(status.contains("NoNewPrivs:\t1"), status);
                jwg.up(Pair.INNER_A4 + "/24");
                DaemonInteropTest.assertPing(ns, Pair.INNER_B4, go);
                DaemonInteropTest.assertPing(farNs, Pair.INNER_A4, go);

                Exec.runOk("kill", "-TERM", Long.toString(jwg.pid()));
                assertTrue(jwg.awaitExit(Duration.ofSeconds(1)), jwg::log);
                assertEquals(0, jwg.process().exitValue(), jwg::log);
                assertEquals("STOPPING=1", listener.next(Duration.ofSeconds(1)).split("\t")[0]);
            }
        } finally {
            Files.deleteIfExists(conf);
        }
    }

    /**
     * wg-quick runs {@code jwg IFNAME} and waits for it: a {@code WG_PROCESS_FOREGROUND=1} in the
     * service's environment would hang {@code wg-quick up}. The drop-in's environment (its
     * {@code Environment=} set, its {@code UnsetEnvironment=} removed) brings the tunnel up.
     */
    @Test
    void shouldBringUpWgQuickWithTheDropInsEnvironment() throws IOException {
        Installation installation = Installation.get();
        String dropIn = "wg-quick@.service.d/jwg.conf";
        // The manager's environment has it; then the drop-in's settings apply, as systemd does.
        List<String> command = new ArrayList<>(List.of("env", "WG_PROCESS_FOREGROUND=1", "env"));
        installation.unitValues(dropIn, "UnsetEnvironment").forEach(name -> command.addAll(List.of("-u", name)));
        command.addAll(installation.unitValues(dropIn, "Environment"));
        assertTrue(command.contains("-u") && command.contains("WG_PROCESS_FOREGROUND"), command::toString);
        WgKeyPair own = WgKeyPair.generate();
        WgKeyPair far = WgKeyPair.generate();
        String ifname = Daemon.uniqueIfname("jo");
        Path conf = privateFile(installation.prefix(), ifname + ".conf", """
                [Interface]
                Address = %s/24
                PrivateKey = %s
                [Peer]
                PublicKey = %s
                Endpoint = %s:%d
                AllowedIPs = %s/32
                """.formatted(Pair.INNER_A4, own.privateKey(), far.publicKey(), Pair.OUTER_B4, Pair.PORT, Pair.INNER_B4));
        try (Netns ns = Netns.create(); Netns farNs = Netns.create()) {
            ns.veth(farNs, Pair.OUTER_A4 + "/24", Pair.OUTER_B4 + "/24");
            try (Daemon go = Daemons.wireguardGo(farNs)) {
                Pair.configure(go, far, Pair.PORT, own, null, Pair.INNER_A4 + "/32", 0);
                go.up(Pair.INNER_B4 + "/24");
                List<String> up = new ArrayList<>(command);
                up.addAll(List.of("wg-quick", "up", conf.toString()));

                ExecResult result = ns.exec(LAUNCH_TIMEOUT, up.toArray(String[]::new));

                assertTrue(result.ok(), result::describe);
                DaemonInteropTest.assertPing(ns, Pair.INNER_B4, go);
                ExecResult down = ns.exec("wg-quick", "down", conf.toString());
                assertTrue(down.ok(), down::describe);
            } finally {
                Files.deleteIfExists(Daemon.socketOf(ifname));
            }
        } finally {
            Files.deleteIfExists(conf);
        }
    }

    @Test
    void shouldStageIntoADestdirAndUninstallFromIt() throws IOException {
        Path destdir = Files.createTempDirectory("jo-destdir");
        try {
            ExecResult install = Installation.install("--destdir", destdir.toString(), "--prefix", "/opt/jo");
            assertTrue(install.ok(), install::describe);
            Path prefix = destdir.resolve("opt/jo");

            assertEquals(List.of("bin/jwg", "lib/jwg/java-home", "lib/jwg/java.sh", "lib/jwg/jwg.jar", "lib/jwg/root.sh",
                    "lib/systemd/system/jwg@.service", "lib/systemd/system/wg-quick@.service.d/jwg.conf"), files(prefix));
            assertTrue(Files.isExecutable(prefix.resolve("bin/jwg")));
            String unit = Files.readString(prefix.resolve("lib/systemd/system/jwg@.service"));
            assertTrue(unit.contains("\nExecStart=/opt/jo/bin/jwg --foreground %i\n"), unit);
            String dropIn = Files.readString(prefix.resolve("lib/systemd/system/wg-quick@.service.d/jwg.conf"));
            assertTrue(dropIn.contains("\nEnvironment=WG_QUICK_USERSPACE_IMPLEMENTATION=/opt/jo/bin/jwg\n"), dropIn);
            ExecResult staged = Exec.run(LAUNCH_TIMEOUT, null, List.of("env", "JWG_JAVA_OPTS=", "JWG_HOME=" + prefix.resolve("lib/jwg"),
                    Jwg.executable().toString(), "--version"));
            assertTrue(staged.ok() && staged.stdout().startsWith("jwg v"), staged::describe);
            ExecResult missing = Exec.run(LAUNCH_TIMEOUT, null, List.of("env", "JWG_HOME=" + destdir.resolve("nowhere"),
                    Jwg.executable().toString(), "--version"));
            assertEquals(1, missing.exitCode(), missing::describe);
            assertEquals("jwg: no jwg.jar in " + destdir.resolve("nowhere") + " (JWG_HOME); install with scripts/install",
                    missing.stderr().strip());

            ExecResult uninstall = Installation.install("--destdir", destdir.toString(), "--prefix", "/opt/jo", "--uninstall");

            assertTrue(uninstall.ok(), uninstall::describe);
            assertEquals(List.of(), files(prefix));
        } finally {
            Installation.deleteTree(destdir);
        }
    }

    /** Regular files under {@code root}, relative and sorted. */
    private static List<String> files(Path root) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(Files::isRegularFile).map(path -> root.relativize(path).toString()).sorted().toList();
        }
    }

    private static Path privateFile(Path dir, String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text);
        return file;
    }

    private static Path resource(String name) {
        try {
            return Path.of(InstallTest.class.getResource("/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException(name + " is missing from the test resources", e);
        }
    }

    /** jwg started by an arbitrary command line (the unit's, inside the sandbox script). */
    private static final class Installed extends Daemon {
        Installed(Netns netns, String ifname, List<String> command, Map<String, String> env) {
            super(netns, ifname, command, env, logFile("jwg", ifname));
            try {
                awaitSocket(LAUNCH_TIMEOUT);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public String implementation() {
            return "installed jwg";
        }
    }
}
