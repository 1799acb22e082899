package io.jwg.uapi;

import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import java.io.IOException;

/**
 * What the UAPI needs from a running device: its protocol {@link Engine} (keys, peers, allowed
 * IPs, endpoints, counters) plus the socket settings and side effects that live outside {@code core}.
 *
 * <p>The UAPI applies one {@code set=1} or {@code get=1} operation at a time (it holds
 * {@link #configLock()} for the whole operation, as wireguard-go holds its ipcMutex); the data path
 * keeps running meanwhile.
 */
public interface UapiDevice {
    /** The protocol engine the configuration applies to. */
    Engine engine();

    /** Held for the duration of each UAPI operation. */
    Object configLock();

    /** The UDP port actually bound, 0 when not bound (wireguard-go reports the bound port). */
    int listenPort();

    /**
     * Sets the listen port, rebinding at once if the device is up; 0 picks a random free port.
     * Throws when the port cannot be bound (the UAPI answers EADDRINUSE).
     */
    void setListenPort(int port) throws IOException;

    /** The firewall mark set on outgoing UDP, 0 when none. */
    int fwmark();

    /** Sets the firewall mark (0 clears it); throws when the socket option fails (EADDRINUSE). */
    void setFwmark(int mark) throws IOException;

    /**
     * Called after the UAPI changed {@code tunnel} (endpoint, keepalive, keys, new peer) so the
     * device can send whatever the change queued in the tunnel (e.g. a keepalive when persistent
     * keepalive goes from 0 to n) and schedule its timers.
     */
    void peerChanged(Tunnel tunnel);

    /** Called after the UAPI removed {@code tunnel} from the engine, to drop its queued work. */
    void peerRemoved(Tunnel tunnel);

    /**
     * A configuration change for the verbose log, in wireguard-go's words ({@code UAPI: Updating
     * private key}); {@code peer} is the peer it concerns, or null for the device. Never carries
     * key material. The default drops it.
     */
    default void configEvent(Tunnel peer, String event) {
    }
}
