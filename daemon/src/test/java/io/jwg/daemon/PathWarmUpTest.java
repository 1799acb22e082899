package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tun.InMemoryTun;
import io.jwg.tun.TunDevice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The warm-up a daemon runs at its first link-up: real traffic through two throwaway devices,
 * which leave nothing behind, and only once per daemon. No root needed.
 */
@ExtendWith(LeakCheck.class)
class PathWarmUpTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void shouldCarryEveryPacketAndLeaveNoThreadOrDescriptorBehind() throws Exception {
        PathWarmUp.run(20); // what the JVM opens once (random sources, Netty's natives) is not a leak
        Thread.sleep(500);
        long threads = deviceThreads();
        long descriptors = openDescriptors();

        int through = PathWarmUp.run(200);

        assertEquals(400, through, "every ping and every reply came through the stand-in tunnel");
        awaitTrue(() -> deviceThreads() <= threads, "no thread of the throwaway devices is left");
        awaitTrue(() -> openDescriptors() <= descriptors, "no descriptor is left open");
    }

    @Test
    void shouldRunTheFirstLinkUpActionOnceOnly() throws Exception {
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        InMemoryTun tun = new InMemoryTun("warmtest");
        tun.setLinkState(TunDevice.LinkState.DOWN);
        AtomicInteger runs = new AtomicInteger();
        try (Device device = new Device(tun, new Log(Log.Level.VERBOSE, "test", new PrintStream(logs, true)))) {
            device.onFirstLinkUp(runs::incrementAndGet);
            device.start();
            Thread.sleep(300); // a few link probes while down
            assertEquals(0, runs.get(), "not while the link is down");

            tun.setLinkState(TunDevice.LinkState.UP);
            awaitTrue(() -> runs.get() == 1, "run when the link comes up");
            tun.setLinkState(TunDevice.LinkState.DOWN);
            awaitTrue(() -> !device.engine().isUp(), "down again");
            tun.setLinkState(TunDevice.LinkState.UP);
            awaitTrue(() -> device.engine().isUp(), "up again");

            assertEquals(1, runs.get(), "not again at the next link-up");
        }
    }

    /** Live threads a device starts (all named jwg-…). */
    private static long deviceThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(thread -> thread.getName().startsWith("jwg-")).count();
    }

    private static long openDescriptors() {
        try (var descriptors = Files.list(Path.of("/proc/self/fd"))) {
            return descriptors.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out: " + what);
            Thread.sleep(20);
        }
    }
}
