package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Netns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The UAPI socket is the daemon's whole control surface (keys included), so only root may use
 * it: mode 0600 (wireguard-go: 0700), owned by root. {@code wg} run as {@code nobody} is refused; root is served.
 */
class DaemonPermissionTest {
    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "wg", "setpriv");
    }

    @Test
    void shouldServeRootButRefuseOtherUsers() throws IOException {
        try (Netns ns = Netns.create(); Daemon daemon = Daemons.jwg(ns)) {
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket(), LinkOption.NOFOLLOW_LINKS));
            assertTrue(mode.endsWith("------"), () -> "group or others may use the socket: " + mode);
            if (Daemons.jwgIsReal()) {
                assertEquals("rw-------", mode); // wireguard-go's umask leaves 0700; jwg sets 0600
            }
            assertEquals("root", Files.getOwner(daemon.socket(), LinkOption.NOFOLLOW_LINKS).getName());

            ExecResult nobody = ns.exec("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    "wg", "show", daemon.ifname());
            assertFalse(nobody.ok(), nobody::describe);
            assertTrue(nobody.stderr().contains("Permission denied"), nobody::describe);
            assertFalse(nobody.stdout().contains("listening port") || nobody.stdout().contains("public key"),
                    nobody::describe);

            daemon.wgOk("show", daemon.ifname());
        }
    }
}
