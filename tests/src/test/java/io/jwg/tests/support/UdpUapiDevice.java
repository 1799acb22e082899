package io.jwg.tests.support;

import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.uapi.UapiDevice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * A stand-in for the daemon's device until it exists: a real {@link Engine} and a real
 * dual-stack UDP socket, so that a listen port someone else holds fails as it does for
 * wireguard-go (and, like wireguard-go, leaves the device unbound). No packets flow.
 */
public final class UdpUapiDevice implements UapiDevice, AutoCloseable {
    private final Engine engine = new Engine(SystemNanoClock.INSTANCE, new SystemEpochNanoClock(), new SecureRandom());
    private final Object lock = new Object();
    private DatagramChannel socket;
    private int port;
    private int fwmark;

    /** An "up" device bound to a random port, as wireguard-go is once its link is up. */
    public UdpUapiDevice() throws IOException {
        setListenPort(0);
    }

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public Object configLock() {
        return lock;
    }

    @Override
    public synchronized int listenPort() {
        return port;
    }

    @Override
    public synchronized void setListenPort(int newPort) throws IOException {
        if (socket != null) {
            socket.close();
            socket = null;
            port = 0;
        }
        DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET6);
        try {
            channel.bind(new InetSocketAddress(newPort));
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        socket = channel;
        port = ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    @Override
    public synchronized int fwmark() {
        return fwmark;
    }

    @Override
    public synchronized void setFwmark(int mark) {
        fwmark = mark; // the JDK has no SO_MARK; the daemon sets it natively
    }

    @Override
    public void peerChanged(Tunnel tunnel) {
        // no I/O in this stand-in
    }

    @Override
    public void peerRemoved(Tunnel tunnel) {
        // nothing queued to drop
    }

    @Override
    public synchronized void close() throws IOException {
        if (socket != null) {
            socket.close();
        }
    }
}
