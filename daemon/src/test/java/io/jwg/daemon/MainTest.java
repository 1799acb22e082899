package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line that needs no root: --help, --version, a wrong command line, bad metrics options. */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void shouldExplainEveryEnvironmentVariableInHelp() {
        assertEquals(0, run("--help"));

        String help = text(out);
        for (String variable : List.of("LOG_LEVEL", "WG_PROCESS_FOREGROUND", "WG_TUN_FD", "WG_UAPI_FD", "JWG_JAVA_OPTS",
                "JWG_EXTRA_JAVA_OPTS", "JWG_CONFIG_FILE", "NOTIFY_SOCKET", "JWG_METRICS_ADDRESS", "JWG_HOME", "JWG_AEAD",
                "JWG_UDP_OFFLOAD", "JWG_TUN_OFFLOAD", "JWG_IO_NICE", "JWG_READY_FILE")) {
            // Named at the start of its own line and followed by an explanation.
            assertTrue(help.lines().anyMatch(line -> line.matches("  " + variable + "(=\\S*)? {2,}\\S.*")),
                    () -> variable + " is not explained:\n" + help);
        }
        assertTrue(help.contains("serve Prometheus metrics on HOST:PORT"), help);
        assertEquals("", text(err));
    }

    @Test
    void shouldAnswerAWrongCommandLineWithOneLine() {
        assertEquals(1, run("-f"));

        assertEquals(List.of("Usage: jwg [-f|--foreground] [--metrics HOST:PORT] INTERFACE-NAME | jwg --version | --help | demo"),
                text(err).lines().toList());
        assertEquals("", text(out));
    }

    @Test
    void shouldPrintTheVersion() {
        assertEquals(0, run("--version"));

        assertTrue(text(out).matches("jwg v\\S+ \\(userspace WireGuard for the JVM, Java \\d+\\)\\R"), text(out));
    }

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String text(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldRejectABadMetricsAddressInOneLineBeforeCreatingAnything() {
        assertEquals(1, run("--metrics", "localhost", "jmnone0"));
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.startsWith("Failed to start: invalid metrics address 'localhost': no port"), message);
    }

    @Test
    void shouldTakeTheOptionAfterTheNameAndWithAnEqualsSign() {
        assertEquals(1, run("-f", "jmnone0", "--metrics=[::1]:99999"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("Failed to start: invalid metrics address '[::1]:99999'"));
    }

    @Test
    void shouldPrintUsageForAMissingValueOrASecondName() {
        assertEquals(1, run("jmnone0", "--metrics"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("Usage: jwg "));
        err.reset();
        assertEquals(1, run("jmnone0", "jmnone1"));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("Usage: jwg "));
    }
}
