package io.jwg.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket file's watch: inotify on its directory, and the polling fallback where that fails. */
class SocketFileWatchTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger calls = new AtomicInteger();

    @TempDir
    Path tmp;

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    @Test
    void shouldFireOnceWhenTheFileIsDeletedAndNotForOtherEntries() throws Exception {
        Path file = Files.writeString(tmp.resolve("wgw0.sock"), "x");
        try (var _ = new SocketFileWatch(file, SocketFileWatch.currentKey(file), calls::incrementAndGet, timer)) {
            Files.delete(Files.writeString(tmp.resolve("wgw1.sock"), "y")); // a neighbour comes and goes
            Thread.sleep(300);
            assertEquals(0, calls.get(), "fired for another file");

            Files.delete(file);
            awaitCalls(1);
            Files.writeString(file, "again");
            Files.delete(file);
            Thread.sleep(300);
            assertEquals(1, calls.get(), "fired more than once");
        }
    }

    @Test
    void shouldFireWhenTheDirectoryGoesAway() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("run"));
        Path file = Files.writeString(dir.resolve("wgw2.sock"), "x");
        try (var _ = new SocketFileWatch(file, SocketFileWatch.currentKey(file), calls::incrementAndGet, timer)) {
            Files.delete(file);
            Files.delete(dir);
            awaitCalls(1);
        }
    }

    @Test
    void shouldPollWhereNoWatchCanBeHad() throws Exception {
        // A directory that does not exist cannot be watched: the fallback check finds the file gone.
        Path file = tmp.resolve("missing").resolve("wgw3.sock");
        Object key = SocketFileWatch.currentKey(Files.writeString(tmp.resolve("wgw3.sock"), "x"));
        assertNotNull(key);
        try (var _ = new SocketFileWatch(file, key, calls::incrementAndGet, timer)) {
            awaitCalls(1);
        }
    }

    @Test
    void shouldNotFireAfterClose() throws Exception {
        Path file = Files.writeString(tmp.resolve("wgw4.sock"), "x");
        new SocketFileWatch(file, SocketFileWatch.currentKey(file), calls::incrementAndGet, timer).close();
        Files.delete(file);
        Thread.sleep(SocketFileWatch.FALLBACK_MILLIS + 300);
        assertEquals(0, calls.get());
    }

    private void awaitCalls(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (calls.get() < expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(expected, calls.get());
    }
}
