package io.jwg.daemon;

import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.MessageType;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Handshake messages on their own bounded queue and thread, so a flood of initiations cannot
 * starve transport data. The receive threads run the cheap checks first
 * ({@code Engine.precheckHandshake}: size, MAC1, under load MAC2 or a cookie reply, the
 * per-source rate limit) and queue only what passes, so a flood is answered or dropped before it
 * can occupy a slot a real peer needs; this thread does the Diffie-Hellman work. Like
 * wireguard-go, the device counts as under load while the queue is at least 1/8 full, and for one
 * second after. Messages are copied into a fixed pool of slots on receipt (the receive buffer is
 * reused at once); a full queue drops the message. Per-packet log lines go through a
 * {@link LogLimiter}.
 */
final class HandshakeWorker {
    /** wireguard-go QueueHandshakeSize. */
    static final int QUEUE_SIZE = 1024;
    /** The largest handshake message; the precheck passes only exact sizes. */
    private static final int SLOT_SIZE = HandshakeInitiation.SIZE;
    /** wireguard-go: under load from QueueHandshakeSize / 8 queued messages. */
    static final int UNDER_LOAD_DEPTH = QUEUE_SIZE / 8;
    /** wireguard-go UnderLoadAfterTime. */
    private static final long UNDER_LOAD_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One queued handshake datagram. */
    private static final class Slot {
        final ByteBuffer data = ByteBuffer.allocateDirect(SLOT_SIZE);
        InetSocketAddress source;
        InetAddress local;
    }

    private final Device device;
    private final ArrayBlockingQueue<Slot> queue = new ArrayBlockingQueue<>(QUEUE_SIZE);
    private final ArrayBlockingQueue<Slot> free = new ArrayBlockingQueue<>(QUEUE_SIZE);
    private final Worker worker = new Worker();
    private final LogLimiter packetLog;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private volatile long underLoadUntil;
    private volatile boolean running = true;

    HandshakeWorker(Device device) {
        this.device = device;
        this.packetLog = new LogLimiter(device.log());
        for (int i = 0; i < QUEUE_SIZE; i++) {
            free.add(new Slot());
        }
        this.thread = new DaemonThreads("jwg-handshake").newThread(this::run);
    }

    void start() {
        thread.start();
    }

    /**
     * Whether handshakes are queueing up (wireguard-go {@code IsUnderLoad}): the queue holds at
     * least {@link #UNDER_LOAD_DEPTH} messages, or did less than a second ago. Any thread.
     */
    boolean underLoad() {
        long now = System.nanoTime();
        if (queue.size() >= UNDER_LOAD_DEPTH) {
            underLoadUntil = now + UNDER_LOAD_AFTER_NANOS;
            return true;
        }
        return now - underLoadUntil < 0;
    }

    /**
     * Queues a copy of a handshake datagram that passed the precheck (position to limit, left
     * unchanged); drops it, counted, when all slots are taken. Any thread.
     */
    void offer(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
        Slot slot = free.poll();
        if (slot == null) {
            dropped.incrementAndGet();
            if (device.log().verbose() && packetLog.allow()) {
                device.log().debug("Dropped handshake message from " + source + ": handshake queue full");
            }
            return;
        }
        int length = Math.min(datagram.remaining(), SLOT_SIZE);
        slot.data.clear();
        slot.data.put(slot.data.position(), datagram, datagram.position(), length).limit(length);
        slot.source = source;
        slot.local = local;
        queue.offer(slot); // cannot fail: there are only QUEUE_SIZE slots
    }

    /** Handshake messages dropped because the queue was full. */
    long dropped() {
        return dropped.get();
    }

    /** Whether the device counts as under load now, without extending the period (metrics). */
    boolean isUnderLoad() {
        return queue.size() >= UNDER_LOAD_DEPTH || System.nanoTime() - underLoadUntil < 0;
    }

    /**
     * Logs, within the per-packet budget, what the precheck did with a datagram it did not
     * accept: a cookie reply sent, or a drop and its reason.
     */
    void logRejected(InetSocketAddress source, Received received) {
        Log log = device.log();
        if (!log.verbose() || !packetLog.allow()) {
            return;
        }
        if (received.cookieReplySent()) {
            log.debug(source + " - Sending cookie response for denied handshake message");
        } else {
            log.debug("Dropped handshake message from " + source + ": " + received.dropReason().label);
        }
    }

    private void run() {
        while (running) {
            Slot slot;
            try {
                // Idle, nothing to summarise: sleep until a handshake comes (stop() interrupts).
                slot = packetLog.pending() ? queue.poll(200, TimeUnit.MILLISECONDS) : queue.take();
            } catch (InterruptedException e) {
                break;
            }
            if (slot == null) {
                packetLog.flush();
                continue;
            }
            try {
                handle(slot);
            } catch (RuntimeException e) {
                device.log().error("Handshake processing failed: " + e);
            } finally {
                slot.source = null;
                slot.local = null;
                free.offer(slot);
            }
        }
    }

    private void handle(Slot slot) {
        InetSocketAddress source = slot.source;
        ByteBuffer out = worker.out;
        Received received = worker.received;
        Verdict verdict = device.engine().consumeHandshake(slot.data, source, out, received);
        Tunnel tunnel = received.tunnel();
        Log log = device.log();
        if (log.verbose()) {
            logOutcome(log, verdict, tunnel, slot);
        }
        if (verdict == Verdict.WRITE_TO_NETWORK) {
            device.reply(out, source, slot.local, worker.sender);
        }
        if (tunnel != null && verdict != Verdict.DROP) {
            device.noteLocalAddress(tunnel, slot.local);
        }
        device.drain(tunnel, worker);
    }

    private void logOutcome(Log log, Verdict verdict, Tunnel tunnel, Slot slot) {
        Received received = worker.received;
        if (verdict == Verdict.DROP) {
            if (packetLog.allow()) {
                log.debug("Dropped handshake message from " + slot.source + ": " + received.dropReason().label);
            }
        } else if (received.type() == MessageType.INITIATION) {
            log.debug(Peers.name(tunnel) + " - Received handshake initiation; sending handshake response");
        } else {
            log.debug(Peers.name(tunnel) + " - Received handshake response");
        }
    }

    void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
