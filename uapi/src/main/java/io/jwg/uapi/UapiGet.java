package io.jwg.uapi;

import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import java.net.InetSocketAddress;

/**
 * The body of a {@code get=1} reply, line for line as wireguard-go's {@code IpcGetOperation}
 * prints it: device keys (each omitted when unset or zero), then per peer its keys, counters and
 * one {@code allowed_ip} per prefix. The caller appends {@code errno=0} and the blank line.
 */
final class UapiGet {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private UapiGet() {
    }

    /** Appends the configuration of {@code device} to {@code out}; call with the config lock held. */
    static void format(UapiDevice device, StringBuilder out) {
        Engine engine = device.engine();
        byte[] privateKey = engine.privateKey();
        if (privateKey != null) {
            key(out, "private_key", privateKey);
        }
        int port = device.listenPort();
        if (port != 0) {
            out.append("listen_port=").append(port).append('\n');
        }
        int fwmark = device.fwmark();
        if (fwmark != 0) {
            out.append("fwmark=").append(Integer.toUnsignedString(fwmark)).append('\n');
        }
        for (Tunnel peer : engine.peers()) {
            key(out, "public_key", peer.publicKey());
            key(out, "preshared_key", peer.presharedKey());
            out.append("protocol_version=1\n");
            InetSocketAddress endpoint = peer.endpoint();
            if (endpoint != null) {
                out.append("endpoint=").append(GoText.formatEndpoint(endpoint)).append('\n');
            }
            long nanos = peer.lastHandshakeEpochNanos();
            out.append("last_handshake_time_sec=").append(nanos / 1_000_000_000L).append('\n');
            out.append("last_handshake_time_nsec=").append(nanos % 1_000_000_000L).append('\n');
            out.append("tx_bytes=").append(Long.toUnsignedString(peer.txBytes())).append('\n');
            out.append("rx_bytes=").append(Long.toUnsignedString(peer.rxBytes())).append('\n');
            out.append("persistent_keepalive_interval=").append(peer.persistentKeepalive()).append('\n');
            for (IpPrefix prefix : engine.allowedIps().prefixes(peer)) {
                out.append("allowed_ip=").append(prefix).append('\n');
            }
        }
    }

    private static void key(StringBuilder out, String name, byte[] key) {
        out.append(name).append('=');
        for (byte b : key) {
            out.append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
        }
        out.append('\n');
    }
}
