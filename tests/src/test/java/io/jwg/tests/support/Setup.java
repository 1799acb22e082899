package io.jwg.tests.support;

import java.util.function.Consumer;

/** Builds a resource in steps and closes it when a step fails, so a half-made one never leaks. */
public final class Setup {
    private Setup() {
    }

    /** Runs {@code steps} on {@code resource}; on failure closes it and rethrows. */
    public static <T extends AutoCloseable> T orClose(T resource, Consumer<T> steps) {
        try {
            steps.accept(resource);
            return resource;
        } catch (RuntimeException | Error e) {
            try {
                resource.close();
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }
}
