package io.jwg.uapi;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Notices when the UAPI socket file is deleted or replaced and then runs a callback once.
 * wireguard-go watches the file with inotify; here the JDK's {@link WatchService} (inotify on
 * Linux) watches its directory, so the check runs only when an entry there is deleted or
 * created and an idle daemon never wakes for it. Where no watch can be had (the inotify
 * instance limit reached, say) the file is checked every {@value #FALLBACK_MILLIS} ms instead.
 */
final class SocketFileWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SocketFileWatch.class.getName());
    static final long FALLBACK_MILLIS = 1000;

    private final Path path;
    private final Object fileKey;
    private final Runnable onGone;
    private final ScheduledExecutorService timer;
    private final AtomicBoolean fired = new AtomicBoolean();
    private volatile boolean closed;
    private WatchService watcher;
    private ScheduledFuture<?> polling;

    /** Starts watching {@code path}, whose file key now is {@code fileKey}. */
    SocketFileWatch(Path path, Object fileKey, Runnable onGone, ScheduledExecutorService timer) {
        this.path = path;
        this.fileKey = fileKey;
        this.onGone = onGone;
        this.timer = timer;
        try {
            watcher = path.getFileSystem().newWatchService();
            path.getParent().register(watcher, StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_CREATE);
            WatchService events = watcher;
            Thread.ofPlatform().daemon().name("uapi-watch-" + path.getFileName()).start(() -> awaitEvents(events));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(Level.FINE, "no file watch for " + path + "; checking every " + FALLBACK_MILLIS + " ms", e);
            closeWatcher();
            poll();
        }
        timer.execute(this::check); // deleted before the watch began
    }

    private void awaitEvents(WatchService events) {
        try {
            while (!closed) {
                WatchKey key = events.take();
                key.pollEvents(); // which entry changed does not matter: look at ours
                boolean valid = key.reset();
                check();
                if (!valid) {
                    // The directory itself went away or was replaced; keep checking the old way.
                    closeWatcher();
                    poll();
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        }
    }

    private synchronized void poll() {
        if (!closed && polling == null) {
            polling = timer.scheduleWithFixedDelay(this::check, FALLBACK_MILLIS, FALLBACK_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void check() {
        if (closed || fileKey.equals(currentKey(path)) || !fired.compareAndSet(false, true)) {
            return;
        }
        LOG.info(() -> "UAPI socket " + path + " was removed");
        try {
            onGone.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "socket-deleted callback failed", e);
        }
    }

    /** The file key (device and inode) of what is at {@code path}, not following a symlink. */
    static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /** The file key at {@code path} now, or null when nothing is there. */
    static Object currentKey(Path path) {
        try {
            return fileKey(path);
        } catch (IOException e) {
            return null;
        }
    }

    private synchronized void closeWatcher() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing the file watch", e);
            }
            watcher = null;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeWatcher();
        if (polling != null) {
            polling.cancel(false);
        }
    }
}
