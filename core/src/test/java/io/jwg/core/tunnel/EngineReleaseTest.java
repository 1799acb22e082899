package io.jwg.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * An engine that is dropped can be collected even though threads that ran its packet path keep
 * their per-thread workspace. Found by the fuzz targets, whose fixture is rebuilt often: the
 * workspace's transport job still named the last peer, which pinned the engine (and its keys),
 * which owns the very thread-local that held the workspace.
 */
class EngineReleaseTest {
    @Test
    void shouldReleaseAnEngineThatReceivedTransportOnThisThread() throws InterruptedException {
        WeakReference<Engine> receiver = receiveOnceAndForget();
        for (int i = 0; i < 200 && receiver.get() != null; i++) {
            System.gc();
            Thread.sleep(5);
        }
        assertNull(receiver.get(), "the discarded engine is still reachable");
    }

    private static WeakReference<Engine> receiveOnceAndForget() {
        TestNetwork net = new TestNetwork();
        net.a.send("hello".getBytes(StandardCharsets.UTF_8));
        net.pump(); // B decapsulates A's transport message on this thread
        assertEquals(1, net.b.delivered.size());
        return new WeakReference<>(net.b.engine);
    }
}
