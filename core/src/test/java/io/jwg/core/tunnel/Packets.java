package io.jwg.core.tunnel;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/** Builds minimal IPv4/IPv6 packets for tests (header checksums are not needed by the engine). */
final class Packets {
    private Packets() {
    }

    /** An IPv4/UDP-less packet: 20-byte header (protocol 253, experimental) and the payload. */
    static byte[] ipv4(String source, String destination, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length));
        b.putInt(0).put((byte) 64).put((byte) 253).putShort((short) 0);
        b.put(address(source)).put(address(destination)).put(payload);
        return b.array();
    }

    /** An IPv6 packet: 40-byte header (next header 253) and the payload. */
    static byte[] ipv6(String source, String destination, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x60000000).putShort((short) payload.length).put((byte) 253).put((byte) 64);
        b.put(address(source)).put(address(destination)).put(payload);
        return b.array();
    }

    static byte[] address(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
