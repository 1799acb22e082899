package io.jwg.daemon;

import io.jwg.core.tunnel.Tunnel;
import java.util.Base64;

/** How logs name a peer: wireguard-go's {@code peer(abcd…wxyz)} short form of the base64 key. */
final class Peers {
    private Peers() {
    }

    static String name(Tunnel tunnel) {
        String key = Base64.getEncoder().encodeToString(tunnel.publicKey());
        return "peer(" + key.substring(0, 4) + "…" + key.substring(39, 43) + ")";
    }
}
