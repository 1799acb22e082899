package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The {@code sockaddr_un} sd_notify sends to; delivery itself is {@code DaemonNotifyTest}'s, with
 * a real listener.
 */
class SdNotifyTest {
    @Test
    void shouldEndAPathWithItsNul() {
        assertArrayEquals(concat(new byte[] {1, 0}, "/run/systemd/notify".getBytes(StandardCharsets.UTF_8), new byte[] {0}),
                SdNotify.address("/run/systemd/notify"));
    }

    @Test
    void shouldStartAnAbstractNameWithNulAndNotEndIt() {
        // The address length is part of an abstract name: no NUL after it.
        assertArrayEquals(concat(new byte[] {1, 0, 0}, "jwg/notify".getBytes(StandardCharsets.UTF_8)),
                SdNotify.address("@jwg/notify"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative/path", "vsock:2:1234", "@", "/"})
    void shouldRefuseWhatItCannotAddress(String socket) {
        assertNull(SdNotify.address(socket));
    }

    @Test
    void shouldRefuseAPathLongerThanSunPath() {
        assertNull(SdNotify.address("/" + "x".repeat(107)));
        assertArrayEquals(concat(new byte[] {1, 0}, ("/" + "x".repeat(106)).getBytes(StandardCharsets.UTF_8), new byte[] {0}),
                SdNotify.address("/" + "x".repeat(106)));
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
