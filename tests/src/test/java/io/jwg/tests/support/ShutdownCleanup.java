package io.jwg.tests.support;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Last line of defence for test resources that live outside the JVM (namespaces, daemons,
 * sockets): actions registered here run, newest first, from one JVM shutdown hook if the test
 * never got to close them, e.g. when surefire kills a hung fork or the test is interrupted.
 */
final class ShutdownCleanup {
    private static final Deque<Runnable> ACTIONS = new ArrayDeque<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ShutdownCleanup::runAll, "jwgt-cleanup"));
    }

    private ShutdownCleanup() {
    }

    /** Registers {@code action} to run at JVM exit; the returned token unregisters it. */
    static synchronized Runnable register(Runnable action) {
        ACTIONS.push(action);
        return action;
    }

    /** Forgets an action, once its owner has cleaned up normally. */
    static synchronized void unregister(Runnable token) {
        ACTIONS.remove(token);
    }

    private static void runAll() {
        while (true) {
            Runnable action;
            synchronized (ShutdownCleanup.class) {
                action = ACTIONS.poll();
            }
            if (action == null) {
                return;
            }
            try {
                action.run();
            } catch (RuntimeException | Error e) {
                System.err.println("jwgt-cleanup: " + e);
            }
        }
    }
}
