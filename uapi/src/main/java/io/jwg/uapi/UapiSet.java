package io.jwg.uapi;

import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * One {@code set=1} operation, as wireguard-go's {@code IpcSetOperation}: lines are
 * {@linkplain #parse parsed} (which needs no lock, so a connection can check syntax while the
 * client is still sending) and then {@linkplain #apply applied} in order under the device's
 * config lock, then {@link #finish()} closes the last peer section.
 *
 * <p>There is no transaction: lines applied before an error stay applied. Lines before the first
 * {@code public_key} are device keys, every line after it belongs to the current peer. A peer
 * whose key is our own, one removed with {@code remove=true}, or a new one marked
 * {@code update_only=true} becomes a placeholder: its remaining lines are checked but change
 * nothing.
 *
 * <p>{@code allowed_ip=-CIDR} (remove one prefix, if this peer owns it) is newer wireguard-go
 * syntax; 0.0.20220316 answers it with EINVAL.
 */
final class UapiSet {
    /** Every key of the protocol, device and peer. */
    enum Key {
        PRIVATE_KEY, LISTEN_PORT, FWMARK, REPLACE_PEERS,
        PUBLIC_KEY, UPDATE_ONLY, REMOVE, PRESHARED_KEY, ENDPOINT, PERSISTENT_KEEPALIVE_INTERVAL,
        REPLACE_ALLOWED_IPS, ALLOWED_IP, REMOVE_ALLOWED_IP, PROTOCOL_VERSION
    }

    /** A parsed line: its key and its value in the form {@link #apply} needs. */
    record Line(Key key, Object value) {
    }

    private final UapiDevice device;
    private final Engine engine;
    private boolean peerSection;
    /** The peer being configured; null before the first public_key or for a placeholder. */
    private Tunnel peer;
    private boolean placeholder;
    private boolean created;
    private boolean changed;

    UapiSet(UapiDevice device) {
        this.device = device;
        this.engine = device.engine();
    }

    /**
     * Parses one line (without its newline; a trailing CR already dropped). Device or peer keys
     * are told apart by whether a {@code public_key} came before, as wireguard-go does.
     */
    Line parse(String line) throws UapiException {
        int eq = line.indexOf('=');
        if (eq < 0) {
            throw new UapiException(UapiException.EPROTO, "failed to parse line \"" + line + "\"");
        }
        String key = line.substring(0, eq);
        String value = line.substring(eq + 1);
        if (key.equals("public_key")) {
            peerSection = true;
            return new Line(Key.PUBLIC_KEY, wrap("failed to get peer by public key", () -> GoText.parseKey(value)));
        }
        return peerSection ? parsePeerLine(key, value) : parseDeviceLine(key, value);
    }

    private static Line parseDeviceLine(String key, String value) throws UapiException {
        return switch (key) {
            case "private_key" -> new Line(Key.PRIVATE_KEY, wrap("failed to set private_key", () -> GoText.parseKey(value)));
            case "listen_port" -> new Line(Key.LISTEN_PORT, (int) (long) wrap("failed to parse listen_port", () -> GoText.parseUint(value, 16)));
            case "fwmark" -> new Line(Key.FWMARK, (int) (long) wrap("invalid fwmark", () -> GoText.parseUint(value, 32)));
            case "replace_peers" -> new Line(Key.REPLACE_PEERS, requireTrue(value, "failed to set replace_peers"));
            default -> throw new UapiException(UapiException.EINVAL, "invalid UAPI device key: " + key);
        };
    }

    private static Line parsePeerLine(String key, String value) throws UapiException {
        return switch (key) {
            case "update_only" -> new Line(Key.UPDATE_ONLY, requireTrue(value, "failed to set update only"));
            case "remove" -> new Line(Key.REMOVE, requireTrue(value, "failed to set remove"));
            case "preshared_key" -> new Line(Key.PRESHARED_KEY, wrap("failed to set preshared key", () -> GoText.parseKey(value)));
            case "endpoint" -> new Line(Key.ENDPOINT, wrap("failed to set endpoint " + value, () -> GoText.parseEndpoint(value)));
            case "persistent_keepalive_interval" -> new Line(Key.PERSISTENT_KEEPALIVE_INTERVAL,
                    (int) (long) wrap("failed to set persistent keepalive interval", () -> GoText.parseUint(value, 16)));
            case "replace_allowed_ips" -> new Line(Key.REPLACE_ALLOWED_IPS, requireTrue(value, "failed to replace allowedips"));
            case "allowed_ip" -> value.startsWith("-")
                    ? new Line(Key.REMOVE_ALLOWED_IP, wrap("failed to set allowed ip", () -> GoText.parsePrefix(value.substring(1))))
                    : new Line(Key.ALLOWED_IP, wrap("failed to set allowed ip", () -> GoText.parsePrefix(value)));
            case "protocol_version" -> {
                if (!value.equals("1")) {
                    throw new UapiException(UapiException.EINVAL, "invalid protocol version: " + value);
                }
                yield new Line(Key.PROTOCOL_VERSION, value);
            }
            default -> throw new UapiException(UapiException.EINVAL, "invalid UAPI peer key: " + key);
        };
    }

    /** Applies one parsed line; call with the config lock held, in the order lines were parsed. */
    void apply(Line line) throws UapiException {
        switch (line.key()) {
            case PRIVATE_KEY -> {
                device.configEvent(null, "UAPI: Updating private key");
                setPrivateKey((byte[]) line.value());
            }
            case LISTEN_PORT -> {
                device.configEvent(null, "UAPI: Updating listen port");
                try {
                    device.setListenPort((Integer) line.value());
                } catch (IOException | RuntimeException e) {
                    throw new UapiException(UapiException.EADDRINUSE, "failed to set listen_port: " + e.getMessage(), e);
                }
            }
            case FWMARK -> {
                device.configEvent(null, "UAPI: Updating fwmark");
                try {
                    device.setFwmark((Integer) line.value());
                } catch (IOException | RuntimeException e) {
                    throw new UapiException(UapiException.EADDRINUSE, "failed to update fwmark: " + e.getMessage(), e);
                }
            }
            case REPLACE_PEERS -> {
                device.configEvent(null, "UAPI: Removing all peers");
                for (Tunnel tunnel : engine.peers()) {
                    engine.removePeer(tunnel);
                    device.peerRemoved(tunnel);
                }
            }
            case PUBLIC_KEY -> selectPeer((byte[]) line.value());
            case UPDATE_ONLY -> {
                if (created && !placeholder) {
                    removeCurrent();
                }
            }
            case REMOVE -> {
                if (!placeholder) {
                    device.configEvent(peer, "UAPI: Removing");
                    removeCurrent();
                }
                placeholder = true;
            }
            case PRESHARED_KEY -> {
                if (!placeholder) {
                    device.configEvent(peer, "UAPI: Updating preshared key");
                    peer.setPresharedKey((byte[]) line.value());
                    changed = true;
                }
            }
            case ENDPOINT -> {
                if (!placeholder) {
                    device.configEvent(peer, "UAPI: Updating endpoint");
                    peer.setEndpoint((InetSocketAddress) line.value());
                    changed = true;
                }
            }
            case PERSISTENT_KEEPALIVE_INTERVAL -> {
                if (!placeholder) {
                    device.configEvent(peer, "UAPI: Updating persistent keepalive interval");
                    // Turning it on from 0 queues a keepalive in the tunnel; peerChanged sends it.
                    peer.setPersistentKeepalive((Integer) line.value());
                    changed = true;
                }
            }
            case REPLACE_ALLOWED_IPS -> {
                if (!placeholder) {
                    device.configEvent(peer, "UAPI: Removing all allowedips");
                    engine.allowedIps().removeAll(peer);
                    changed = true;
                }
            }
            case ALLOWED_IP -> {
                if (!placeholder) {
                    device.configEvent(peer, "UAPI: Adding allowedip");
                    engine.allowedIps().insert((IpPrefix) line.value(), peer);
                    changed = true;
                }
            }
            case REMOVE_ALLOWED_IP -> {
                if (!placeholder) {
                    device.configEvent(peer, "UAPI: Removing allowedip");
                    engine.allowedIps().remove((IpPrefix) line.value(), peer);
                    changed = true;
                }
            }
            case PROTOCOL_VERSION -> {
                // only version 1 exists; parse() rejected anything else
            }
        }
    }

    /** Ends the operation: the last peer section is closed (its device hook runs). */
    void finish() {
        closePeerSection();
    }

    private void setPrivateKey(byte[] key) {
        // The engine drops a peer whose key is our new public key; the device must hear of it.
        Tunnel victim = null;
        if (!X25519.isZero(key)) {
            byte[] clamped = key.clone();
            X25519.clamp(clamped);
            byte[] publicKey = new byte[32];
            X25519.publicKey(clamped, publicKey);
            victim = engine.peer(publicKey);
        }
        engine.setPrivateKey(key);
        if (victim != null && engine.peer(victim.publicKey()) != victim) {
            device.peerRemoved(victim);
        }
    }

    private void selectPeer(byte[] key) throws UapiException {
        closePeerSection();
        byte[] ours = engine.publicKey();
        if (ours != null && Arrays.equals(ours, key)) {
            placeholder = true; // wireguard-go ignores a peer with our own key
            return;
        }
        Tunnel existing = engine.peer(key);
        created = existing == null;
        if (existing != null) {
            peer = existing;
        } else {
            try {
                peer = engine.addPeer(key);
            } catch (IllegalStateException e) {
                throw new UapiException(UapiException.EINVAL, "failed to create new peer: " + e.getMessage(), e);
            }
            changed = true;
            if (peer != null) {
                device.configEvent(peer, "UAPI: Created");
            }
        }
        placeholder = peer == null;
    }

    private void removeCurrent() {
        engine.removePeer(peer);
        device.peerRemoved(peer);
        peer = null;
        placeholder = true;
        changed = false;
    }

    private void closePeerSection() {
        if (peer != null && !placeholder && changed) {
            device.peerChanged(peer);
        }
        peer = null;
        placeholder = false;
        created = false;
        changed = false;
    }

    private static Boolean requireTrue(String value, String what) throws UapiException {
        if (!value.equals("true")) {
            throw new UapiException(UapiException.EINVAL, what + ", invalid value: " + value);
        }
        return Boolean.TRUE;
    }

    /** A parse step whose error gets wireguard-go's context prefix. */
    private interface Parse<T> {
        T run() throws UapiException;
    }

    private static <T> T wrap(String context, Parse<T> parse) throws UapiException {
        try {
            return parse.run();
        } catch (UapiException e) {
            throw new UapiException(e.errno(), context + ": " + e.getMessage(), e);
        }
    }
}
