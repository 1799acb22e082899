package io.jwg.daemon;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/** Builds small, well-formed IP packets for tests. */
public final class Packets {
    private Packets() {
    }

    /** An IPv4/UDP packet (header checksum set, UDP checksum 0) carrying {@code payload}. */
    public static byte[] udp4(String source, String destination, int sourcePort, int destinationPort, byte[] payload) {
        int length = 20 + 8 + payload.length;
        ByteBuffer packet = ByteBuffer.allocate(length);
        packet.put((byte) 0x45).put((byte) 0).putShort((short) length).putInt(0)
                .put((byte) 64).put((byte) 17).putShort((short) 0)
                .put(address(source)).put(address(destination));
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += packet.getShort(i) & 0xffff;
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        packet.putShort(10, (short) ~sum);
        packet.putShort((short) sourcePort).putShort((short) destinationPort)
                .putShort((short) (8 + payload.length)).putShort((short) 0).put(payload);
        return packet.array();
    }

    private static byte[] address(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
