package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Icmp;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.WireGuardGo;
import io.jwg.tun.LinuxTun;
import io.jwg.tun.TunDevice;
import io.jwg.tun.TunDevice.LinkState;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LinuxTun} against the real kernel (root): packets both ways with {@code ping} on the
 * other side, link state and MTU also after the interface moved to another network namespace,
 * deletion and close waking a blocked reader, {@code WG_TUN_FD} adoption and name checks.
 *
 * <p>The TUN is opened in the test JVM's (root) namespace and usually moved into a throwaway
 * {@link Netns} at once. Closing the device deletes the interface and closing the namespace
 * deletes it too, so try-with-resources cleans up also when a test fails; a JVM that dies closes
 * the fd, which deletes the interface as well.
 */
class LinuxTunTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Pattern MTU = Pattern.compile("\\bmtu (\\d+)\\b");

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "ping");
    }

    @Test
    void shouldCarryAPingThroughTheTunBothWays() throws Exception {
        int subnet = ThreadLocalRandom.current().nextInt(1, 255);
        InetAddress local = InetAddress.getByName("10.241." + subnet + ".1");
        InetAddress peer = InetAddress.getByName("10.241." + subnet + ".2");
        try (Netns ns = Netns.create(); LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname())) {
            move(tun, null, ns);
            ns.execOk("ip", "addr", "add", local.getHostAddress() + "/24", "dev", tun.name());
            ns.execOk("ip", "link", "set", tun.name(), "up");
            PacketPump pump = PacketPump.start(tun);

            CompletableFuture<ExecResult> ping = CompletableFuture.supplyAsync(
                    () -> ns.exec(Duration.ofSeconds(10), "ping", "-n", "-c", "1", "-W", "5", peer.getHostAddress()));
            Icmp.Echo request = pump.nextEcho(peer);
            assertNotNull(request, "no echo request to " + peer + " came out of the TUN");
            assertEquals(local, request.source());

            // A packet the kernel rejects fails alone; the device keeps working.
            IOException rejected = assertThrows(IOException.class, () -> tun.write(ByteBuffer.allocateDirect(20)));
            assertTrue(rejected.getMessage().contains("Invalid argument"), rejected.getMessage());

            ByteBuffer reply = ByteBuffer.wrap(Icmp.echoReply(request)); // heap buffer: the copying path
            int length = reply.remaining();
            assertEquals(length, tun.write(reply));
            assertFalse(reply.hasRemaining());

            ExecResult result = ping.get(15, TimeUnit.SECONDS);
            assertTrue(result.ok(), result::describe);
            assertTrue(result.stdout().contains("1 received"), result::describe);
        }
    }

    /**
     * The packet path allocates nothing: the reading and the writing thread each count their own
     * allocated bytes (HotSpot's per-thread counter) over a few thousand packets after warm-up.
     * UDP datagrams sent from the test JVM into a route over the TUN give the reader its packets;
     * the writer sends IPv4 packets with a bad header checksum, which the kernel accepts and drops.
     */
    @Test
    void shouldAllocateNothingPerPacket() throws Exception {
        int subnet = ThreadLocalRandom.current().nextInt(1, 255);
        InetAddress peer = InetAddress.getByName("10.242." + subnet + ".2");
        int packets = 3000;
        try (LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname());
                java.net.DatagramSocket sender = new java.net.DatagramSocket()) {
            Exec.runOk("ip", "addr", "add", "10.242." + subnet + ".1/24", "dev", tun.name());
            Exec.runOk("ip", "link", "set", tun.name(), "up");
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

            CompletableFuture<Long> readerAllocated = CompletableFuture.supplyAsync(() -> {
                ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
                long before = 0;
                try {
                    for (int i = 0; i < 2 * packets; i++) {
                        if (i == packets) {
                            before = threads.getCurrentThreadAllocatedBytes();
                        }
                        buffer.clear();
                        if (tun.read(buffer) == TunDevice.CLOSED) {
                            throw new IllegalStateException("closed after " + i + " packets");
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return threads.getCurrentThreadAllocatedBytes() - before;
            });
            java.net.DatagramPacket datagram = new java.net.DatagramPacket(new byte[64], 64,
                    new java.net.InetSocketAddress(peer, 9));
            for (int i = 0; i < 2 * packets + 500 && !readerAllocated.isDone(); i++) {
                sender.send(datagram); // the extra 500 cover IPv6 chatter mixed in (skipped as packets too)
                if (i % 200 == 0) {
                    Thread.sleep(1); // stay below the TUN's transmit queue (500 packets)
                }
            }
            long readBytes = readerAllocated.get(20, TimeUnit.SECONDS);

            ByteBuffer junk = ByteBuffer.allocateDirect(28).put(0, (byte) 0x45).put(3, (byte) 28);
            long before = 0;
            for (int i = 0; i < 2 * packets; i++) {
                if (i == packets) {
                    before = threads.getCurrentThreadAllocatedBytes();
                }
                assertEquals(28, tun.write(junk.clear()));
            }
            long writeBytes = threads.getCurrentThreadAllocatedBytes() - before;
            System.err.printf("LinuxTunTest: %d reads allocated %d bytes, %d writes %d bytes%n",
                    packets, readBytes, packets, writeBytes);
            assertTrue(readBytes < packets, "reads allocated " + readBytes + " bytes for " + packets + " packets");
            assertTrue(writeBytes < packets, "writes allocated " + writeBytes + " bytes for " + packets + " packets");
        }
    }

    @Test
    void shouldFollowLinkStateAndMtuAcrossNamespaces() throws Exception {
        try (Netns first = Netns.create(); Netns second = Netns.create();
                LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname())) {
            String name = tun.name();
            assertEquals(LinkState.DOWN, tun.linkState());
            Exec.runOk("ip", "link", "set", name, "up");
            assertEquals(LinkState.UP, tun.linkState());
            Exec.runOk("ip", "link", "set", name, "down");
            assertEquals(LinkState.DOWN, tun.linkState());
            tun.setMtu(1400);
            assertEquals(1400, mtuShownBy(Exec.runOk("ip", "link", "show", "dev", name)));
            assertEquals(1400, tun.mtu());

            Netns from = null;
            for (Netns ns : List.of(first, second)) {
                move(tun, from, ns);
                from = ns;
                assertEquals(LinkState.DOWN, tun.linkState(), "a moved interface comes down");
                ns.execOk("ip", "link", "set", name, "up");
                assertEquals(LinkState.UP, tun.linkState());
                ns.execOk("ip", "link", "set", name, "down");
                assertEquals(LinkState.DOWN, tun.linkState());
                ns.execOk("ip", "link", "set", name, "up");
                assertEquals(LinkState.UP, tun.linkState());

                int mine = ns == first ? 1380 : 1280;
                tun.setMtu(mine);
                assertEquals(mine, mtuShownBy(ns.execOk("ip", "link", "show", "dev", name)));
                ns.execOk("ip", "link", "set", name, "mtu", "1300");
                assertEquals(1300, tun.mtu());
            }
            IOException tooSmall = assertThrows(IOException.class, () -> tun.setMtu(20));
            assertTrue(tooSmall.getMessage().contains("MTU") && tooSmall.getMessage().contains(name),
                    tooSmall.getMessage());
            assertEquals(name, tun.name());
        }
    }

    @Test
    void shouldReturnClosedFromABlockedReadWhenTheInterfaceIsDeleted() throws Exception {
        try (Netns ns = Netns.create(); LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname())) {
            move(tun, null, ns);
            ns.execOk("ip", "link", "set", tun.name(), "up");
            PacketPump pump = PacketPump.start(tun);

            long start = System.nanoTime();
            ns.execOk("ip", "link", "del", "dev", tun.name());
            assertTrue(pump.awaitClosed(Duration.ofSeconds(2)), "the reader did not return CLOSED within 2 s");
            System.err.printf("LinuxTunTest: read returned CLOSED %.1f ms after ip link del%n",
                    (System.nanoTime() - start) / 1e6);

            assertEquals(LinkState.GONE, tun.linkState());
            assertEquals(TunDevice.CLOSED, tun.read(ByteBuffer.allocateDirect(1500)));
            IOException write = assertThrows(IOException.class, () -> tun.write(ByteBuffer.wrap(new byte[20])));
            assertTrue(write.getMessage().contains("deleted"), write.getMessage());
            IOException mtu = assertThrows(IOException.class, tun::mtu);
            assertTrue(mtu.getMessage().contains("deleted"), mtu.getMessage());
        }
    }

    /**
     * The daemon's readers take turns: one thread waits ({@code awaitReadable}) without reading,
     * and whoever holds the turn takes the packet ({@code tryRead}), here the test thread. The
     * waiter returns once a ping's packet is queued, which another thread may then take first;
     * after that the TUN is empty again, and deleting the interface wakes the waiter with CLOSED.
     */
    @Test
    void shouldWaitWithoutReadingAndLetAnotherThreadTakeThePacket() throws Exception {
        int subnet = ThreadLocalRandom.current().nextInt(1, 255);
        InetAddress peer = InetAddress.getByName("10.243." + subnet + ".2");
        // Own threads: the common pool may have one, and the waiter blocks in poll(2).
        ExecutorService threads = Executors.newCachedThreadPool();
        try (Netns ns = Netns.create(); LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname())) {
            move(tun, null, ns);
            // No IPv6 chatter: the wait below must see the ping's packet only.
            ns.execOk("sysctl", "-qw", "net.ipv6.conf." + tun.name() + ".disable_ipv6=1");
            ns.execOk("ip", "addr", "add", "10.243." + subnet + ".1/24", "dev", tun.name());
            ns.execOk("ip", "link", "set", tun.name(), "up");
            ByteBuffer buffer = ByteBuffer.allocateDirect(65_600);
            while (tun.tryRead(buffer.clear()) > 0) {
                // whatever the kernel sent on link-up (router solicitations and the like)
            }
            CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return tun.awaitReadable();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, threads);
            assertThrows(java.util.concurrent.TimeoutException.class, () -> waiter.get(200, TimeUnit.MILLISECONDS),
                    "awaitReadable returned with nothing queued");

            CompletableFuture<ExecResult> ping = CompletableFuture.supplyAsync(
                    () -> ns.exec(Duration.ofSeconds(10), "ping", "-n", "-c", "1", "-W", "1", peer.getHostAddress()), threads);
            assertEquals(0, waiter.get(5, TimeUnit.SECONDS), "awaitReadable did not return for a queued packet");
            Icmp.Echo echo = null;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (echo == null && System.nanoTime() < deadline) {
                int n = tun.tryRead(buffer.clear());
                assertTrue(n >= 0, "tryRead failed: " + n);
                if (n > 0) {
                    byte[] packet = new byte[n];
                    buffer.flip().get(packet);
                    Icmp.Echo parsed = Icmp.parse(packet);
                    if (parsed != null && parsed.request() && parsed.destination().equals(peer)) {
                        echo = parsed;
                    }
                }
            }
            assertNotNull(echo, "the waiting thread's packet was not there for another thread to take");
            ping.get(15, TimeUnit.SECONDS);

            CompletableFuture<Integer> closed = CompletableFuture.supplyAsync(() -> {
                try {
                    while (true) {
                        if (tun.awaitReadable() == TunDevice.CLOSED) {
                            return TunDevice.CLOSED;
                        }
                        int n = tun.tryRead(ByteBuffer.allocateDirect(65_600));
                        if (n == TunDevice.CLOSED) {
                            return n;
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, threads);
            ns.execOk("ip", "link", "del", "dev", tun.name());
            assertEquals(TunDevice.CLOSED, closed.get(5, TimeUnit.SECONDS), "deleting the interface did not end the wait");
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void shouldSeeAnInterfaceDeletedInTheRootNamespaceAsGone() throws Exception {
        try (LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname())) {
            PacketPump pump = PacketPump.start(tun);
            Exec.runOk("ip", "link", "del", "dev", tun.name());
            assertTrue(pump.awaitClosed(Duration.ofSeconds(2)), "the reader did not return CLOSED within 2 s");
            assertEquals(LinkState.GONE, tun.linkState());
        }
    }

    @Test
    void shouldWakeABlockedReaderOnCloseAndDeleteTheInterface() throws Exception {
        LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname());
        String name = tun.name();
        try {
            PacketPump pump = PacketPump.start(tun);
            assertFalse(pump.awaitClosed(Duration.ofMillis(100)), "read returned before close");

            tun.close();
            assertTrue(pump.awaitClosed(Duration.ofSeconds(2)), "close did not wake the reader within 2 s");
            assertEquals(TunDevice.CLOSED, tun.read(ByteBuffer.allocateDirect(100)));
            IOException write = assertThrows(IOException.class, () -> tun.write(ByteBuffer.wrap(new byte[20])));
            assertEquals("TUN interface " + name + " is closed", write.getMessage());
            assertThrows(IOException.class, tun::linkState);
            tun.close(); // idempotent
            assertFalse(Exec.run("ip", "link", "show", "dev", name).ok(), "closing did not delete " + name);
        } finally {
            tun.close();
        }
    }

    @Test
    void shouldAdoptAConfiguredFdAsFromWgTunFd() throws Exception {
        String name = WireGuardGo.uniqueIfname();
        int fd = TestLibC.openTun(name, TestLibC.IFF_TUN | TestLibC.IFF_NO_PI);
        try (LinuxTun tun = LinuxTun.adopt(fd, true)) {
            assertFalse(tun.offloads(), "an fd without IFF_VNET_HDR cannot get offloads");
            assertEquals(name, tun.name());
            assertEquals(LinkState.DOWN, tun.linkState());
            tun.setMtu(1420);
            assertEquals(1420, mtuShownBy(Exec.runOk("ip", "link", "show", "dev", name)));
        }
        assertFalse(Exec.run("ip", "link", "show", "dev", name).ok(), "closing did not delete " + name);
    }

    /** An inherited fd with virtio headers keeps them: offloads as asked, or headers alone. */
    @Test
    void shouldAdoptAnFdWithVirtioHeaders() throws Exception {
        for (boolean offloads : new boolean[] {true, false}) {
            String name = WireGuardGo.uniqueIfname();
            int fd = TestLibC.openTun(name, TestLibC.IFF_TUN | TestLibC.IFF_NO_PI | TestLibC.IFF_VNET_HDR);
            try (LinuxTun tun = LinuxTun.adopt(fd, offloads)) {
                assertTrue(tun.offloads());
                assertEquals(LinkState.DOWN, tun.linkState());
            }
            assertFalse(Exec.run("ip", "link", "show", "dev", name).ok(), "closing did not delete " + name);
        }
    }

    @Test
    void shouldRefuseToAdoptWhatIsNotAPlainTun() {
        int devNull = TestLibC.LIBC.open("/dev/null", TestLibC.O_RDWR);
        try {
            IOException e = assertThrows(IOException.class, () -> LinuxTun.adopt(devNull));
            assertTrue(e.getMessage().contains("is not an attached TUN device"), e.getMessage());
        } finally {
            TestLibC.LIBC.close(devNull);
        }
        IOException closedFd = assertThrows(IOException.class, () -> LinuxTun.adopt(devNull));
        assertTrue(closedFd.getMessage().contains("is not an open file descriptor"), closedFd.getMessage());

        int tap = TestLibC.openTun(WireGuardGo.uniqueIfname(), TestLibC.IFF_TAP | TestLibC.IFF_NO_PI);
        try {
            IOException e = assertThrows(IOException.class, () -> LinuxTun.adopt(tap));
            assertTrue(e.getMessage().contains("TAP"), e.getMessage());
        } finally {
            TestLibC.LIBC.close(tap);
        }
    }

    @Test
    void shouldRejectBadNamesWithClearMessages() throws Exception {
        assertEquals("interface name is empty", openFails(""));
        assertTrue(openFails("abcdefghijklmnop").startsWith("interface name too long"));
        assertTrue(openFails("wg 0").contains("invalid character"));
        assertTrue(openFails("wg/0").contains("invalid character '/'"));
        assertTrue(openFails("lo").contains("exists and is not a TUN device"), openFails("lo"));
        try (LinuxTun tun = LinuxTun.open(WireGuardGo.uniqueIfname())) {
            String busy = openFails(tun.name());
            assertTrue(busy.contains("already in use"), busy);
        }
        try (LinuxTun fifteen = LinuxTun.open("jwgt" + WireGuardGo.uniqueIfname().substring(3) + "abcde")) {
            assertEquals(15, fifteen.name().length());
        }
    }

    private static String openFails(String name) {
        return assertThrows(IOException.class, () -> LinuxTun.open(name).close()).getMessage();
    }

    /** Moves the interface from {@code from} (null: the root namespace) into {@code to}. */
    private static void move(LinuxTun tun, Netns from, Netns to) {
        if (from == null) {
            Exec.runOk("ip", "link", "set", "dev", tun.name(), "netns", to.name());
        } else {
            from.execOk("ip", "link", "set", "dev", tun.name(), "netns", to.name());
        }
    }

    private static int mtuShownBy(ExecResult ipLinkShow) {
        Matcher m = MTU.matcher(ipLinkShow.stdout());
        assertTrue(m.find(), ipLinkShow::describe);
        return Integer.parseInt(m.group(1));
    }

    /** Reads packets on a thread of its own into a queue, until {@link TunDevice#CLOSED}. */
    private static final class PacketPump {
        private final BlockingQueue<byte[]> packets = new LinkedBlockingQueue<>();
        private final CompletableFuture<Integer> closed = new CompletableFuture<>();

        static PacketPump start(TunDevice tun) {
            PacketPump pump = new PacketPump();
            Thread.ofPlatform().name("tun-pump").daemon().start(() -> {
                ByteBuffer buffer = ByteBuffer.allocateDirect(65535);
                try {
                    while (true) {
                        buffer.clear();
                        int n = tun.read(buffer);
                        if (n == TunDevice.CLOSED) {
                            pump.closed.complete(n);
                            return;
                        }
                        byte[] packet = new byte[n];
                        buffer.flip().get(packet);
                        pump.packets.add(packet);
                    }
                } catch (IOException | RuntimeException e) {
                    pump.closed.completeExceptionally(e);
                }
            });
            return pump;
        }

        /** The next ICMP echo request to {@code destination}, skipping other traffic (IPv6 chatter). */
        Icmp.Echo nextEcho(InetAddress destination) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                byte[] packet = packets.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (packet == null) {
                    return null;
                }
                Icmp.Echo echo = Icmp.parse(packet);
                if (echo != null && echo.request() && echo.destination().equals(destination)) {
                    return echo;
                }
            }
        }

        /** Whether the reader returned CLOSED within {@code timeout}; rethrows what it failed with. */
        boolean awaitClosed(Duration timeout) throws Exception {
            try {
                assertEquals(TunDevice.CLOSED, closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
                return true;
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            }
        }
    }

    /** Just enough libc to hand {@link LinuxTun#adopt} an fd configured elsewhere, as wg-quick's callers do. */
    private interface TestLibC extends Library {
        TestLibC LIBC = Native.load("c", TestLibC.class);
        int O_RDWR = 2;
        int IFF_TUN = 0x1;
        int IFF_TAP = 0x2;
        int IFF_NO_PI = 0x1000;
        int IFF_VNET_HDR = 0x4000;
        long TUNSETIFF = 0x400454caL;

        int open(String path, int flags);

        int close(int fd);

        int ioctl(int fd, long request, Memory arg);

        static int openTun(String name, int flags) {
            int fd = LIBC.open("/dev/net/tun", O_RDWR);
            assertTrue(fd >= 0, "open /dev/net/tun failed");
            Memory ifreq = new Memory(40);
            ifreq.clear();
            ifreq.write(0, name.getBytes(StandardCharsets.US_ASCII), 0, name.length());
            ifreq.setShort(16, (short) flags);
            if (LIBC.ioctl(fd, TUNSETIFF, ifreq) != 0) {
                LIBC.close(fd);
                throw new AssertionError("TUNSETIFF " + name + " failed: errno " + Native.getLastError());
            }
            return fd;
        }
    }
}
