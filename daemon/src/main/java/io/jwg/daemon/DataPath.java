package io.jwg.daemon;

import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Parallel transport crypto with per-peer ordering, wireguard-go's model:
 *
 * <pre>
 * Outbound: TunReader: read burst -> route -> Tunnel.reserve (counter, under the peer lock)
 *             -> peer's outbound PeerQueue (order) -> encryption CryptoQueue (1024)
 *           encryption workers (N, woken when the queue is deep) and the TUN reader itself at
 *           the end of its burst: SealJob.seal -> done -> drain the peer's queue:
 *             consecutive sealed packets leave in one sendmmsg, in counter order
 * Inbound:  UDP event loop: copy datagram -> Engine.beginTransport (index, keypair)
 *             -> peer's inbound PeerQueue (order) -> decryption CryptoQueue (1024)
 *           decryption workers (N, woken when the queue is deep) and the event loop itself at
 *           the end of its read batch: OpenJob.open -> done -> drain the peer's queue:
 *             Engine.finishTransport (replay, timers, allowed IPs, under the peer lock) -> TUN writes
 *             at the end of the batch, TCP segments of a flow coalesced ({@link TunWrites})
 * </pre>
 *
 * N is the number of available processors. Packets come from a bounded pool of direct buffers
 * and go back to it after delivery; a full queue or an empty pool drops the packet (counted).
 * The workers own their cipher and sender ({@link Worker}); nothing is allocated per packet.
 */
final class DataPath {
    /** wireguard-go QueueOutboundSize/QueueInboundSize for the shared crypto queues. */
    static final int CRYPTO_QUEUE = 1024;
    /** Packets in flight at most, both directions together. */
    static final int POOL_SIZE = 4096;
    private static final int MIN_CAPACITY = 2048;
    /** Maximum-size packets for datagrams beyond the MTU (about 8 MB of direct memory at most). */
    static final int JUMBO_POOL_SIZE = 64;
    private static final int JUMBO_ID_BASE = POOL_SIZE;

    private final Device device;
    /** Free packets, lock-free: every data-path thread acquires or releases. */
    private final FreeList<DataPacket> pool = new FreeList<>(POOL_SIZE);
    private final AtomicInteger created = new AtomicInteger();
    private final FreeList<DataPacket> jumboPool = new FreeList<>(JUMBO_POOL_SIZE);
    private final AtomicInteger jumboCreated = new AtomicInteger();
    // Named classes, not method references: a reference's class is hidden, has no training
    // profile in the ahead-of-time cache (bin/jwg), and ran interpreted for the first ~200
    // packets, a minute of sparse traffic.
    private final Outbound outbound = new Outbound();
    private final Inbound inbound = new Inbound();
    private final CryptoQueue encryption = new CryptoQueue(CRYPTO_QUEUE, outbound);
    private final CryptoQueue decryption = new CryptoQueue(CRYPTO_QUEUE, inbound);
    private final List<Thread> threads = new ArrayList<>();
    /** Drops for want of a slot in a peer's queue or the crypto queue. */
    private final AtomicLong dropped = new AtomicLong();
    /** Drops for want of a pooled packet. */
    private final AtomicLong noBuffer = new AtomicLong();
    private final LongAdder coalescedWrites = new LongAdder();
    private final LongAdder coalescedSegments = new LongAdder();
    private final LatencyRecorder outboundLatency = new LatencyRecorder();
    private final LatencyRecorder inboundLatency = new LatencyRecorder();
    private volatile boolean running = true;
    private volatile int capacity = MIN_CAPACITY;

    DataPath(Device device) {
        this.device = device;
        int n = Math.max(1, Runtime.getRuntime().availableProcessors());
        for (int i = 0; i < n; i++) {
            threads.add(new DaemonThreads("jwg-encrypt").newThread(() -> encryption.serve(new Worker())));
            threads.add(new DaemonThreads("jwg-decrypt").newThread(() -> decryption.serve(new Worker())));
        }
    }

    void start() {
        threads.forEach(Thread::start);
    }

    void stop() {
        running = false;
        threads.forEach(Thread::interrupt);
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Packets dropped for want of a slot in a peer's queue or the crypto queue, or because they
     * would have waited too long in the peer's queue ({@link Codel}).
     */
    long queueDrops() {
        return dropped.get();
    }

    /** Packets dropped for want of a pooled packet (or too big for any). */
    long bufferDrops() {
        return noBuffer.get();
    }

    /** Counts a packet its producer gave up because the peer's queue was full or congested. */
    void countQueueDrop() {
        dropped.incrementAndGet();
    }

    /** Sampled time from TUN read to UDP send (see {@link DataPacket#startNanos}). */
    LatencyRecorder outboundLatency() {
        return outboundLatency;
    }

    /** Sampled time from UDP receive to TUN write. */
    LatencyRecorder inboundLatency() {
        return inboundLatency;
    }

    /** Follows the MTU: pooled buffers hold a whole TUN packet. */
    void setMtu(int mtu) {
        capacity = Math.max(MIN_CAPACITY, (Math.max(mtu, 0) + 64 + 511) & ~511);
    }

    /** The peer's ordered queues, created on first use. */
    PeerQueues queues(Tunnel tunnel) {
        Object attached = tunnel.attachment();
        if (attached == null) {
            attached = tunnel.attachIfAbsent(new PeerQueues(tunnel, outbound, inbound));
        }
        return (PeerQueues) attached;
    }

    /**
     * A pooled packet whose buffers hold {@code length} bytes, or null (counted) when none is
     * left. Packets track the MTU; a datagram bigger than that (a peer with a larger MTU, or
     * anyone who knows a receiver index, since the size is checked before authentication) takes
     * one of {@value #JUMBO_POOL_SIZE} maximum-size packets, so such datagrams can neither make
     * the data path allocate nor pin more than a few MB of direct memory.
     */
    DataPacket acquire(int length) {
        int want = Math.max(length, capacity);
        if (want > capacity) {
            return acquireJumbo(length);
        }
        DataPacket p = pool.poll();
        if (p == null) {
            int n = created.incrementAndGet();
            if (n > POOL_SIZE) {
                created.decrementAndGet();
                noBuffer.incrementAndGet();
                return null;
            }
            p = new DataPacket(n - 1, want);
        } else if (p.capacity() < want) {
            p.allocate(want); // the MTU grew; once per pooled packet
        }
        p.reset();
        return p;
    }

    private DataPacket acquireJumbo(int length) {
        if (length > UdpTransport.MAX_DATAGRAM) {
            noBuffer.incrementAndGet();
            return null;
        }
        DataPacket p = jumboPool.poll();
        if (p == null) {
            int n = jumboCreated.incrementAndGet();
            if (n > JUMBO_POOL_SIZE) {
                jumboCreated.decrementAndGet();
                noBuffer.incrementAndGet();
                return null;
            }
            p = new DataPacket(JUMBO_ID_BASE + n - 1, UdpTransport.MAX_DATAGRAM);
        }
        p.reset();
        return p;
    }

    /** Returns a packet to its pool. */
    void release(DataPacket p) {
        if (p.startNanos != 0 && p.live && p.done) {
            // Sampled and delivered (crypto ran): inbound packets are the ones with a source.
            (p.source == null ? outboundLatency : inboundLatency).record(System.nanoTime() - p.startNanos);
        }
        p.peer = null;
        p.source = null;
        p.recipient = null;
        if (p.id >= JUMBO_ID_BASE) {
            jumboPool.offer(p.id - JUMBO_ID_BASE, p);
        } else {
            pool.offer(p.id, p);
        }
    }

    /**
     * Takes a place in the peer's outbound queue for a packet just reserved; called under the
     * tunnel's lock, in the same critical section as {@code Tunnel.reserve}, so that queue order
     * is counter order. False (counted) when the queue is full and the caller keeps the packet.
     */
    boolean enqueueOutbound(PeerQueues peer, DataPacket p, long now) {
        p.peer = peer;
        if (!peer.outbound.offer(p, now)) {
            dropped.incrementAndGet();
            return false;
        }
        return true;
    }

    /** Hands an enqueued outbound packet to the encryption workers (outside the tunnel's lock). */
    void sealOutbound(DataPacket p, Worker worker) {
        if (encryption.offer(p)) {
            return;
        }
        encryption.help(worker); // full: catch up on this thread rather than drop
        if (!encryption.offer(p)) {
            dropped.incrementAndGet();
            p.live = false;
            p.done = true;
            p.peer.outbound.drain(worker);
        }
    }

    /**
     * Appends a datagram the tunnel sealed itself ({@code Tunnel.poll}: staged packets,
     * keepalives) to the peer's outbound queue, already done; called under the tunnel's lock.
     * Its counter is spent either way: when no packet or slot is left it is dropped (counted),
     * which the receiver sees as loss. The caller drains the queue after letting go of the lock.
     */
    void queueSealed(PeerQueues peer, ByteBuffer datagram) {
        if (peer.outbound.isFull()) {
            dropped.incrementAndGet();
            return;
        }
        DataPacket p = acquire(datagram.remaining());
        if (p == null) {
            return; // counted by the pool
        }
        p.out.clear();
        p.out.put(datagram).flip();
        p.peer = peer;
        p.done = true;
        peer.outbound.offer(p, System.nanoTime());
    }

    /** Queues an inbound packet that passed {@code beginTransport} (event loop only, in arrival order). */
    boolean submitInbound(PeerQueues peer, DataPacket p, Worker worker) {
        p.peer = peer;
        long now = System.nanoTime();
        if (peer.inbound.congested(now) || !peer.inbound.offer(p, now)) {
            dropped.incrementAndGet();
            return false;
        }
        if (decryption.offer(p)) {
            return true;
        }
        decryption.help(worker); // full: catch up on this thread rather than drop
        if (!decryption.offer(p)) {
            dropped.incrementAndGet();
            p.live = false;
            p.done = true;
            peer.inbound.drain(worker);
        }
        return true;
    }

    /** The producer's share of the outbound crypto: called at the end of each TUN burst. */
    void helpOutbound(Worker worker) {
        encryption.help(worker);
    }

    /** The producer's share of the inbound crypto: called at the end of each UDP read batch. */
    void helpInbound(Worker worker) {
        decryption.help(worker);
    }

    private void seal(DataPacket p, Worker worker) {
        try {
            p.seal.seal(worker.aead, p.in, p.out);
        } catch (RuntimeException e) {
            p.live = false;
            device.log().error("Transport encryption failed: " + e);
        }
        PeerQueues peer = p.peer;
        p.done = true;
        peer.outbound.drain(worker);
    }

    private void open(DataPacket p, Worker worker) {
        try {
            p.open.open(worker.aead, p.in, p.out);
        } catch (RuntimeException e) {
            p.live = false;
            device.log().error("Transport decryption failed: " + e);
        }
        PeerQueues peer = p.peer;
        p.done = true;
        peer.inbound.drain(worker);
    }

    /** Outbound sink: the sealed head of a peer's queue, in one sendmmsg where possible. */
    private void send(DataPacket[] batch, int count, Worker worker) {
        Tunnel tunnel = batch[0].peer.tunnel;
        UdpSender sender = worker.sender;
        sender.batchClear();
        int failedBytes = 0;
        for (int i = 0; i < count; i++) {
            DataPacket p = batch[i];
            if (p.live) {
                sender.batchAdd(p.outAddress + p.out.position(), p.out.remaining());
            }
        }
        InetSocketAddress endpoint = tunnel.endpoint();
        if (sender.batchSize() > 0) {
            failedBytes = device.sendBatch(tunnel, endpoint, sender);
        }
        for (int i = 0; i < count; i++) {
            release(batch[i]);
            batch[i] = null;
        }
        if (failedBytes > 0) {
            tunnel.onSendFailed(failedBytes);
        }
    }

    /** Inbound sink: the ordered checks, then the TUN, then whatever the peer has queued to send. */
    private void deliver(DataPacket[] batch, int count, Worker worker) {
        Tunnel tunnel = batch[0].peer.tunnel;
        var engine = device.engine();
        TunWrites writes = worker.tunWrites;
        InetAddress lastLocal = null;
        for (int i = 0; i < count; i++) {
            DataPacket p = batch[i];
            batch[i] = null;
            if (!p.live) {
                release(p);
                continue;
            }
            Verdict verdict = engine.finishTransport(p.open, p.source, p.out, worker.received);
            if (verdict == Verdict.WRITE_TO_TUNNEL || verdict == Verdict.DONE) {
                if (p.recipient != lastLocal) {
                    lastLocal = p.recipient;
                    device.noteLocalAddress(tunnel, p.recipient);
                }
            }
            if (verdict != Verdict.WRITE_TO_TUNNEL) {
                release(p);
                continue;
            }
            writes.add(p);
        }
        writes.flush(device.tun(), this, device.log());
        device.drain(tunnel, worker);
    }

    /** Counts one TCP super-packet written to the TUN and the segments it carried. */
    void countCoalesced(int segments) {
        coalescedWrites.increment();
        coalescedSegments.add(segments);
    }

    /** What TUN write coalescing did, for the log at shutdown. */
    String coalesceSummary() {
        return "TUN writes: " + coalescedSegments.sum() + " TCP segments coalesced into " + coalescedWrites.sum()
                + " super-packets";
    }

    /** The outbound direction's crypto job (seal) and its peer queues' sink (send). */
    private final class Outbound implements CryptoQueue.Job, PeerQueue.Sink {
        @Override
        public void run(DataPacket packet, Worker worker) {
            seal(packet, worker);
        }

        @Override
        public void deliver(DataPacket[] batch, int count, Worker worker) {
            send(batch, count, worker);
        }
    }

    /** The inbound direction's crypto job (open) and its peer queues' sink (deliver). */
    private final class Inbound implements CryptoQueue.Job, PeerQueue.Sink {
        @Override
        public void run(DataPacket packet, Worker worker) {
            open(packet, worker);
        }

        @Override
        public void deliver(DataPacket[] batch, int count, Worker worker) {
            DataPath.this.deliver(batch, count, worker);
        }
    }
}
