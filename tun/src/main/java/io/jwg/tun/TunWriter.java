package io.jwg.tun;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The write side of a {@link LinuxTun}: any number of threads at once, each with its own
 * {@link NativeScratch}, so writers share nothing and allocate nothing. Without offloads a packet
 * is one {@code write(2)}; with them ({@code IFF_VNET_HDR}) a plain packet goes behind an
 * all-zero virtio header (no GSO, checksum complete) and a super-packet behind its own, both with
 * {@code writev(2)}. EINTR is retried; EBADFD means the interface was deleted. The caller holds
 * the device's use count around every call.
 */
final class TunWriter {
    private final LinuxTun device;
    private final int fd;
    private final boolean vnetHeaders;
    private final ThreadLocal<NativeScratch> scratch = ThreadLocal.withInitial(NativeScratch::new);

    TunWriter(LinuxTun device, int fd, boolean vnetHeaders) {
        this.device = device;
        this.fd = fd;
        this.vnetHeaders = vnetHeaders;
    }

    /** Writes the packet between {@code src}'s position and limit; see {@link TunDevice#write}. */
    int write(ByteBuffer src) throws IOException {
        NativeScratch local = scratch.get();
        ByteBuffer direct = src;
        if (!src.isDirect()) {
            direct = local.scratch(src.remaining());
            direct.put(src.duplicate()).flip();
        }
        long address = local.of(direct) + direct.position();
        int length = direct.remaining();
        long n = vnetHeaders ? writev(local.plainIovecs(address, length), 2, length) : write(address, length);
        src.position(src.position() + (int) n);
        return (int) n;
    }

    /** One super-packet gathered behind {@code hdr}; see {@link TunDevice#writeGathered}. */
    int writeGathered(VirtioNetHdr hdr, long[] addresses, int[] lengths, int count) throws IOException {
        if (count < 1 || count > NativeScratch.MAX_PARTS) {
            throw new IllegalArgumentException("cannot gather " + count + " parts into one packet");
        }
        int length = 0;
        for (int i = 0; i < count; i++) {
            length += lengths[i];
        }
        return (int) writev(scratch.get().gatherIovecs(hdr, addresses, lengths, count), count + 1, length);
    }

    /** writev of a virtio header and a packet; returns the packet bytes written. */
    private long writev(long iov, int iovcnt, int length) throws IOException {
        while (true) {
            long n = LibC.writev(fd, iov, iovcnt);
            if (n >= 0) {
                return Math.max(0, n - VirtioNetHdr.SIZE); // the packet's bytes only
            }
            failed(length);
        }
    }

    private long write(long address, int length) throws IOException {
        while (true) {
            long n = LibC.write(fd, address, length);
            if (n >= 0) {
                return n;
            }
            failed(length);
        }
    }

    /** Returns when the failed write should be retried (EINTR), else throws. */
    private void failed(int length) throws IOException {
        int errno = LibC.errno();
        if (errno == LibC.EINTR) {
            return;
        }
        if (errno == LibC.EBADFD) {
            device.markGone();
            throw new IOException("cannot write to " + device.currentName() + ": the interface was deleted");
        }
        throw new IOException("cannot write a " + length + "-byte packet to " + device.currentName() + ": "
                + LibC.describe(errno));
    }
}
