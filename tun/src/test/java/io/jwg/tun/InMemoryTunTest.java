package io.jwg.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tun.TunDevice.LinkState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryTunTest {
    private static final Duration SHORT = Duration.ofMillis(20);

    @Test
    void shouldReadInjectedPacketsInOrderAtTheBufferPosition() throws IOException {
        InMemoryTun tun = new InMemoryTun("wg0");
        assertTrue(tun.inject(new byte[] {0x45, 1, 2}));
        assertTrue(tun.inject(new byte[] {0x60, 9}));

        ByteBuffer dst = ByteBuffer.allocateDirect(100).position(10);
        assertEquals(3, tun.read(dst));
        assertEquals(13, dst.position());
        assertEquals(2, tun.read(dst));
        assertEquals(15, dst.position());
        assertEquals(0x45, dst.get(10));
        assertEquals(0x60, dst.get(13));
        assertEquals(0, tun.pendingReads());
    }

    @Test
    void shouldAdvanceTheInjectedBufferAndCopyIt() throws IOException {
        InMemoryTun tun = new InMemoryTun("wg0");
        ByteBuffer packet = ByteBuffer.wrap(new byte[] {0x45, 7});
        tun.inject(packet);
        assertFalse(packet.hasRemaining());
        packet.put(0, (byte) 0);

        ByteBuffer dst = ByteBuffer.allocate(10);
        tun.read(dst);
        assertEquals(0x45, dst.get(0));
    }

    @Test
    void shouldTruncateAPacketLongerThanTheBuffer() throws IOException {
        InMemoryTun tun = new InMemoryTun("wg0");
        tun.inject(new byte[] {1, 2, 3, 4});
        ByteBuffer dst = ByteBuffer.allocate(2);
        assertEquals(2, tun.read(dst));
        assertArrayEquals(new byte[] {1, 2}, dst.array());
    }

    @Test
    void shouldHandWrittenPacketsToTheTest() throws Exception {
        InMemoryTun tun = new InMemoryTun("wg0");
        ByteBuffer src = ByteBuffer.wrap(new byte[] {0, 0x45, 5, 6}).position(1);
        assertEquals(3, tun.write(src));
        assertFalse(src.hasRemaining());

        ByteBuffer taken = tun.take(SHORT);
        assertArrayEquals(new byte[] {0x45, 5, 6}, taken.array());
        assertNull(tun.take(SHORT));
        assertNull(tun.poll());
    }

    @Test
    void shouldWakeATakerWhenAPacketIsWritten() throws Exception {
        InMemoryTun tun = new InMemoryTun("wg0");
        CompletableFuture<ByteBuffer> taken = CompletableFuture.supplyAsync(() -> {
            try {
                return tun.take(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        tun.write(ByteBuffer.wrap(new byte[] {0x45}));
        assertEquals(1, taken.get(5, TimeUnit.SECONDS).remaining());
    }

    @Test
    void shouldDropAndCountWhenAQueueIsFull() throws IOException {
        InMemoryTun tun = new InMemoryTun("wg0", 1);
        assertTrue(tun.inject(new byte[] {1}));
        assertFalse(tun.inject(new byte[] {2}));
        assertEquals(1, tun.injectDrops());

        tun.write(ByteBuffer.wrap(new byte[] {1}));
        assertEquals(1, tun.write(ByteBuffer.wrap(new byte[] {2})));
        assertEquals(1, tun.writeDrops());
        assertEquals(1, tun.pendingWrites());
    }

    @Test
    void shouldWakeABlockedReaderOnClose() throws Exception {
        InMemoryTun tun = new InMemoryTun("wg0");
        CompletableFuture<Integer> read = readAsync(tun);
        assertThrows(java.util.concurrent.TimeoutException.class, () -> read.get(50, TimeUnit.MILLISECONDS));

        tun.close();
        assertEquals(TunDevice.CLOSED, read.get(5, TimeUnit.SECONDS));
        assertEquals(TunDevice.CLOSED, tun.read(ByteBuffer.allocate(10)));
        tun.close(); // idempotent
    }

    @Test
    void shouldWakeABlockedReaderWhenTheLinkIsGone() throws Exception {
        InMemoryTun tun = new InMemoryTun("wg0");
        CompletableFuture<Integer> read = readAsync(tun);
        tun.setLinkState(LinkState.GONE);

        assertEquals(TunDevice.CLOSED, read.get(5, TimeUnit.SECONDS));
        assertEquals(LinkState.GONE, tun.linkState());
        tun.setLinkState(LinkState.UP);
        assertEquals(LinkState.GONE, tun.linkState(), "a deleted interface stays deleted");
        assertThrows(IOException.class, () -> tun.write(ByteBuffer.wrap(new byte[] {0x45})));
    }

    @Test
    void shouldRefuseWritesLikeTheKernelWhenDownOrEmptyButStayUsable() throws Exception {
        InMemoryTun tun = new InMemoryTun("wg0");
        tun.setLinkState(LinkState.DOWN);
        assertEquals(LinkState.DOWN, tun.linkState());
        IOException down = assertThrows(IOException.class, () -> tun.write(ByteBuffer.wrap(new byte[] {0x45})));
        assertTrue(down.getMessage().contains("Input/output error"), down.getMessage());

        tun.setLinkState(LinkState.UP);
        assertThrows(IOException.class, () -> tun.write(ByteBuffer.allocate(0)));
        assertEquals(1, tun.write(ByteBuffer.wrap(new byte[] {0x45})));
        assertEquals(LinkState.UP, tun.linkState());
    }

    @Test
    void shouldKeepTheMtuWithinWhatLinuxAccepts() throws IOException {
        InMemoryTun tun = new InMemoryTun("wg0");
        assertEquals(InMemoryTun.DEFAULT_MTU, tun.mtu());
        tun.setMtu(1280);
        assertEquals(1280, tun.mtu());
        assertThrows(IOException.class, () -> tun.setMtu(67));
        assertThrows(IOException.class, () -> tun.setMtu(65536));
        assertEquals(1280, tun.mtu());
    }

    @Test
    void shouldFailOperationsAfterCloseWithAClearMessage() {
        InMemoryTun tun = new InMemoryTun("wg7");
        tun.close();
        IOException e = assertThrows(IOException.class, () -> tun.write(ByteBuffer.wrap(new byte[] {0x45})));
        assertEquals("TUN interface wg7 is closed", e.getMessage());
        assertThrows(IOException.class, tun::mtu);
        assertThrows(IOException.class, tun::linkState);
        assertFalse(tun.inject(new byte[] {1}));
    }

    private static CompletableFuture<Integer> readAsync(TunDevice tun) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return tun.read(ByteBuffer.allocate(100));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
