package io.jwg.tests.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * systemd's end of {@code sd_notify(3)}, played by {@code notify-listener.py} inside a
 * {@link Netns} (abstract socket names are per network namespace): a Unix datagram socket at
 * {@link #address()} that records every notification, and whether the UAPI socket it watches
 * accepted connections at the moment the notification arrived. {@link #close()} stops it and
 * removes a socket file.
 */
public final class NotifyListener implements AutoCloseable {
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);

    private final String address;
    private final Process process;
    private final Runnable cleanup;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> received = new ArrayList<>();

    private NotifyListener(Netns netns, String address, Path watched) {
        this.address = address;
        Path script;
        try {
            script = Path.of(NotifyListener.class.getResource("/notify-listener.py").toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("notify-listener.py is missing from the test resources", e);
        }
        try {
            process = new ProcessBuilder(netns.command("python3", script.toString(), address, watched.toString()))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Process started = process;
        cleanup = ShutdownCleanup.register(() -> stop(started, address));
        Thread.ofPlatform().daemon().name("notify-listener").start(() -> {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the listener was stopped
            }
        });
    }

    /**
     * Starts a listener on {@code address} (an absolute path, or {@code @name}) in {@code netns},
     * watching the UAPI socket {@code watched}; returns once the socket is bound.
     */
    public static NotifyListener start(Netns netns, String address, Path watched) {
        return Setup.orClose(new NotifyListener(netns, address, watched), listener -> {
            String first = listener.poll(BIND_TIMEOUT);
            if (!"bound".equals(first)) {
                throw new IllegalStateException("notify listener did not bind " + address + ": " + first);
            }
        });
    }

    /** The value for {@code NOTIFY_SOCKET}. */
    public String address() {
        return address;
    }

    /**
     * Waits up to {@code timeout} for the next notification and returns it as
     * {@code MESSAGE<TAB>listening|absent}; throws when none comes.
     */
    public String next(Duration timeout) {
        String line = poll(timeout);
        if (line == null) {
            throw new AssertionError("no notification on " + address + " within " + timeout
                    + "; received so far: " + received);
        }
        received.add(line);
        return line;
    }

    /** Notifications received so far through {@link #next}, plus any that arrived since. */
    public List<String> all() {
        lines.drainTo(received);
        return List.copyOf(received);
    }

    private String poll(Duration timeout) {
        try {
            return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        stop(process, address);
        ShutdownCleanup.unregister(cleanup);
    }

    private static void stop(Process process, String address) {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
            if (address.startsWith("/")) {
                Files.deleteIfExists(Path.of(address));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            System.err.println("jwgt: cannot remove " + address + ": " + e);
        }
    }
}
