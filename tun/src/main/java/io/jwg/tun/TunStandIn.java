package io.jwg.tun;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;

/**
 * A {@link LinuxTun} without a TUN interface, and the "kernel" at its other end. The device reads
 * and writes one end of an {@code AF_UNIX SOCK_SEQPACKET} socket pair, which keeps packet
 * boundaries as a TUN does; this object writes packets into the other end ({@link #inject}) and
 * reads what the device wrote ({@link #take}), adding and removing the {@link VirtioNetHdr} that
 * a TUN with offloads puts before each packet.
 *
 * <p>What it is for: jwg's ahead-of-time cache is made by a training run without root
 * ({@code jwg --train}). Over this stand-in, every read, write, poll and wake-up of the packet
 * path runs the code it runs on a real TUN, so the profiles the JDK keeps in the cache, and the
 * methods it compiles from them at the next start, are those of the real data path. The link is
 * always up and the MTU is whatever was set; nothing here needs privileges.
 *
 * <p>Not for the packet path of a running daemon: {@link #inject} and {@link #take} allocate.
 */
public final class TunStandIn implements Closeable {
    private static final int MAX_PACKET = 65535 + VirtioNetHdr.SIZE;

    private final LinuxTun device;
    private final int kernelFd;
    /** Bytes of virtio header before each packet: {@link VirtioNetHdr#SIZE} with offloads, else 0. */
    private final int header;
    private final Memory buffer = new Memory(MAX_PACKET);
    private final Memory pollFd = new Memory(LibC.POLLFD_SIZE);
    private boolean closed;

    private TunStandIn(LinuxTun device, int kernelFd, boolean offloads) {
        this.device = device;
        this.kernelFd = kernelFd;
        this.header = offloads ? VirtioNetHdr.SIZE : 0;
        pollFd.clear();
        pollFd.setInt(0, kernelFd);
        pollFd.setShort(4, LibC.POLLIN);
    }

    /**
     * A device named {@code name} with MTU {@code mtu}, whose packets carry virtio headers when
     * {@code offloads} (as {@link LinuxTun#open(String, boolean)} with offloads).
     */
    public static TunStandIn open(String name, int mtu, boolean offloads) throws IOException {
        int[] pair = new int[2];
        if (LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_CLOEXEC, 0, pair) < 0) {
            throw new IOException("cannot create a socket pair: " + LibC.describe(LibC.errno()));
        }
        try {
            return new TunStandIn(LinuxTun.standIn(pair[0], name, mtu, offloads), pair[1], offloads);
        } catch (IOException | RuntimeException | Error e) {
            LibC.close(pair[0]);
            LibC.close(pair[1]);
            throw e;
        }
    }

    /** The device: give it to the daemon, which closes it. */
    public LinuxTun device() {
        return device;
    }

    /** Hands {@code packet} to the device's reader, as the kernel routing it into the TUN would. */
    public void inject(byte[] packet) throws IOException {
        if (packet.length == 0 || packet.length + header > MAX_PACKET) {
            throw new IllegalArgumentException("cannot inject a " + packet.length + "-byte packet");
        }
        buffer.clear(header); // an all-zero header: one complete packet, checksum done
        buffer.write(header, packet, 0, packet.length);
        while (LibC.write(kernelFd, Pointer.nativeValue(buffer), header + packet.length) < 0) {
            if (LibC.errno() != LibC.EINTR) {
                throw new IOException("cannot inject a packet: " + LibC.describe(LibC.errno()));
            }
        }
    }

    /**
     * The next packet the device wrote, without its virtio header, or null when none came
     * within {@code timeout} or the device was closed.
     */
    public byte[] take(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
            pollFd.setShort(6, (short) 0);
            int ready = LibC.poll(pollFd, 1, (int) Math.min(Integer.MAX_VALUE, left));
            if (ready < 0 && LibC.errno() != LibC.EINTR) {
                throw new IOException("cannot wait for the device's packets: " + LibC.describe(LibC.errno()));
            }
            if (ready > 0) {
                long n = LibC.read(kernelFd, Pointer.nativeValue(buffer), MAX_PACKET);
                if (n < 0 && LibC.errno() != LibC.EINTR) {
                    throw new IOException("cannot read the device's packet: " + LibC.describe(LibC.errno()));
                }
                if (n == 0) {
                    return null; // the device end is closed
                }
                if (n > header) {
                    return buffer.getByteArray(header, (int) n - header);
                }
            }
            if (ready == 0 && left == 0) {
                return null;
            }
        }
    }

    /** Closes the kernel's end; the device is closed by whoever owns it. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(kernelFd);
        }
    }
}
