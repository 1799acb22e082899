package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link UdpSocket} on loopback: local addresses, sources, batching, sizes, bind errors, close, allocation. No root needed. */
@ExtendWith(LeakCheck.class)
class UdpSocketTest {
    private static final long TIMEOUT_SECONDS = 10;
    private static final InetAddress V4 = address("127.0.0.1");
    private static final InetAddress V4_OTHER = address("127.0.0.2");
    private static final InetAddress V6 = address("::1");

    private static MultiThreadIoEventLoopGroup group;
    private static IoEventLoop loop;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startLoop() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = group.next();
    }

    @AfterAll
    static void stopLoop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    /** A received datagram, copied out of the reused view. */
    record Received(byte[] bytes, InetSocketAddress source, InetAddress local) {
    }

    /** Copies every datagram into a queue and counts wake-ups. */
    static final class Recording implements UdpSocket.Receiver {
        final LinkedBlockingQueue<Received> queue = new LinkedBlockingQueue<>();
        final AtomicInteger batches = new AtomicInteger();

        @Override
        public void onDatagram(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
            byte[] bytes = new byte[datagram.remaining()];
            datagram.get(bytes);
            queue.add(new Received(bytes, source, local));
        }

        @Override
        public void onBatchEnd() {
            batches.incrementAndGet();
        }

        Received take() throws InterruptedException {
            Received r = queue.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (r == null) {
                throw new AssertionError("no datagram within " + TIMEOUT_SECONDS + " s");
            }
            return r;
        }
    }

    private UdpSocket open(int port, UdpSocket.Receiver receiver) throws IOException {
        UdpSocket socket = UdpSocket.open(loop, port, receiver);
        closeables.add(socket);
        SocketOptions.setBuffers(socket.fd(), 7 << 20);
        return socket;
    }

    private DatagramChannel sender(InetAddress from) throws IOException {
        DatagramChannel channel = DatagramChannel.open(from instanceof Inet6Address ? StandardProtocolFamily.INET6
                : StandardProtocolFamily.INET);
        closeables.add(channel);
        channel.bind(new InetSocketAddress(from, 0));
        return channel;
    }

    private static void send(DatagramChannel channel, byte[] bytes, InetAddress to, int port) throws IOException {
        int sent = channel.send(ByteBuffer.wrap(bytes), new InetSocketAddress(to, port));
        assertEquals(bytes.length, sent, "sent");
    }

    @Test
    void shouldBindDualStackToAFreePort() throws Exception {
        UdpSocket socket = open(0, new Recording());
        assertTrue(socket.port() > 0, "port " + socket.port());
        assertTrue(socket.ipv6(), "dual-stack AF_INET6 socket");
        assertTrue(socket.fd() > 2, "fd " + socket.fd());
        assertTrue(socket.isOpen());
    }

    @Test
    void shouldHoldDatagramsSentBeforeReceivingStartedAndDeliverThemThen() throws Exception {
        Recording receiver = new Recording();
        UdpSocket socket = UdpSocket.bindOnly(loop, 0, receiver);
        closeables.add(socket);
        DatagramChannel v4 = sender(V4);
        send(v4, new byte[] {7}, V4, socket.port());
        send(v4, new byte[] {8}, V4, socket.port());
        // The port is taken, not refused; nothing is read until receiving starts.
        assertThrows(BindException.class, () -> UdpSocket.bindOnly(loop, socket.port(), new Recording()).close());
        assertEquals(null, receiver.queue.poll(200, TimeUnit.MILLISECONDS), "read before startReceiving");

        socket.startReceiving();
        assertArrayEquals(new byte[] {7}, receiver.take().bytes());
        assertArrayEquals(new byte[] {8}, receiver.take().bytes());
    }

    @Test
    void shouldDropOnlyWhatArrivedBeforeTheGivenInstant() throws Exception {
        Recording receiver = new Recording();
        UdpSocket socket = UdpSocket.bindOnly(loop, 0, receiver);
        closeables.add(socket);
        StaleDatagrams.stamp(socket.fd(), true);
        // The first socket on the box to ask for timestamps turns them on from a kernel work item,
        // a moment later; a datagram arriving before that is stamped when read, i.e. not stale.
        Thread.sleep(100);
        DatagramChannel v4 = sender(V4);
        send(v4, new byte[] {1}, V4, socket.port());
        send(v4, new byte[] {2}, V4, socket.port());
        Thread.sleep(20);
        Instant up = Instant.now();
        Thread.sleep(20);
        send(v4, new byte[] {3}, V4, socket.port());
        send(v4, new byte[] {4}, V4, socket.port());

        assertEquals(2, StaleDatagrams.discardBefore(socket.fd(), up.getEpochSecond() * 1_000_000_000L + up.getNano()));
        StaleDatagrams.stamp(socket.fd(), false);
        socket.startReceiving();
        assertArrayEquals(new byte[] {3}, receiver.take().bytes());
        assertArrayEquals(new byte[] {4}, receiver.take().bytes());
        assertEquals(null, receiver.queue.poll(100, TimeUnit.MILLISECONDS));
        assertEquals(0, StaleDatagrams.discardBefore(socket.fd(), Long.MAX_VALUE), "an empty queue");
    }

    @Test
    void shouldCloseASocketThatNeverReceived() throws Exception {
        UdpSocket socket = UdpSocket.bindOnly(loop, 0, new Recording());
        int port = socket.port();
        socket.close();
        assertFalse(socket.isOpen());
        open(port, new Recording()).close(); // the port is free again
    }

    @Test
    void shouldReportTheLocalAddressEachDatagramWasSentTo() throws Exception {
        Recording receiver = new Recording();
        UdpSocket socket = open(0, receiver);
        DatagramChannel v4 = sender(V4);
        DatagramChannel v6 = sender(V6);

        send(v4, new byte[] {1}, V4, socket.port());
        assertEquals(V4, receiver.take().local());
        send(v4, new byte[] {2}, V4_OTHER, socket.port());
        Received other = receiver.take();
        assertEquals(V4_OTHER, other.local());
        assertInstanceOf(Inet4Address.class, other.local());
        send(v6, new byte[] {3}, V6, socket.port());
        Received six = receiver.take();
        assertEquals(V6, six.local());
        assertInstanceOf(Inet6Address.class, six.local());
    }

    @Test
    void shouldDecodeSourcesAndHandBackTheSameObjects() throws Exception {
        Recording receiver = new Recording();
        UdpSocket socket = open(0, receiver);
        DatagramChannel v4 = sender(V4_OTHER);
        DatagramChannel v6 = sender(V6);
        int v4Port = ((InetSocketAddress) v4.getLocalAddress()).getPort();
        int v6Port = ((InetSocketAddress) v6.getLocalAddress()).getPort();

        send(v4, new byte[] {1}, V4, socket.port());
        send(v4, new byte[] {2}, V4, socket.port());
        send(v6, new byte[] {3}, V6, socket.port());
        Received first = receiver.take();
        Received second = receiver.take();
        Received third = receiver.take();

        assertEquals(new InetSocketAddress(V4_OTHER, v4Port), first.source());
        assertInstanceOf(Inet4Address.class, first.source().getAddress());
        assertSame(first.source(), second.source(), "a cached source is the same object");
        assertSame(first.local(), second.local(), "a cached local address is the same object");
        assertEquals(new InetSocketAddress(V6, v6Port), third.source());
        assertInstanceOf(Inet6Address.class, third.source().getAddress());
    }

    @Test
    void shouldNotConfuseDifferentPeers() throws Exception {
        Recording receiver = new Recording();
        UdpSocket socket = open(0, receiver);
        DatagramChannel a = sender(V4);
        DatagramChannel b = sender(V4_OTHER);
        send(a, new byte[] {1}, V4, socket.port());
        send(b, new byte[] {2}, V4, socket.port());
        Received fromA = receiver.take();
        Received fromB = receiver.take();
        assertNotEquals(fromA.source(), fromB.source());
        assertEquals(a.getLocalAddress(), fromA.source());
        assertEquals(b.getLocalAddress(), fromB.source());
    }

    @Test
    void shouldReceiveOnAnIpv4OnlySocket() throws Exception {
        Recording receiver = new Recording();
        UdpSocket socket = UdpSocket.openIpv4Only(loop, 0, receiver);
        closeables.add(socket);
        assertFalse(socket.ipv6());
        DatagramChannel v4 = sender(V4);
        send(v4, new byte[] {1}, V4_OTHER, socket.port());
        Received r = receiver.take();
        assertEquals(v4.getLocalAddress(), r.source());
        assertInstanceOf(Inet4Address.class, r.source().getAddress());
        assertEquals(V4_OTHER, r.local());
    }

    @Test
    void shouldReplyFromTheAddressThePeerReachedThroughUdpSender() throws Exception {
        for (boolean dualStack : new boolean[] {true, false}) {
            Recording receiver = new Recording();
            UdpSocket socket = dualStack ? open(0, receiver) : UdpSocket.openIpv4Only(loop, 0, receiver);
            closeables.add(socket);
            UdpSender sender = new UdpSender();
            List<InetAddress[]> cases = new ArrayList<>();
            cases.add(new InetAddress[] {V4, V4_OTHER});
            cases.add(new InetAddress[] {V4_OTHER, V4});
            if (dualStack) {
                cases.add(new InetAddress[] {V6, V6});
            }
            for (InetAddress[] c : cases) {
                DatagramChannel peer = sender(c[0]);
                send(peer, new byte[] {7}, c[1], socket.port());
                Received r = receiver.take();
                assertEquals(c[1], r.local());
                ByteBuffer reply = ByteBuffer.allocateDirect(3).put(new byte[] {1, 2, 3}).flip();
                assertEquals(UdpSender.Result.SENT, sender.send(socket.fd(), socket.ipv6(), reply, r.source(), r.local()));
                ByteBuffer in = ByteBuffer.allocate(16);
                peer.configureBlocking(true);
                InetSocketAddress from = (InetSocketAddress) peer.receive(in);
                assertEquals(new InetSocketAddress(c[1], socket.port()), from, "sticky source, dual-stack " + dualStack);
                assertEquals(3, in.flip().remaining());
            }
        }
    }

    @Test
    void shouldSendRunsAsGsoMessagesAndSplitWhatTheKernelCoalesces() throws Exception {
        int[] sizes = new int[60];
        java.util.Arrays.fill(sizes, 1200);
        sizes[20] = 700; // ends the first run
        sizes[21] = 1300; // larger: starts a new one
        sizes[59] = 90; // a shorter last segment
        for (boolean gro : new boolean[] {true, false}) {
            Recording receiver = new Recording();
            UdpSocket socket = open(0, receiver);
            if (gro) {
                assertTrue(SocketOptions.enableGro(socket.fd()), "UDP_GRO accepted");
            }
            ByteBuffer data = ByteBuffer.allocateDirect(sizes.length * 1300);
            long base = com.sun.jna.Pointer.nativeValue(com.sun.jna.Native.getDirectBufferPointer(data));
            UdpSender sender = new UdpSender();
            sender.batchClear();
            for (int i = 0; i < sizes.length; i++) {
                data.putInt(i * 1300, i);
                data.put(i * 1300 + sizes[i] - 1, (byte) i);
                assertTrue(sender.batchAdd(base + i * 1300L, sizes[i]));
            }
            CountDownLatch release = holdLoop();
            assertEquals(sizes.length, sender.batchSend(socket.fd(), socket.ipv6(), 0, new InetSocketAddress(V4, socket.port()), null));
            release.countDown();
            for (int i = 0; i < sizes.length; i++) {
                Received r = receiver.take();
                assertEquals(sizes[i], r.bytes().length, "size of datagram " + i + ", GRO " + gro);
                assertEquals(i, ByteBuffer.wrap(r.bytes()).getInt(), "order, GRO " + gro);
                assertEquals((byte) i, r.bytes()[sizes[i] - 1]);
            }
            loop.submit(() -> { }).syncUninterruptibly();
            if (UdpOffload.gso()) {
                assertEquals(gro, socket.coalesced() > 0, "coalesced receives with GRO " + gro + ": " + socket.coalesced());
            }
        }
    }

    /** Holds the event loop until the returned latch is released, so the kernel queues what is sent meanwhile. */
    private static CountDownLatch holdLoop() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        loop.execute(() -> {
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        return release;
    }

    @Test
    void shouldSayEagainWhenNothingIsWaiting() throws Exception {
        UdpSocket socket = open(0, new Recording());
        RecvBatch batch = new RecvBatch(4, new AddressCache(4), new AddressCache(4));
        assertEquals(-11, batch.receive(socket.fd()), "-EAGAIN: errno survives JNA's direct call");
        assertThrows(IndexOutOfBoundsException.class, () -> batch.datagram(0));
    }

    @Test
    void shouldReadABurstCompleteAndInOrderInFewerWakeUpsThanDatagrams() throws Exception {
        Recording receiver = new Recording();
        UdpSocket socket = open(0, receiver);
        DatagramChannel sender = sender(V4);
        int count = 1_000;
        // Hold the event loop while the burst is sent, so the kernel queues it: deterministic batches.
        CountDownLatch release = holdLoop();
        ByteBuffer datagram = ByteBuffer.allocate(64);
        InetSocketAddress to = new InetSocketAddress(V4, socket.port());
        for (int i = 0; i < count; i++) {
            datagram.clear().putInt(i).position(64).flip();
            assertEquals(64, sender.send(datagram, to));
        }
        release.countDown();

        for (int i = 0; i < count; i++) {
            Received r = receiver.take();
            assertEquals(64, r.bytes().length);
            assertEquals(i, ByteBuffer.wrap(r.bytes()).getInt(), "datagram order");
        }
        loop.submit(() -> { }).syncUninterruptibly(); // the last wake-up's onBatchEnd has run
        int batches = receiver.batches.get();
        System.out.printf("UdpSocketTest: %d datagrams in %d wake-ups%n", count, batches);
        assertTrue(batches < count / UdpSocket.BATCH, "wake-ups " + batches);
        assertEquals(0, socket.truncated());
    }

    @Test
    void shouldDeliverEverySizeFromOneByteToTheLargestDatagram() throws Exception {
        Recording receiver = new Recording();
        UdpSocket socket = open(0, receiver);
        DatagramChannel v4 = sender(V4);
        DatagramChannel v6 = sender(V6);
        int[] sizes = {1, 2, 15, 16, 148, 1_280, 1_420, 1_500, 9_000, 32_768, 65_506, 65_507};
        for (int size : sizes) {
            byte[] bytes = pattern(size);
            send(v4, bytes, V4, socket.port());
            assertArrayEquals(bytes, receiver.take().bytes(), "IPv4 " + size + " B");
        }
        // IPv6 allows 20 more payload bytes (no IPv4 header): the largest UDP payload, 65,527 B.
        for (int size : new int[] {1, 65_507, 65_527}) {
            byte[] bytes = pattern(size);
            send(v6, bytes, V6, socket.port());
            assertArrayEquals(bytes, receiver.take().bytes(), "IPv6 " + size + " B");
        }
        assertEquals(0, socket.truncated());
    }

    @Test
    void shouldRefuseATakenPortWithABindException() throws Exception {
        UdpSocket first = open(0, new Recording());
        BindException e = assertThrows(BindException.class, () -> open(first.port(), new Recording()));
        assertTrue(e.getMessage().contains(":" + first.port()) && e.getMessage().contains("in use"), e.getMessage());

        // An IPv4-only socket on the port is a conflict too: the dual-stack socket wants both.
        DatagramChannel v4 = DatagramChannel.open(StandardProtocolFamily.INET);
        closeables.add(v4);
        v4.bind(new InetSocketAddress(0));
        int taken = ((InetSocketAddress) v4.getLocalAddress()).getPort();
        assertThrows(BindException.class, () -> open(taken, new Recording()));
    }

    @Test
    void shouldCloseCleanlyWhileTrafficArrivesAndFreeThePort() throws Exception {
        AtomicLong received = new AtomicLong();
        UdpSocket.Receiver counting = new UdpSocket.Receiver() {
            @Override
            public void onDatagram(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
                received.incrementAndGet();
            }

            @Override
            public void onBatchEnd() {
            }
        };
        UdpSocket socket = open(0, counting);
        int port = socket.port();
        AtomicBoolean stop = new AtomicBoolean();
        Thread blaster = Thread.ofPlatform().name("blaster").start(() -> blast(port, stop));
        try {
            awaitAtLeast(received, 1_000);
            socket.close();
            assertFalse(socket.isOpen());
            long atClose = received.get();
            socket.close(); // idempotent
            loop.submit(() -> { }).syncUninterruptibly(); // any wake-up still queued has run
            Thread.sleep(50); // traffic keeps arriving at a port nobody reads
            assertEquals(atClose, received.get(), "nothing delivered after close");
            assertEquals(0, socket.receiverFailures());
            assertEquals(0, socket.readErrors(), "errno " + socket.lastReadErrno());

            // The port is free again at once (wg set listen-port rebinds).
            UdpSocket again = open(port, counting);
            awaitAtLeast(received, atClose + 1_000);
            again.close();
        } finally {
            stop.set(true);
            blaster.join();
        }
    }

    @Test
    void shouldCloseFromInsideTheReceiverAtTheEndOfTheWakeUp() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        UdpSocket[] self = new UdpSocket[1];
        UdpSocket.Receiver closing = new UdpSocket.Receiver() {
            @Override
            public void onDatagram(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
                calls.incrementAndGet();
                self[0].close();
            }

            @Override
            public void onBatchEnd() {
            }
        };
        self[0] = open(0, closing);
        CountDownLatch release = holdLoop();
        DatagramChannel sender = sender(V4);
        for (int i = 0; i < 10; i++) {
            send(sender, new byte[] {(byte) i}, V4, self[0].port());
        }
        release.countDown();
        loop.submit(() -> { }).syncUninterruptibly();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (self[0].isOpen() && System.nanoTime() < deadline) {
            loop.submit(() -> { }).syncUninterruptibly();
        }
        assertFalse(self[0].isOpen());
        assertEquals(1, calls.get(), "no datagram after the receiver closed the socket");
    }

    @Test
    void shouldAllocateNothingPerDatagramFromACachedSource() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int warmUp = 20_000;
        int measured = 10_000;
        AtomicLong received = new AtomicLong();
        long[] allocated = new long[2];
        UdpSocket.Receiver counting = new UdpSocket.Receiver() {
            private long count;
            private long checksum;

            @Override
            public void onDatagram(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
                checksum += datagram.get(datagram.position()) + source.getPort() + (local == null ? 0 : 1);
                count++;
                if (count == warmUp) {
                    allocated[0] = threads.getCurrentThreadAllocatedBytes();
                } else if (count == warmUp + measured) {
                    allocated[1] = threads.getCurrentThreadAllocatedBytes();
                }
                received.lazySet(count);
            }

            @Override
            public void onBatchEnd() {
            }
        };
        UdpSocket socket = open(0, counting);
        DatagramChannel sender = sender(V4);
        InetSocketAddress to = new InetSocketAddress(V4, socket.port());
        ByteBuffer datagram = ByteBuffer.allocateDirect(148);
        // Rounds the socket buffer can hold, so none is dropped however the threads are scheduled.
        for (int sent = 0; sent < warmUp + measured; ) {
            for (int i = 0; i < 1_000; i++, sent++) {
                datagram.clear();
                datagram.put(0, (byte) sent);
                sender.send(datagram, to);
            }
            awaitAtLeast(received, sent);
        }
        double perDatagram = (double) (allocated[1] - allocated[0]) / measured;
        System.out.printf("UdpSocketTest: event loop allocated %d B over %d datagrams (%.3f B/datagram)%n",
                allocated[1] - allocated[0], measured, perDatagram);
        assertTrue(perDatagram < 1.0, perDatagram + " B/datagram");
    }

    private static void blast(int port, AtomicBoolean stop) {
        try (DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)) {
            channel.bind(new InetSocketAddress(V4, 0));
            InetSocketAddress to = new InetSocketAddress(V4, port);
            ByteBuffer datagram = ByteBuffer.allocateDirect(100);
            while (!stop.get()) {
                datagram.clear();
                channel.send(datagram, to);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void awaitAtLeast(AtomicLong counter, long value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (counter.get() < value) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + counter.get() + " of " + value + " datagrams");
            }
            Thread.sleep(1);
        }
    }

    private static byte[] pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + size);
        }
        return bytes;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
