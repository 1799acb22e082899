package io.jwg.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The jwg daemon, started through the repository's own launcher as {@code bin/jwg -f IFNAME}
 * inside a {@link Netns}, exactly as a user would start wireguard-go. Its verbose log goes to
 * {@code target/jwg/}. {@link #close()} stops it and removes its UAPI socket and interface.
 *
 * <p>The repository is found through the system property {@code jwg.home} (set by
 * {@code tests/pom.xml} to the reactor root), else by walking up from the working directory to
 * the first directory holding {@code bin/jwg} and {@code pom.xml}.
 */
public final class Jwg extends Daemon {
    // A JVM starts slower than a Go binary, and the launcher may first have to build the jar.
    private static final Duration START_TIMEOUT = Duration.ofSeconds(
            Long.getLong("jwg.test.startSeconds", 60));

    /** What every jwg a test starts gets in JWG_EXTRA_JAVA_OPTS. */
    private static final String LEAK_DETECTION = "-Dio.netty.leakDetection.level=paranoid";

    private Jwg(Netns netns, String ifname, Path log, String javaOptions) {
        this(netns, ifname, List.of(executable().toString(), "-f", ifname), log, javaOptions);
    }

    private Jwg(Netns netns, String ifname, List<String> command, Path log, String javaOptions) {
        this(netns, ifname, command, Map.of(), log, javaOptions);
    }

    private Jwg(Netns netns, String ifname, List<String> command, Map<String, String> env, Path log) {
        this(netns, ifname, command, env, log, "");
    }

    private Jwg(Netns netns, String ifname, List<String> command, Map<String, String> env, Path log, String javaOptions) {
        super(netns, ifname, command, withJavaOptions(env, javaOptions), log);
    }

    /** {@code env} plus JWG_EXTRA_JAVA_OPTS: the leak detector and {@code javaOptions}. */
    private static Map<String, String> withJavaOptions(Map<String, String> env, String javaOptions) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("JWG_EXTRA_JAVA_OPTS", (LEAK_DETECTION + " " + javaOptions).strip());
        return all;
    }

    /**
     * Every jwg a test starts runs Netty's leak detector at PARANOID; a leak report in its log
     * fails the test that closes it.
     */
    @Override
    protected void afterStop() {
        String log = log();
        if (log.contains("LEAK:")) {
            throw new AssertionError("Netty reported a buffer leak in jwg " + ifname() + ":\n" + log);
        }
    }

    /**
     * Starts {@code bin/jwg -f ifname} the way a supervisor that pre-opens its files does: a
     * helper script creates the TUN and the listening UAPI socket and hands both over in
     * {@code WG_TUN_FD} and {@code WG_UAPI_FD}.
     */
    public static Jwg startWithInheritedFds(Netns netns, String ifname) {
        Path script;
        try {
            script = Path.of(Jwg.class.getResource("/inherit-fds.py").toURI());
        } catch (java.net.URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("inherit-fds.py is missing from the test resources", e);
        }
        List<String> command = List.of("python3", script.toString(), ifname, executable().toString(), "-f", ifname);
        return Setup.orClose(new Jwg(netns, ifname, command, logFile("jwg", ifname), ""),
                daemon -> daemon.awaitSocket(START_TIMEOUT));
    }

    /** Starts jwg on a new uniquely named interface in {@code netns}. */
    public static Jwg start(Netns netns) {
        return start(netns, uniqueIfname());
    }

    /**
     * Starts {@code bin/jwg -f ifname} in {@code netns} and waits until its UAPI socket exists;
     * throws with its log if it exits or never gets there.
     */
    public static Jwg start(Netns netns, String ifname) {
        return startWithJavaOptions(netns, ifname, "");
    }

    /**
     * Like {@link #start(Netns, String)}, with {@code javaOptions} (e.g. a test-only
     * {@code -Djwg.test...} property) appended to JWG_EXTRA_JAVA_OPTS.
     */
    public static Jwg startWithJavaOptions(Netns netns, String ifname, String javaOptions) {
        return Setup.orClose(new Jwg(netns, ifname, logFile("jwg", ifname), javaOptions),
                daemon -> daemon.awaitSocket(START_TIMEOUT));
    }

    /** Starts jwg on a new uniquely named interface in {@code netns} with extra environment variables. */
    public static Jwg start(Netns netns, Map<String, String> env) {
        return start(netns, uniqueIfname(), env);
    }

    /** Like {@link #start(Netns, String)}, with extra environment variables for the launcher. */
    public static Jwg start(Netns netns, String ifname, Map<String, String> env) {
        return Setup.orClose(new Jwg(netns, ifname, List.of(executable().toString(), "-f", ifname), env, logFile("jwg", ifname)),
                daemon -> daemon.awaitSocket(START_TIMEOUT));
    }

    /**
     * Starts {@code bin/jwg -f OPTIONS... ifname} in {@code netns} with {@code env} added to its
     * environment (jwg's own settings, e.g. metrics) and waits until its UAPI socket exists.
     */
    public static Jwg start(Netns netns, String ifname, List<String> options, Map<String, String> env) {
        List<String> command = new ArrayList<>(List.of(executable().toString(), "-f"));
        command.addAll(options);
        command.add(ifname);
        return Setup.orClose(new Jwg(netns, ifname, command, env, logFile("jwg", ifname)),
                daemon -> daemon.awaitSocket(START_TIMEOUT));
    }

    /**
     * Starts {@code WRAPPER... bin/jwg -f ifname} (a command that execs the rest, e.g.
     * {@code setpriv} or {@code prlimit}) with {@code env} added; the daemon's pid stays the
     * wrapper's. Waits until its UAPI socket exists.
     */
    public static Jwg startUnder(Netns netns, String ifname, List<String> wrapper, Map<String, String> env) {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(executable().toString(), "-f", ifname));
        return Setup.orClose(new Jwg(netns, ifname, command, env, logFile("jwg", ifname)),
                daemon -> daemon.awaitSocket(START_TIMEOUT));
    }

    /**
     * Starts {@code bin/jwg -f ifname} with {@code JWG_CONFIG_FILE=conf} and waits until it
     * reports readiness (through {@code JWG_READY_FILE}, as the daemonizing launcher waits), which
     * it does only once the file is applied; throws with its one-line error if it fails.
     */
    public static Jwg startConfigured(Netns netns, String ifname, Path conf) {
        Path ready = Path.of(System.getProperty("java.io.tmpdir"), "jwgt-ready-" + ifname);
        Map<String, String> env = Map.of("JWG_CONFIG_FILE", conf.toString(), "JWG_READY_FILE", ready.toString());
        List<String> command = List.of(executable().toString(), "-f", ifname);
        try {
            return Setup.orClose(new Jwg(netns, ifname, command, env, logFile("jwg", ifname)), daemon -> {
                if (!Await.until(START_TIMEOUT, () -> Files.exists(ready) || !daemon.isAlive())) {
                    throw new IllegalStateException(daemon + " not ready after " + START_TIMEOUT + "\n" + daemon.log());
                }
                String line = Files.exists(ready) ? read(ready).strip() : "(exited without reporting)";
                if (!line.equals("ok")) {
                    throw new IllegalStateException(daemon + " failed to start: " + line + "\n" + daemon.log());
                }
            });
        } finally {
            try {
                Files.deleteIfExists(ready);
            } catch (IOException e) {
                // a stray file in /tmp is not worth failing over
            }
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The root of the jwg checkout: {@code -Djwg.home}, else the nearest ancestor holding {@code bin/jwg}. */
    public static Path home() {
        String property = System.getProperty("jwg.home");
        if (property != null && !property.isBlank() && Files.isExecutable(Path.of(property, "bin", "jwg"))) {
            return Path.of(property).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isExecutable(dir.resolve("bin/jwg")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the jwg checkout (bin/jwg) from " + Path.of("").toAbsolutePath()
                + " or -Djwg.home=" + property);
    }

    /** The launcher, {@code <home>/bin/jwg}. */
    public static Path executable() {
        return home().resolve("bin/jwg");
    }

    @Override
    public String implementation() {
        return "jwg";
    }
}
