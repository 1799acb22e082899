package io.jwg.tun;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A layer-3 tunnel device carrying raw IPv4/IPv6 packets (no packet-information header).
 * Implementations read and write through caller-owned buffers and allocate nothing per packet.
 */
public interface TunDevice extends Closeable {
    /** The interface name, e.g. {@code wg0}. */
    String name();

    /** The current MTU in bytes. */
    int mtu() throws IOException;

    /**
     * Reads one packet into {@code dst} starting at its position; on return the position is
     * advanced past the packet. Returns the packet length, blocking until one is available.
     */
    int read(ByteBuffer dst) throws IOException;

    /** Writes the packet between {@code src}'s position and limit; returns bytes written. */
    int write(ByteBuffer src) throws IOException;
}
