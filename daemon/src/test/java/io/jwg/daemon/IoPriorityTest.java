package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** JWG_IO_NICE: what it accepts, and that the thread that asks gets that nice value, and only it. */
class IoPriorityTest {
    @Test
    void shouldDefaultToMinusFiveAndTakeAnyNiceValueOrOff() {
        assertEquals(IoPriority.DEFAULT, IoPriority.parse(null, null).nice());
        assertEquals(-5, IoPriority.parse("", null).nice());
        assertEquals(-5, IoPriority.parse(" -5 ", null).nice());
        assertEquals(19, IoPriority.parse("19", null).nice());
        assertEquals(-20, IoPriority.parse("-20", null).nice());
        assertSame(IoPriority.NONE, IoPriority.parse("off", null));
        assertSame(IoPriority.NONE, IoPriority.parse("OFF", null));
        assertSame(IoPriority.NONE, IoPriority.parse("0", null));
    }

    @Test
    void shouldRejectWhatIsNotANiceValueInOneLine() {
        for (String bad : new String[] {"-21", "20", "high", "1.5", "-", "99999999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IoPriority.parse(bad, null), bad);
            assertEquals("Invalid JWG_IO_NICE '" + bad + "': a nice value from -20 to 19, or off", e.getMessage());
        }
    }

    @Test
    void shouldSetTheNiceValueOfTheRunningThreadOnly() throws Exception {
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        Log log = new Log(Log.Level.VERBOSE, "jtest0", new PrintStream(logged, true, StandardCharsets.UTF_8));
        // A value above the caller's own needs no privilege, so this holds for any user.
        int caller = niceOfCurrentThread();
        int wanted = Math.min(19, caller + 3);
        IoPriority priority = IoPriority.parse(Integer.toString(wanted), log);
        AtomicInteger inside = new AtomicInteger(Integer.MIN_VALUE);
        Thread thread = new DaemonThreads("jwg-test", priority).newThread(() -> inside.set(niceOfCurrentThread()));
        thread.start();
        thread.join();

        assertEquals(wanted, inside.get());
        assertEquals(caller, niceOfCurrentThread(), "the caller's priority changed too");
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("Packet I/O threads run at nice " + wanted), logged::toString);
    }

    @Test
    void shouldLeaveTheThreadAloneWhenOff() throws Exception {
        AtomicInteger inside = new AtomicInteger(Integer.MIN_VALUE);
        Runnable task = () -> inside.set(niceOfCurrentThread());
        assertSame(task, IoPriority.NONE.around(task));
        Thread thread = new DaemonThreads("jwg-test", IoPriority.NONE).newThread(task);
        thread.start();
        thread.join();

        assertEquals(niceOfCurrentThread(), inside.get());
    }

    /** Field 19 of /proc/thread-self/stat; the command name before it may hold spaces. */
    private static int niceOfCurrentThread() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(fields[16]);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
