package io.jwg.tests.support;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Resources a test fixture opened, closed in reverse order; a failure to close one does not stop
 * the others, and the first is thrown (the rest suppressed) once all were tried.
 */
public final class Closer implements AutoCloseable {
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final String what;

    /** {@code what} names the fixture in the exception, e.g. "closing the pair". */
    public Closer(String what) {
        this.what = what;
    }

    /** Remembers {@code resource} for {@link #close()} and returns it. */
    public <T extends AutoCloseable> T track(T resource) {
        resources.push(resource);
        return resource;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException(what, e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
