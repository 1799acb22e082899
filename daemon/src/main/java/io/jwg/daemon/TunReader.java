package io.jwg.daemon;

import io.jwg.core.tunnel.Received;
import io.jwg.tun.TunDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The outbound path on its own thread: TUN read, route and seal in the engine, UDP send. When
 * the TUN read reports {@link TunDevice#CLOSED} (interface deleted), the device stops.
 */
final class TunReader {
    private final Device device;
    private final Thread thread;
    private final ByteBuffer in = ByteBuffer.allocateDirect(UdpTransport.MAX_DATAGRAM);
    private final ByteBuffer out = ByteBuffer.allocateDirect(UdpTransport.MAX_DATAGRAM);
    private final Received received = new Received();
    private final UdpSender sender = new UdpSender();

    TunReader(Device device) {
        this.device = device;
        this.thread = new DaemonThreads("jwg-tun-reader").newThread(this::run);
    }

    void start() {
        thread.start();
    }

    void join() {
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        TunDevice tun = device.tun();
        while (!device.isClosed()) {
            in.clear();
            int length;
            try {
                length = tun.read(in);
            } catch (IOException e) {
                if (device.isClosed()) {
                    return;
                }
                device.log().error("Failed to read packet from TUN device: " + e.getMessage());
                continue;
            }
            if (length == TunDevice.CLOSED) {
                if (!device.isClosed()) {
                    // Stopping joins this thread; do it from another one.
                    Thread.ofPlatform().daemon().start(() -> device.stop("TUN device is gone"));
                }
                return;
            }
            in.flip();
            if (!device.engine0().isUp()) {
                // A TUN only yields packets once it is up: do not wait for the next probe.
                device.probeLinkNow();
            }
            send();
        }
    }

    private void send() {
        device.encapsulateAndSend(in, out, received, sender);
    }
}
