package io.jwg.tests.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Debian's {@code wireguard-go} running in the foreground inside a {@link Netns}: the reference
 * implementation jwg is tested against. Its verbose log goes to {@code target/wireguard-go/} for
 * diagnosis. {@link #close()} stops it and removes its UAPI socket and interface.
 */
public final class WireGuardGo extends Daemon {
    /** The executable, found on PATH. */
    public static final String EXECUTABLE = "wireguard-go";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(5);

    private WireGuardGo(Netns netns, String ifname, Path log) {
        super(netns, ifname, List.of(EXECUTABLE, "-f", ifname), Map.of(), log);
    }

    /** Starts wireguard-go on a new uniquely named interface in {@code netns}. */
    public static WireGuardGo start(Netns netns) {
        return start(netns, uniqueIfname());
    }

    /**
     * Starts {@code wireguard-go -f ifname} in {@code netns} and waits (at most 5 s) until its
     * UAPI socket exists; throws with its log if it exits or never gets there.
     */
    public static WireGuardGo start(Netns netns, String ifname) {
        return Setup.orClose(new WireGuardGo(netns, ifname, logFile("wireguard-go", ifname)),
                daemon -> daemon.awaitSocket(START_TIMEOUT));
    }

    @Override
    public String implementation() {
        return "wireguard-go";
    }
}
