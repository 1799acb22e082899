package io.jwg.tun;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The {@code struct virtio_net_hdr} that a TUN opened with {@code IFF_VNET_HDR} puts before
 * every packet it reads and expects before every packet written (Linux
 * {@code include/uapi/linux/virtio_net.h}), 10 bytes in the host's byte order (a legacy
 * virtio header; little-endian on x86 and arm64):
 *
 * <pre>
 *   0       1          2         4          6            8             10
 *   | flags | gso_type | hdr_len | gso_size | csum_start | csum_offset |
 * </pre>
 *
 * {@code flags} has {@link #F_NEEDS_CSUM}: the transport checksum is only partial (the
 * pseudo-header sum sits at {@code csum_start + csum_offset}) and the reader completes it over
 * the bytes from {@code csum_start}. {@code gso_type} says whether the packet is a TSO
 * super-packet to be cut into {@code gso_size}-byte payloads. A mutable flyweight-style holder,
 * reused per read so decoding allocates nothing.
 */
public final class VirtioNetHdr {
    /** sizeof(struct virtio_net_hdr). */
    public static final int SIZE = 10;
    public static final int FLAGS_OFFSET = 0;
    public static final int GSO_TYPE_OFFSET = 1;
    public static final int HDR_LEN_OFFSET = 2;
    public static final int GSO_SIZE_OFFSET = 4;
    public static final int CSUM_START_OFFSET = 6;
    public static final int CSUM_OFFSET_OFFSET = 8;

    /** VIRTIO_NET_HDR_F_NEEDS_CSUM. */
    public static final int F_NEEDS_CSUM = 1;
    /** VIRTIO_NET_HDR_GSO_NONE. */
    public static final int GSO_NONE = 0;
    /** VIRTIO_NET_HDR_GSO_TCPV4. */
    public static final int GSO_TCPV4 = 1;
    /** VIRTIO_NET_HDR_GSO_UDP (UFO, which jwg never asks for). */
    public static final int GSO_UDP = 3;
    /** VIRTIO_NET_HDR_GSO_TCPV6. */
    public static final int GSO_TCPV6 = 4;
    /** VIRTIO_NET_HDR_GSO_UDP_L4 (USO, which jwg never asks for). */
    public static final int GSO_UDP_L4 = 5;
    /** VIRTIO_NET_HDR_GSO_ECN: a bit added to the type when the super-packet carries CWR. */
    public static final int GSO_ECN = 0x80;

    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    public int flags;
    public int gsoType;
    public int hdrLen;
    public int gsoSize;
    public int csumStart;
    public int csumOffset;

    /**
     * Reads the header at absolute index {@code at} of {@code src}; false (and nothing read) when
     * fewer than {@value #SIZE} bytes are there.
     */
    public boolean decode(ByteBuffer src, int at) {
        if (at < 0 || at > src.limit() - SIZE) {
            return false;
        }
        flags = src.get(at + FLAGS_OFFSET) & 0xff;
        gsoType = src.get(at + GSO_TYPE_OFFSET) & 0xff;
        hdrLen = u16(src, at + HDR_LEN_OFFSET);
        gsoSize = u16(src, at + GSO_SIZE_OFFSET);
        csumStart = u16(src, at + CSUM_START_OFFSET);
        csumOffset = u16(src, at + CSUM_OFFSET_OFFSET);
        return true;
    }

    /** Writes the header at absolute index {@code at} of {@code dst}, which must have room. */
    public void encode(ByteBuffer dst, int at) {
        dst.put(at + FLAGS_OFFSET, (byte) flags);
        dst.put(at + GSO_TYPE_OFFSET, (byte) gsoType);
        putU16(dst, at + HDR_LEN_OFFSET, hdrLen);
        putU16(dst, at + GSO_SIZE_OFFSET, gsoSize);
        putU16(dst, at + CSUM_START_OFFSET, csumStart);
        putU16(dst, at + CSUM_OFFSET_OFFSET, csumOffset);
    }

    /** Back to all zeros: no GSO, complete checksum (what jwg writes before every packet). */
    public VirtioNetHdr clear() {
        flags = 0;
        gsoType = GSO_NONE;
        hdrLen = 0;
        gsoSize = 0;
        csumStart = 0;
        csumOffset = 0;
        return this;
    }

    /** Whether the packet is a TSO super-packet (any GSO type but NONE). */
    public boolean isGso() {
        return gsoType != GSO_NONE;
    }

    /** Whether the transport checksum still has to be completed. */
    public boolean needsChecksum() {
        return (flags & F_NEEDS_CSUM) != 0;
    }

    // The byte order is the host's, not the buffer's: assemble the bytes explicitly.
    private static int u16(ByteBuffer src, int at) {
        int first = src.get(at) & 0xff;
        int second = src.get(at + 1) & 0xff;
        return LITTLE_ENDIAN ? first | second << 8 : first << 8 | second;
    }

    private static void putU16(ByteBuffer dst, int at, int value) {
        byte low = (byte) value;
        byte high = (byte) (value >>> 8);
        dst.put(at, LITTLE_ENDIAN ? low : high);
        dst.put(at + 1, LITTLE_ENDIAN ? high : low);
    }

    @Override
    public String toString() {
        return "VirtioNetHdr[flags=" + flags + ", gsoType=" + gsoType + ", hdrLen=" + hdrLen + ", gsoSize=" + gsoSize
                + ", csumStart=" + csumStart + ", csumOffset=" + csumOffset + "]";
    }
}
