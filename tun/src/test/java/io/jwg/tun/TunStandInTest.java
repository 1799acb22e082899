package io.jwg.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tun.TunDevice.LinkState;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The stand-in runs LinuxTun's own read, write and wake-up code over a socket pair, no root. */
class TunStandInTest {
    private static final byte[] PACKET = {0x45, 0, 0, 24, 1, 2, 3, 4, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 9, 9, 9, 9};

    @Test
    void shouldHandInjectedPacketsToTheReaderBehindAnEmptyVirtioHeader() throws Exception {
        try (TunStandIn kernel = TunStandIn.open("sa0", 1420, true); LinuxTun tun = kernel.device()) {
            assertTrue(tun.offloads());
            kernel.inject(PACKET);
            ByteBuffer dst = ByteBuffer.allocateDirect(2048);

            int n = tun.read(dst);

            assertEquals(VirtioNetHdr.SIZE + PACKET.length, n);
            byte[] read = new byte[n];
            dst.flip().get(read);
            assertArrayEquals(new byte[VirtioNetHdr.SIZE], Arrays.copyOf(read, VirtioNetHdr.SIZE));
            assertArrayEquals(PACKET, Arrays.copyOfRange(read, VirtioNetHdr.SIZE, n));
        }
    }

    @Test
    void shouldPassPacketsAsTheyAreWithoutOffloads() throws Exception {
        try (TunStandIn kernel = TunStandIn.open("sa1", 1420, false); LinuxTun tun = kernel.device()) {
            assertFalse(tun.offloads());
            kernel.inject(PACKET);
            ByteBuffer dst = ByteBuffer.allocateDirect(2048);
            assertEquals(PACKET.length, tun.read(dst));
            assertEquals(0, tun.tryRead(dst), "nothing else is ready");

            assertEquals(PACKET.length, tun.write(ByteBuffer.wrap(PACKET)));
            assertArrayEquals(PACKET, kernel.take(Duration.ofSeconds(5)));
        }
    }

    @Test
    void shouldStripTheHeaderOfWhatTheDeviceWrites() throws Exception {
        try (TunStandIn kernel = TunStandIn.open("sa2", 1420, true); LinuxTun tun = kernel.device()) {
            ByteBuffer direct = ByteBuffer.allocateDirect(PACKET.length).put(PACKET).flip();

            assertEquals(PACKET.length, tun.write(direct));

            assertArrayEquals(PACKET, kernel.take(Duration.ofSeconds(5)));
            assertNull(kernel.take(Duration.ofMillis(20)), "one write, one packet");
        }
    }

    @Test
    void shouldWakeABlockedReaderOnInjectAndOnClose() throws Exception {
        try (TunStandIn kernel = TunStandIn.open("sa3", 1420, true)) {
            LinuxTun tun = kernel.device();
            ByteBuffer dst = ByteBuffer.allocateDirect(2048);
            CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> read(tun, dst));
            Thread.sleep(50);
            assertFalse(first.isDone(), "nothing to read yet");
            kernel.inject(PACKET);
            assertEquals(VirtioNetHdr.SIZE + PACKET.length, first.get(5, TimeUnit.SECONDS));

            CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> read(tun, dst.clear()));
            Thread.sleep(50);
            tun.close();
            assertEquals(TunDevice.CLOSED, second.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldReportAnUpLinkAndTheMtuItWasGiven() throws Exception {
        try (TunStandIn kernel = TunStandIn.open("sa4", 1420, true); LinuxTun tun = kernel.device()) {
            assertEquals("sa4", tun.name());
            assertEquals(LinkState.UP, tun.linkState());
            assertEquals(1420, tun.mtu());
            tun.setMtu(1280);
            assertEquals(1280, tun.mtu());
        }
    }

    @Test
    void shouldGiveNothingAfterATimeoutAndNothingOnceTheDeviceIsClosed() throws Exception {
        try (TunStandIn kernel = TunStandIn.open("sa5", 1420, true)) {
            assertNull(kernel.take(Duration.ofMillis(20)));
            kernel.device().close();
            long start = System.nanoTime();
            assertNull(kernel.take(Duration.ofSeconds(5)));
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(2).toNanos(),
                    "the device's end is closed: end of stream at once, not a timeout");
        }
    }

    private static int read(LinuxTun tun, ByteBuffer dst) {
        try {
            return tun.read(dst);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
