package io.jwg.uapi;

import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.agrona.concurrent.SystemNanoClock;

/** A UapiDevice over a real Engine that records the hooks; ports in {@link #busyPorts} fail to bind. */
final class TestDevice implements UapiDevice {
    final Engine engine = new Engine(SystemNanoClock.INSTANCE, new SystemEpochNanoClock(), new SecureRandom());
    final List<Tunnel> changed = new CopyOnWriteArrayList<>();
    final List<Tunnel> removed = new CopyOnWriteArrayList<>();
    final List<Integer> busyPorts = new CopyOnWriteArrayList<>();
    /** Configuration events: the first 4 hex digits of the peer's key, if any, and the event. */
    final List<String> events = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    volatile int port;
    volatile int fwmark;

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public Object configLock() {
        return lock;
    }

    @Override
    public int listenPort() {
        return port;
    }

    @Override
    public void setListenPort(int port) throws IOException {
        if (busyPorts.contains(port)) {
            this.port = 0; // wireguard-go is left unbound when the rebind fails
            throw new IOException("bind: address already in use");
        }
        this.port = port == 0 ? 40000 : port;
    }

    @Override
    public int fwmark() {
        return fwmark;
    }

    @Override
    public void setFwmark(int mark) {
        this.fwmark = mark;
    }

    @Override
    public void peerChanged(Tunnel tunnel) {
        changed.add(tunnel);
    }

    @Override
    public void peerRemoved(Tunnel tunnel) {
        removed.add(tunnel);
    }

    @Override
    public void configEvent(Tunnel peer, String event) {
        events.add((peer == null ? "" : HexFormat.of().formatHex(peer.publicKey()).substring(0, 4) + " ") + event);
    }
}
