package io.jwg.daemon;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Names the daemon's platform threads ({@code jwg-udp-1}, …) and makes them daemon threads. */
final class DaemonThreads implements ThreadFactory {
    private final String prefix;
    private final IoPriority priority;
    private final AtomicInteger next = new AtomicInteger(1);

    DaemonThreads(String prefix) {
        this(prefix, IoPriority.NONE);
    }

    /** Threads that first take {@code priority} ({@link IoPriority#around}). */
    DaemonThreads(String prefix, IoPriority priority) {
        this.prefix = prefix;
        this.priority = priority;
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread thread = new Thread(priority.around(task), prefix + "-" + next.getAndIncrement());
        thread.setDaemon(true);
        return thread;
    }
}
