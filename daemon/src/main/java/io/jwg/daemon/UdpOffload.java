package io.jwg.daemon;

import java.util.Locale;

/**
 * UDP segmentation offloads, as wireguard-go uses them since 2023: sends hand the kernel a run
 * of equal-size datagrams to one destination as one message with a {@code UDP_SEGMENT} control
 * message (GSO: the stack and a veth or NIC carry them as one packet as far as it can), and the
 * socket asks for {@code UDP_GRO}, so the kernel may hand over several datagrams of one flow
 * coalesced into one buffer with their segment size. {@code JWG_UDP_OFFLOAD=off} turns both off
 * (some kernels and devices mishandle them); a kernel that refuses GSO at run time ({@code EIO})
 * turns sending with it off by itself.
 */
final class UdpOffload {
    static final String ENV = "JWG_UDP_OFFLOAD";
    /** Most segments in one GSO send (the kernel's UDP_MAX_SEGMENTS is 64 on older kernels). */
    static final int MAX_SEGMENTS = 64;
    /** Most payload bytes in one GSO send: one IP packet's worth. */
    static final int MAX_BYTES = 65_000;

    private static final boolean ENABLED = enabled(System.getenv(ENV));
    private static volatile boolean gsoBroken;

    private UdpOffload() {
    }

    /** False when {@code value} of {@value #ENV} switches the offloads off. */
    static boolean enabled(String value) {
        if (value == null) {
            return true;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "off", "0", "false", "no" -> false;
            default -> true;
        };
    }

    /** Whether sends may use UDP_SEGMENT. */
    static boolean gso() {
        return ENABLED && !gsoBroken;
    }

    /** Whether sockets ask for UDP_GRO. */
    static boolean gro() {
        return ENABLED;
    }

    /** The kernel answered a GSO send with EIO: send without it from now on. */
    static void gsoFailed() {
        gsoBroken = true;
    }
}
