package io.jwg.tun;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A layer-3 tunnel device carrying raw IPv4/IPv6 packets (no packet-information header).
 * Implementations read and write through caller-owned buffers and allocate nothing per packet.
 *
 * <p>Threading: one thread reads, any number of threads may write; {@link #close()} may be called
 * from any thread and makes a blocked {@link #read} return {@link #CLOSED}.
 */
public interface TunDevice extends Closeable {
    /** {@link #read} result once the device is closed or the interface is gone. */
    int CLOSED = -1;

    /** Link state as the daemon sees it; {@code GONE} means the interface was deleted. */
    enum LinkState { UP, DOWN, GONE }

    /** The interface name, e.g. {@code wg0}. */
    String name();

    /** The current MTU in bytes (also after the interface moved to another network namespace). */
    int mtu() throws IOException;

    /**
     * Whether the device hands over offloaded packets: every packet read then starts with a
     * {@link VirtioNetHdr} and may be a TCP super-packet or carry a partial checksum, which the
     * reader undoes with {@link TsoSplitter}. {@link #write} takes plain packets;
     * {@link #writeGathered} takes super-packets built by {@link TcpCoalescer}.
     */
    boolean offloads();

    /** Sets the MTU. */
    void setMtu(int mtu) throws IOException;

    /**
     * The current link state, probed without side effects (wireguard-go writes zero bytes:
     * EINVAL means up, EIO means down; that only works with IFF_VNET_HDR, so implementations may
     * read the interface flags instead). Works after the interface moved to another namespace.
     */
    LinkState linkState() throws IOException;

    /**
     * Reads one packet into {@code dst} starting at its position; on return the position is
     * advanced past the packet. Returns the packet length, blocking until one is available, or
     * {@link #CLOSED} once the device is closed or the interface was deleted.
     */
    int read(ByteBuffer dst) throws IOException;

    /**
     * Blocks until a packet may be ready, without reading it: then {@link #tryRead} takes it,
     * unless another thread took it first. Returns 0, or {@link #CLOSED} once the device is
     * closed or the interface was deleted. Lets readers on several threads take turns (a turn
     * of their own, one thread at a time) while only one of them waits.
     */
    int awaitReadable() throws IOException;

    /**
     * Reads one packet like {@link #read} if one is ready, without waiting: returns 0 when none
     * is (the caller then blocks in {@link #read}), else the packet length or {@link #CLOSED}.
     * Lets a reader take a whole burst before processing it. Calls from several threads must
     * not overlap (readers taking turns hold a turn of their own).
     */
    int tryRead(ByteBuffer dst) throws IOException;

    /**
     * Writes the packet between {@code src}'s position and limit; returns bytes written and
     * advances the position. A packet the kernel rejects throws; the device stays usable.
     */
    int write(ByteBuffer src) throws IOException;

    /**
     * Writes one packet behind the virtio header {@code hdr}, gathered from native memory: the
     * {@code lengths[i]} bytes at {@code addresses[i]} for {@code i < count}, in one write (a
     * super-packet from {@link TcpCoalescer}: the head whole, then each member's payload).
     * Only for a device with {@link #offloads()}; the memory must stay valid during the call.
     * Returns the packet bytes written, header excluded. A packet the kernel rejects throws; the
     * device stays usable.
     *
     * @throws UnsupportedOperationException when the device has no offloads
     */
    int writeGathered(VirtioNetHdr hdr, long[] addresses, int[] lengths, int count) throws IOException;

    /** Closes the device; idempotent; wakes a blocked reader. */
    @Override
    void close();
}
