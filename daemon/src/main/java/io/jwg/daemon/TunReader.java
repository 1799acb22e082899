package io.jwg.daemon;

import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import io.jwg.tun.TunDevice;
import io.jwg.tun.VirtioNetHdr;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The outbound path's producer, on its own thread: blocks for one TUN packet, then takes the
 * rest of the burst without blocking ({@link TunDevice#tryRead}, up to {@value #BURST} packets);
 * with TUN offloads a read may be a TCP super-packet, which {@link TunSegments} cuts into
 * segments that each go on as if read alone. Each packet is routed and its counter reserved under its peer's lock, then it enters the peer's
 * ordered queue and the encryption queue ({@link DataPath}). Packets staged behind a handshake,
 * and whatever else a peer wants to send, leave through {@link Device#drain} once per burst.
 * When the TUN read reports {@link TunDevice#CLOSED} (interface deleted), the device stops.
 */
final class TunReader {
    /** Packets (segments of super-packets included) taken per burst at most. */
    private static final int BURST = 128;
    /** The largest read: an IPv6 packet with the largest payload, behind a virtio header. */
    private static final int READ_BUFFER = 65_535 + 40 + VirtioNetHdr.SIZE;

    private final Device device;
    private final DataPath dataPath;
    private final Thread thread;
    private final Worker worker = new Worker();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER);
    private final TunSegments segments;
    private int mtu = -1;

    TunReader(Device device, DataPath dataPath) {
        this.device = device;
        this.dataPath = dataPath;
        this.segments = new TunSegments(device.tun().offloads());
        this.thread = new DaemonThreads("jwg-tun-reader", device.ioPriority()).newThread(this::run);
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
        Engine engine = device.engine();
        while (!device.isClosed()) {
            if (engine.mtu() != mtu) {
                mtu = engine.mtu();
                dataPath.setMtu(mtu);
            }
            int length = read(tun, true);
            if (length < 0) {
                if (length == TunDevice.CLOSED) {
                    closed();
                    return;
                }
                continue;
            }
            if (!burst(tun, engine)) {
                return;
            }
        }
    }

    /**
     * Handles the packet just read and whatever else is ready, up to {@link #BURST} packets;
     * false once the device closed. A method of its own because {@link #run} is entered once:
     * under sparse traffic its loop never gets hot enough to be compiled, so what it does
     * itself runs in the interpreter, while this is compiled like any other method.
     */
    private boolean burst(TunDevice tun, Engine engine) {
        if (!engine.isUp()) {
            // A TUN only yields packets once it is up: do not wait for the next probe.
            device.probeLinkNow();
        }
        Tunnel pending = null;
        boolean waited = false;
        int packets = 0;
        while (true) {
            int count = segments.begin(readBuffer);
            for (int i = 0; i < count; i++) {
                // The burst's first packet may wait for a buffer; later ones are dropped without.
                DataPacket p = waited ? dataPath.acquire(segments.length(i)) : acquireWaiting(segments.length(i));
                if (p == null) {
                    if (device.isClosed()) {
                        return false;
                    }
                    continue; // counted by the pool
                }
                waited = true;
                segments.copy(i, p.in);
                pending = process(engine, p, pending);
            }
            packets += Math.max(count, 1);
            if (packets >= BURST) {
                break;
            }
            int length = read(tun, false);
            if (length <= 0) {
                if (length == TunDevice.CLOSED) {
                    closed();
                    return false;
                }
                break;
            }
        }
        dataPath.helpOutbound(worker);
        if (pending != null) {
            device.drain(pending, worker);
        }
        return true;
    }

    /**
     * A pooled packet holding the packet just read; when the pool is drained (crypto far
     * behind), waits briefly for one.
     */
    private DataPacket acquireWaiting(int length) {
        while (!device.isClosed()) {
            DataPacket p = dataPath.acquire(length);
            if (p != null) {
                return p;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
        return null;
    }

    /**
     * Reads one packet into {@link #readBuffer}: the length, 0 (nothing ready), CLOSED, or -2 on
     * error. The read buffer holds the largest packet, so an MTU raised while this thread is
     * blocked (the pool follows the MTU only at the next burst) never truncates a packet.
     */
    private int read(TunDevice tun, boolean block) {
        ByteBuffer in = readBuffer;
        in.clear();
        int length;
        try {
            length = block ? tun.read(in) : tun.tryRead(in);
        } catch (IOException e) {
            if (!device.isClosed()) {
                device.log().error("Failed to read packet from TUN device: " + e.getMessage());
            }
            return -2;
        }
        if (length > 0) {
            in.flip();
        }
        return length;
    }

    /** What the offloads did, for the log at shutdown. */
    String offloadSummary() {
        return segments.summary();
    }

    /**
     * Routes, reserves and queues one packet (in {@code p.in}); returns the tunnel to drain at the end of the
     * burst (draining the previous one first when the peer changes).
     */
    private Tunnel process(Engine engine, DataPacket p, Tunnel pending) {
        Tunnel tunnel = engine.route(p.in);
        if (tunnel == null) {
            engine.encapsulate(p.in, p.out, worker.received); // counts the drop by reason
            dataPath.release(p);
            return pending;
        }
        if (pending != null && pending != tunnel) {
            device.drain(pending, worker);
        }
        PeerQueues queues = dataPath.queues(tunnel);
        long now = System.nanoTime();
        if (queues.outbound.congested(now)) { // before the counter is spent
            dataPath.countQueueDrop();
            dataPath.release(p);
            return tunnel;
        }
        boolean queued;
        synchronized (tunnel) { // the counter and the place in the queue together: see Device.drain
            queued = tunnel.reserve(p.in, p.out.capacity(), p.seal) == Verdict.WRITE_TO_NETWORK
                    && dataPath.enqueueOutbound(queues, p, now);
        }
        if (queued) {
            dataPath.sealOutbound(p, worker);
        } else {
            dataPath.release(p);
        }
        return tunnel;
    }

    private void closed() {
        if (!device.isClosed()) {
            // Stopping joins this thread; do it from another one.
            Thread.ofPlatform().daemon().start(() -> device.stop("TUN device is gone"));
        }
    }
}
