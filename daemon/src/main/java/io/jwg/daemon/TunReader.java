package io.jwg.daemon;

import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import io.jwg.tun.TunDevice;
import io.jwg.tun.VirtioNetHdr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The outbound path's producer, on its own thread: waits until the TUN has a packet
 * ({@link TunDevice#awaitReadable}), then takes the burst without blocking
 * ({@link TunDevice#tryRead}, up to {@value #BURST} packets); with TUN offloads a read may be a
 * TCP super-packet, which {@link TunSegments} cuts into segments that each go on as if read
 * alone. Each packet is routed and its counter reserved under its peer's lock, then it enters
 * the peer's ordered queue and the encryption queue ({@link DataPath}). Packets staged behind a
 * handshake, and whatever else a peer wants to send, leave through {@link Device#drain} once per
 * burst. When the TUN reports {@link TunDevice#CLOSED} (interface deleted), the device stops.
 *
 * <p>The UDP event loop takes a turn too ({@link #helpRead}) at the end of each batch, when this
 * thread is not reading: what the kernel sent back at once in answer to the packets it just
 * wrote (echo replies, TCP acknowledgements) then leaves without waking this thread. Reads and
 * the queueing that follows happen in turns ({@link #turn}, one thread at a time), so packets
 * enter the peers' queues in the order the TUN gave them. Why: on an idle 2-vCPU VM, waking a sleeping thread
 * took 30-300 µs (median ~110) of the reply's ~225 µs from the TUN to the wire, against 72-81 µs
 * for wireguard-go's whole hop (pings 250 ms apart; tcpdump and timestamps in the daemon).
 */
final class TunReader {
    /** Whether the UDP event loop helps read ({@code -Djwg.tunHelpRead=false}: it does not). */
    static final boolean HELP = !"false".equals(System.getProperty("jwg.tunHelpRead"));
    /** How long the reader's thread sleeps between looks while a helper has the turn. */
    private static final long TURN_WAIT_NANOS = 20_000;
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
    /**
     * Set while a thread reads and queues: this reader's own, or another one helping
     * ({@link #helpRead}). Setting and clearing it orders one turn's reads and reader state
     * before the next turn's.
     */
    private final AtomicBoolean turn = new AtomicBoolean();
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
            int ready;
            try {
                ready = tun.awaitReadable();
            } catch (IOException e) {
                if (!device.isClosed()) {
                    device.log().error("Failed to read packet from TUN device: " + e.getMessage());
                }
                continue;
            }
            if (ready == TunDevice.CLOSED) {
                closed();
                return;
            }
            takeTurn();
            try {
                if (!burst(tun, engine, true)) {
                    return;
                }
            } finally {
                turn.set(false);
            }
        }
    }

    /**
     * Takes what the TUN has ready on the calling thread, unless a turn is under way: called by
     * the UDP event loop at the end of a batch, after its TUN writes. A packet the kernel
     * answers at once (an echo reply, a TCP acknowledgement) is then already queued, and
     * sealing and sending it here saves the wake-up of this reader's thread, which on an idle
     * machine costs more than the rest of the hop (see the class comment).
     */
    void helpRead() {
        if (!HELP || device.isClosed() || turn.get() || !turn.compareAndSet(false, true)) {
            return;
        }
        try {
            burst(device.tun(), device.engine(), false);
        } finally {
            turn.set(false);
        }
    }

    /**
     * The reader's own thread takes the turn, waiting out a helper's burst (at most
     * {@link #BURST} packets): spins briefly, then sleeps in short steps. Not a lock's queue,
     * whose waiting node would be an allocation per contended turn on the packet path.
     */
    private void takeTurn() {
        int spins = 0;
        while (!turn.compareAndSet(false, true)) {
            if (++spins < 64) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(TURN_WAIT_NANOS);
            }
        }
    }

    /**
     * Handles what is ready, up to {@link #BURST} packets; false once the device closed. A
     * method of its own because {@link #run} is entered once: under sparse traffic its loop
     * never gets hot enough to be compiled, so what it does itself runs in the interpreter,
     * while this is compiled like any other method. Called holding the {@link #turn}; only the
     * reader's own thread ({@code own}) follows MTU changes and stops the device.
     */
    private boolean burst(TunDevice tun, Engine engine, boolean own) {
        if (own && engine.mtu() != mtu) {
            mtu = engine.mtu();
            dataPath.setMtu(mtu);
        }
        if (own && !engine.isUp()) {
            // A TUN only yields packets once it is up: do not wait for the next probe.
            device.probeLinkNow();
        }
        Tunnel pending = null;
        boolean waited = !own;
        int packets = 0;
        while (packets < BURST) {
            int length = read(tun);
            if (length <= 0) {
                if (length == TunDevice.CLOSED) {
                    if (own) {
                        closed();
                    }
                    return false;
                }
                break;
            }
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
            LockSupport.parkNanos(50_000);
        }
        return null;
    }

    /**
     * Reads one ready packet into {@link #readBuffer} without waiting: the length, 0 (nothing
     * ready), CLOSED, or -2 on error. The read buffer holds the largest packet, so an MTU raised
     * meanwhile (the pool follows the MTU only at the next burst) never truncates a packet.
     */
    private int read(TunDevice tun) {
        ByteBuffer in = readBuffer;
        in.clear();
        int length;
        try {
            length = tun.tryRead(in);
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
