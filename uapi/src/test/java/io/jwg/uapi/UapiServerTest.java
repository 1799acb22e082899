package io.jwg.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket file's life: permissions, stale and live sockets, deletion, inherited descriptors. */
class UapiServerTest {
    private static final UapiServer.Options FAST = new UapiServer.Options(Duration.ofSeconds(5), Duration.ofSeconds(5), 8);

    @TempDir
    Path tmp;

    @Test
    void shouldCreateTheDirectory0755AndTheSocket0600() throws IOException {
        Path dir = tmp.resolve("wireguard");
        try (UapiServer server = UapiServer.bind(dir, "wgs0", new TestDevice(), FAST, () -> { })) {
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(server.socketPath())));
            assertEquals(dir.resolve("wgs0.sock"), server.socketPath());
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(1, files.count(), "the private staging directory is gone");
            }
            assertEquals("errno=0\n\n", UapiProtocolTest.Client.exchange(server.socketPath(), "get=1\n\n"));
        }
        assertFalse(Files.exists(dir.resolve("wgs0.sock")), "close() removes the socket");
    }

    @Test
    void shouldReplaceAStaleSocketAndRefuseALiveOne() throws IOException {
        Path path = tmp.resolve("wgs1.sock");
        ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        crashed.bind(UnixDomainSocketAddress.of(path));
        crashed.close(); // the file stays, nobody listens: stale
        assertTrue(Files.exists(path));
        try (UapiServer server = UapiServer.bind(tmp, "wgs1", new TestDevice(), FAST, () -> { })) {
            assertEquals("errno=0\n\n", UapiProtocolTest.Client.exchange(server.socketPath(), "get=1\n\n"));
            IOException e = assertThrows(IOException.class, () -> UapiServer.bind(tmp, "wgs1", new TestDevice(), FAST, () -> { }));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertEquals("errno=0\n\n", UapiProtocolTest.Client.exchange(server.socketPath(), "get=1\n\n"));
        }
    }

    @Test
    void shouldCallBackOnceWhenTheSocketFileIsDeleted() throws Exception {
        CountDownLatch deleted = new CountDownLatch(1);
        try (UapiServer server = UapiServer.bind(tmp, "wgs2", new TestDevice(), FAST, deleted::countDown)) {
            Files.delete(server.socketPath());
            assertTrue(deleted.await(5, TimeUnit.SECONDS), "callback after deletion");
        }
    }

    @Test
    void shouldCallBackWhenTheSocketFileIsReplaced() throws Exception {
        CountDownLatch replaced = new CountDownLatch(1);
        UapiServer server = UapiServer.bind(tmp, "wgs3", new TestDevice(), FAST, replaced::countDown);
        try {
            Path other = tmp.resolve("other");
            Files.writeString(other, "x");
            Files.move(other, server.socketPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            assertTrue(replaced.await(5, TimeUnit.SECONDS), "callback after replacement");
        } finally {
            server.close();
        }
        assertTrue(Files.exists(server.socketPath()), "someone else's file is not removed");
    }

    @Test
    void shouldScheduleNothingWhileNoClientIsConnected() throws Exception {
        try (UapiServer server = UapiServer.bind(tmp, "wgs5", new TestDevice(), FAST, () -> { })) {
            Thread timer = thread("uapi-timer-wgs5.sock");
            // Untimed wait: no periodic check of the socket file (inotify watches it), no reaper.
            awaitState(timer, Thread.State.WAITING);
            try (UapiProtocolTest.Client client = new UapiProtocolTest.Client(server.socketPath())) {
                client.send("get=1\n\n");
                awaitState(timer, Thread.State.TIMED_WAITING); // reaping while a client is connected
            }
            awaitState(timer, Thread.State.WAITING); // and no longer once it is gone
        }
    }

    @Test
    void shouldServeAnInheritedListeningDescriptor() throws IOException {
        Path path = tmp.resolve("wgs4.sock");
        ServerSocketChannel parent = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        parent.bind(UnixDomainSocketAddress.of(path));
        int fd = descriptorOf(path);
        // The server now owns the descriptor (it closes it); the JDK channel is left unused.
        try (UapiServer server = UapiServer.adopt(fd, tmp, "wgs4", new TestDevice(), FAST, () -> { })) {
            assertEquals(path, server.socketPath());
            assertEquals("errno=0\n\n", UapiProtocolTest.Client.exchange(path, "set=1\nlisten_port=77\n\n"));
            assertEquals("listen_port=77\nerrno=0\n\n", UapiProtocolTest.Client.exchange(path, "get=1\n\n"));
        }
        assertFalse(Files.exists(path));
    }

    /** The descriptor number of the listening socket bound at {@code path}, via /proc. */
    private static int descriptorOf(Path path) throws IOException {
        String inode = Files.readAllLines(Path.of("/proc/net/unix")).stream()
                .map(line -> line.trim().split("\\s+"))
                .filter(fields -> fields.length >= 8 && fields[7].equals(path.toString()))
                .map(fields -> fields[6])
                .findFirst().orElseThrow();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("socket:[" + inode + "]");
                } catch (IOException e) {
                    return false;
                }
            }).map(fd -> Integer.parseInt(fd.getFileName().toString())).findFirst().orElseThrow();
        }
    }

    private static Thread thread(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no thread " + name));
    }

    private static void awaitState(Thread thread, Thread.State state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (thread.getState() != state && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(state, thread.getState(), thread.getName());
    }
}
