package io.jwg.tests.support;

import io.jwg.uapi.UapiServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CountDownLatch;

/**
 * jwg's UAPI served from this JVM ({@link UapiServer} over a {@link UdpUapiDevice}) at
 * {@code /var/run/wireguard/IFNAME.sock}, in the host namespace. {@code wg} finds a userspace
 * interface by its socket alone, so no link is needed. To be swapped for a {@code bin/jwg}
 * process once the daemon exists.
 */
public final class InProcessJwg implements UapiTarget {
    private final String ifname;
    private final UdpUapiDevice device;
    private final UapiServer server;
    private final CountDownLatch socketDeleted = new CountDownLatch(1);
    private final Runnable cleanup;

    private InProcessJwg(String ifname) throws IOException {
        this.ifname = ifname;
        this.device = new UdpUapiDevice();
        try {
            this.server = UapiServer.bind(ifname, device, socketDeleted::countDown);
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
        this.cleanup = ShutdownCleanup.register(this::stop);
    }

    /** Starts one on a fresh interface name. */
    public static InProcessJwg start() {
        try {
            return new InProcessJwg(WireGuardGo.uniqueIfname());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String ifname() {
        return ifname;
    }

    /** Counted down when the server notices its socket file was deleted. */
    public CountDownLatch socketDeleted() {
        return socketDeleted;
    }

    @Override
    public AutoCloseable occupyPort(int port) {
        try {
            DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET6);
            channel.bind(new InetSocketAddress(port));
            return channel;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void stop() {
        server.close();
        try {
            device.close();
        } catch (IOException e) {
            // closing a UDP socket in a test stand-in
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            ShutdownCleanup.unregister(cleanup);
        }
    }

    @Override
    public String toString() {
        return "jwg (in process) " + ifname;
    }
}
