package io.jwg.tests.support;

import java.util.function.Function;

/**
 * Where interop tests get their daemons. {@link #jwg} is the implementation under test,
 * {@link #wireguardGo} the reference.
 *
 * <p><b>Validation aid:</b> with the system property {@code jwg.test.impl=wireguard-go}
 * ({@code ./mvnw ... -Djwg.test.impl=wireguard-go}), {@link #jwg} and {@link #jwgExecutable}
 * hand out wireguard-go instead. That runs every jwg interop test with wireguard-go in jwg's role,
 * which proves the tests themselves (topology, tooling, assertions) against the implementation
 * jwg must match. It exists to validate the suite, not to make it pass: never set it in CI.
 */
public final class Daemons {
    /** The system property that swaps wireguard-go in for jwg. */
    public static final String IMPL_PROPERTY = "jwg.test.impl";

    private Daemons() {
    }

    /** Whether {@link #jwg} is really jwg (false under {@code -Djwg.test.impl=wireguard-go}). */
    public static boolean jwgIsReal() {
        String impl = System.getProperty(IMPL_PROPERTY, "jwg");
        return switch (impl) {
            case "", "jwg" -> true;
            case "wireguard-go" -> false;
            default -> throw new IllegalArgumentException("-D" + IMPL_PROPERTY + "=" + impl + ": expected jwg or wireguard-go");
        };
    }

    /** Starts the implementation under test on a new interface in {@code netns}. */
    public static Daemon jwg(Netns netns) {
        return jwgIsReal() ? Jwg.start(netns) : WireGuardGo.start(netns);
    }

    /** Starts the implementation under test on interface {@code ifname} in {@code netns}. */
    public static Daemon jwg(Netns netns, String ifname) {
        return jwgIsReal() ? Jwg.start(netns, ifname) : WireGuardGo.start(netns, ifname);
    }

    /** Starts the reference implementation on a new interface in {@code netns}. */
    public static Daemon wireguardGo(Netns netns) {
        return WireGuardGo.start(netns);
    }

    /**
     * The command that launches the implementation under test, for tests that run it themselves
     * (daemonizing launch, {@code WG_QUICK_USERSPACE_IMPLEMENTATION}): {@code <repo>/bin/jwg}, or
     * {@code wireguard-go} under the validation property.
     */
    public static String jwgExecutable() {
        return jwgIsReal() ? Jwg.executable().toString() : WireGuardGo.EXECUTABLE;
    }

    /** {@link #jwg} as a function, for {@link Pair}. */
    public static Function<Netns, Daemon> jwgFactory() {
        return Daemons::jwg;
    }

    /** {@link #wireguardGo} as a function, for {@link Pair}. */
    public static Function<Netns, Daemon> wireguardGoFactory() {
        return Daemons::wireguardGo;
    }
}
