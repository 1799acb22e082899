package io.jwg.daemon;

import io.jwg.core.message.MessageType;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Handshake messages on their own bounded queue and thread, so a flood of initiations cannot
 * starve transport data. Like wireguard-go, the device counts as under load while the queue is
 * at least 1/8 full, and for one second after; under load the engine demands MAC2 (answering
 * with cookie replies) and rate-limits sources. Messages are copied into a fixed pool of slots
 * on receipt (the receive buffer is reused at once); a full queue drops the message.
 */
final class HandshakeWorker {
    /** wireguard-go QueueHandshakeSize. */
    static final int QUEUE_SIZE = 1024;
    /** Larger than any handshake message (148 B); a longer datagram is invalid anyway. */
    private static final int SLOT_SIZE = 256;
    private static final int UNDER_LOAD_DEPTH = QUEUE_SIZE / 8;
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
    private final Thread thread;
    private volatile long underLoadUntil;
    private volatile boolean running = true;
    /** Written by the receive thread only; volatile for the metrics reader. */
    private volatile long dropped;

    HandshakeWorker(Device device) {
        this.device = device;
        for (int i = 0; i < QUEUE_SIZE; i++) {
            free.add(new Slot());
        }
        this.thread = new DaemonThreads("jwg-handshake").newThread(this::run);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues a copy of the handshake datagram (position to limit, left unchanged); drops it,
     * counted, when all slots are taken. Called on the receive thread only.
     */
    void offer(ByteBuffer datagram, InetSocketAddress source, InetAddress local) {
        Slot slot = free.poll();
        if (slot == null) {
            dropped++;
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
        return dropped;
    }

    /** Whether the device counts as under load now, without extending the period (metrics). */
    boolean isUnderLoad() {
        return queue.size() >= UNDER_LOAD_DEPTH || System.nanoTime() - underLoadUntil < 0;
    }

    private boolean underLoad() {
        long now = System.nanoTime();
        if (queue.size() >= UNDER_LOAD_DEPTH) {
            underLoadUntil = now + UNDER_LOAD_AFTER_NANOS;
            return true;
        }
        return now - underLoadUntil < 0;
    }

    private void run() {
        while (running) {
            Slot slot;
            try {
                slot = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (slot == null) {
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
        Verdict verdict = device.engine().decapsulate(slot.data, source, underLoad(), out, received);
        Tunnel tunnel = received.tunnel();
        Log log = device.log();
        if (log.verbose()) {
            logOutcome(log, verdict, tunnel, slot);
        }
        if (verdict == Verdict.WRITE_TO_NETWORK) {
            device.reply(out, source, slot.local, worker.sender);
        }
        if (tunnel != null && verdict != Verdict.DROP && !received.cookieReplySent()) {
            device.noteLocalAddress(tunnel, slot.local);
        }
        device.drain(tunnel, worker);
    }

    private void logOutcome(Log log, Verdict verdict, Tunnel tunnel, Slot slot) {
        InetSocketAddress source = slot.source;
        String peer = tunnel == null ? source.toString() : Peers.name(tunnel);
        Received received = worker.received;
        if (received.cookieReplySent()) {
            log.debug(peer + " - Sending cookie response for denied handshake message");
        } else if (verdict == Verdict.DROP) {
            log.debug("Dropped handshake message from " + source + ": " + received.dropReason().label);
        } else if (received.type() == MessageType.INITIATION) {
            log.debug(peer + " - Received handshake initiation; sending handshake response");
        } else {
            log.debug(peer + " - Received handshake response");
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
