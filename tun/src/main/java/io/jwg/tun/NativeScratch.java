package io.jwg.tun;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * One thread's native helpers for TUN I/O: the address of the last direct buffer seen (so a
 * buffer used again costs no lookup), a direct copy buffer for heap packets,
 * and the {@code struct iovec} blocks for {@code writev(2)} behind a virtio header. Never shared
 * between threads.
 */
final class NativeScratch {
    /** sizeof(struct iovec). */
    static final int IOVEC_SIZE = 16;
    /** Parts of one gathered write at most: the head and a payload per member. */
    static final int MAX_PARTS = TcpCoalescer.MAX_SEGMENTS;
    /** Two iovecs (header, packet), then the all-zero virtio header itself. */
    private static final int PLAIN_BLOCK = 2 * IOVEC_SIZE + VirtioNetHdr.SIZE;
    private static final long GATHER_HEADER_AT = (long) (MAX_PARTS + 1) * IOVEC_SIZE;

    private ByteBuffer buffer;
    private long address;
    private ByteBuffer scratch;
    private Memory plainBlock;
    private long plainIov;
    private Memory gatherBlock;
    private ByteBuffer gatherHeader;
    private long gatherIov;

    /** The native address of {@code direct}'s memory. */
    long of(ByteBuffer direct) {
        if (direct != buffer) {
            // Not JNA's getDirectBufferPointer: its Pointer is allocated in native code, once
            // per buffer change, i.e. per write of a packet from the daemon's pool. The
            // segment here is scalar-replaced once compiled.
            address = MemorySegment.ofBuffer(direct).address() - direct.position();
            buffer = direct;
        }
        return address;
    }

    /** A cleared direct buffer of at least {@code size} bytes, reused. */
    ByteBuffer scratch(int size) {
        if (scratch == null || scratch.capacity() < size) {
            scratch = ByteBuffer.allocateDirect(Math.max(size, 2048));
        }
        return scratch.clear();
    }

    /** The iovec pair {all-zero virtio header, packet}, filled in for one write. */
    long plainIovecs(long packet, int length) {
        if (plainBlock == null) {
            plainBlock = new Memory(PLAIN_BLOCK);
            plainBlock.clear();
            plainIov = Pointer.nativeValue(plainBlock);
            plainBlock.setLong(0, plainIov + 2 * IOVEC_SIZE);
            plainBlock.setLong(8, VirtioNetHdr.SIZE);
        }
        plainBlock.setLong(IOVEC_SIZE, packet);
        plainBlock.setLong(IOVEC_SIZE + 8, length);
        return plainIov;
    }

    /** The iovecs {hdr, part 0, ..., part count-1} ({@code count <= MAX_PARTS}), filled in for one write. */
    long gatherIovecs(VirtioNetHdr hdr, long[] addresses, int[] lengths, int count) {
        if (gatherBlock == null) {
            gatherBlock = new Memory(GATHER_HEADER_AT + VirtioNetHdr.SIZE);
            gatherBlock.clear();
            gatherIov = Pointer.nativeValue(gatherBlock);
            gatherHeader = gatherBlock.getByteBuffer(GATHER_HEADER_AT, VirtioNetHdr.SIZE);
            gatherBlock.setLong(0, gatherIov + GATHER_HEADER_AT);
            gatherBlock.setLong(8, VirtioNetHdr.SIZE);
        }
        hdr.encode(gatherHeader, 0);
        for (int i = 0; i < count; i++) {
            gatherBlock.setLong((long) (i + 1) * IOVEC_SIZE, addresses[i]);
            gatherBlock.setLong((long) (i + 1) * IOVEC_SIZE + 8, lengths[i]);
        }
        return gatherIov;
    }
}
