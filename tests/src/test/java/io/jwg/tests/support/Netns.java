package io.jwg.tests.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A throwaway Linux network namespace, named {@code jwgt-<pid>-<random>} so parallel runs never
 * collide and leftovers of a dead run can be recognised. Loopback is up from the start.
 * {@link #close()} kills every process still inside and deletes the namespace; a shutdown hook
 * does the same if the test never closes it. Needs root (see {@link Environment#requireRoot()}).
 */
public final class Netns implements AutoCloseable {
    /** Prefix of every namespace these tests create. */
    public static final String PREFIX = "jwgt-";

    private static final Duration TERM_GRACE = Duration.ofSeconds(2);

    static {
        removeOrphans();
    }

    private final String name;
    private final Runnable cleanup;
    private final AtomicInteger vethCount = new AtomicInteger();
    private boolean closed;

    private Netns(String name) {
        this.name = name;
        this.cleanup = ShutdownCleanup.register(() -> destroy(name));
    }

    /** Creates a fresh namespace with loopback up. */
    public static Netns create() {
        String name = PREFIX + ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
        Exec.runOk("ip", "netns", "add", name);
        return Setup.orClose(new Netns(name), netns -> netns.execOk("ip", "link", "set", "lo", "up"));
    }

    /** The namespace's name, as {@code ip netns} knows it. */
    public String name() {
        return name;
    }

    /** The command line that runs {@code command} inside this namespace, for long-running processes. */
    public List<String> command(String... command) {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", name));
        line.addAll(Arrays.asList(command));
        return line;
    }

    /** Runs {@code command} inside this namespace with {@link Exec#DEFAULT_TIMEOUT}. */
    public ExecResult exec(String... command) {
        return exec(Exec.DEFAULT_TIMEOUT, command);
    }

    /** Runs {@code command} inside this namespace, killing it after {@code timeout}. */
    public ExecResult exec(Duration timeout, String... command) {
        return Exec.run(timeout, null, command(command));
    }

    /** Runs {@code command} inside this namespace; throws with its full output unless it succeeds. */
    public ExecResult execOk(String... command) {
        return Exec.requireOk(exec(command));
    }

    /**
     * Links this namespace to {@code other} with a veth pair, assigns {@code cidrHere} (e.g.
     * {@code 10.99.0.1/24}) to this end and {@code cidrThere} to the other, and brings both up.
     * The pair is created inside the namespaces, so its names never touch the host's.
     */
    public Veth veth(Netns other, String cidrHere, String cidrThere) {
        String here = "veth" + vethCount.getAndIncrement();
        String there = "veth" + other.vethCount.getAndIncrement();
        execOk("ip", "link", "add", here, "type", "veth", "peer", "name", there, "netns", other.name);
        execOk("ip", "addr", "add", cidrHere, "dev", here);
        other.execOk("ip", "addr", "add", cidrThere, "dev", there);
        execOk("ip", "link", "set", here, "up");
        other.execOk("ip", "link", "set", there, "up");
        return new Veth(here, there);
    }

    /**
     * Links this namespace to the test JVM's own (root) namespace with a veth pair, for code that
     * runs in the JVM, such as the core engine over a plain UDP socket. The host end gets a unique
     * name and {@code cidrHost}, this end {@code cidrHere}; both come up. Use a private subnet of
     * your own: the host end adds a connected route to the host for as long as it lives. Closing
     * the returned link (or deleting this namespace, which destroys the pair) removes it.
     */
    public HostLink linkToHost(String cidrHost, String cidrHere) {
        String host = "jwh" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
        String here = "veth" + vethCount.getAndIncrement();
        Exec.runOk("ip", "link", "add", host, "type", "veth", "peer", "name", here, "netns", name);
        return Setup.orClose(new HostLink(host, here), link -> {
            Exec.runOk("ip", "addr", "add", cidrHost, "dev", host);
            execOk("ip", "addr", "add", cidrHere, "dev", here);
            Exec.runOk("ip", "link", "set", host, "up");
            execOk("ip", "link", "set", here, "up");
        });
    }

    /** Kills what still runs inside, then deletes the namespace. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            destroy(name);
        } finally {
            ShutdownCleanup.unregister(cleanup);
        }
    }

    @Override
    public String toString() {
        return name;
    }

    /** The two interface names of a veth pair made by {@link #veth}. */
    public record Veth(String here, String there) {
    }

    /**
     * A veth pair from the host (root) namespace into a {@link Netns}, made by
     * {@link #linkToHost}. {@link #close()} deletes it (idempotent; also runs at JVM exit).
     */
    public static final class HostLink implements AutoCloseable {
        private final String host;
        private final String here;
        private final Runnable cleanup;
        private boolean closed;

        private HostLink(String host, String here) {
            this.host = host;
            this.here = here;
            this.cleanup = ShutdownCleanup.register(() -> delete(host));
        }

        /** The host end's name, in the root namespace. */
        public String host() {
            return host;
        }

        /** The namespace end's name. */
        public String here() {
            return here;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                delete(host);
            } finally {
                ShutdownCleanup.unregister(cleanup);
            }
        }

        private static void delete(String host) {
            // Already gone when the namespace (and with it the peer end) was deleted first.
            if (Exec.run("ip", "link", "show", "dev", host).ok()) {
                Exec.requireOk(Exec.run("ip", "link", "del", "dev", host));
            }
        }
    }

    /** SIGTERM to every process in the namespace, SIGKILL to survivors, then delete it. */
    private static void destroy(String name) {
        List<ProcessHandle> inside = processesIn(name);
        inside.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TERM_GRACE.toNanos();
        for (ProcessHandle process : inside) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                process.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                process.destroyForcibly();
            }
        }
        ExecResult deleted = Exec.run("ip", "netns", "delete", name);
        if (!deleted.ok() && namespaceExists(name)) {
            throw new IllegalStateException("could not delete namespace: " + deleted.describe());
        }
    }

    private static List<ProcessHandle> processesIn(String name) {
        return Exec.run("ip", "netns", "pids", name).stdout().lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .map(Long::parseLong)
                .map(ProcessHandle::of)
                .flatMap(Optional::stream)
                .toList();
    }

    private static boolean namespaceExists(String name) {
        return Exec.run("ip", "netns", "list").stdout().lines()
                .anyMatch(line -> line.split("\\s+")[0].equals(name));
    }

    /** Deletes namespaces left by earlier test JVMs that died before cleaning up. */
    private static void removeOrphans() {
        for (String line : Exec.run("ip", "netns", "list").stdout().lines().toList()) {
            String ns = line.split("\\s+")[0];
            if (!ns.startsWith(PREFIX)) {
                continue;
            }
            String[] parts = ns.substring(PREFIX.length()).split("-");
            try {
                long owner = Long.parseLong(parts[0]);
                if (ProcessHandle.of(owner).isEmpty()) {
                    destroy(ns);
                }
            } catch (NumberFormatException | IllegalStateException e) {
                // Not ours to judge, or already gone: leave it.
            }
        }
    }
}
