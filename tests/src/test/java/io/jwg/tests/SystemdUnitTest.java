package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Installation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The installed units pass {@code systemd-analyze verify} without a single warning:
 * {@code jwg@.service} as an instance, and Debian's {@code wg-quick@.service} together with
 * jwg's drop-in (found through {@code SYSTEMD_UNIT_PATH}, the installed unit directory first).
 * Two controls show the check is not vacuous: a drop-in key systemd does not know is reported,
 * so the drop-in is really read, and an ExecStart that is not executable fails verification.
 * Without {@code systemd-analyze} the test is skipped with that reason (a failure under CI).
 */
class SystemdUnitTest {
    private static final Duration VERIFY_TIMEOUT = Duration.ofSeconds(60);

    @BeforeEach
    void requirements() {
        Environment.requireCommands("systemd-analyze", "wg", "wg-quick");
    }

    @Test
    void shouldVerifyTheInstalledUnitsWithoutWarnings() {
        Path units = Installation.get().unitDir();

        ExecResult verify = verify(units, "jwg@jo0.service", "wg-quick@jo0.service");

        assertEquals(0, verify.exitCode(), verify::describe);
        assertEquals("", verify.stdout() + verify.stderr(), verify::describe);
    }

    @Test
    void shouldReallyReadTheDropInAndCheckTheCommand() throws IOException {
        Path units = Installation.get().unitDir();
        Path copy = Files.createTempDirectory("jo-units");
        try {
            Files.createDirectories(copy.resolve("wg-quick@.service.d"));
            Files.writeString(copy.resolve("wg-quick@.service.d/jwg.conf"),
                    Files.readString(units.resolve("wg-quick@.service.d/jwg.conf")) + "NoSuchSetting=1\n");
            Files.writeString(copy.resolve("jwg@.service"), Files.readString(units.resolve("jwg@.service"))
                    .replace("ExecStart=" + Installation.get().launcher(), "ExecStart=" + copy.resolve("missing/jwg")));

            ExecResult dropIn = verify(copy, "wg-quick@jo0.service");
            ExecResult unit = verify(copy, "jwg@jo0.service");

            assertTrue(dropIn.stderr().contains("Unknown key 'NoSuchSetting'"), dropIn::describe);
            assertEquals(1, unit.exitCode(), unit::describe);
            assertTrue(unit.stderr().contains("missing/jwg is not executable"), unit::describe);
        } finally {
            Installation.deleteTree(copy);
        }
    }

    /** {@code systemd-analyze verify UNITS...} with {@code dir} searched before the system's units. */
    private static ExecResult verify(Path dir, String... units) {
        List<String> command = new ArrayList<>(List.of("env", "SYSTEMD_UNIT_PATH=" + dir + ":",
                "systemd-analyze", "verify", "--man=no"));
        command.addAll(List.of(units));
        return Exec.run(VERIFY_TIMEOUT, null, command);
    }
}
