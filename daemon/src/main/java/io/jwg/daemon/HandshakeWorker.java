package io.jwg.daemon;

import io.jwg.core.message.MessageType;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Handshake messages on their own bounded queue and thread, so a flood of initiations cannot
 * starve transport data. Like wireguard-go, the device counts as under load while the queue is
 * at least 1/8 full, and for one second after; under load the engine demands MAC2 (answering
 * with cookie replies) and rate-limits sources.
 */
final class HandshakeWorker {
    /** wireguard-go QueueHandshakeSize. */
    static final int QUEUE_SIZE = 1024;
    private static final int UNDER_LOAD_DEPTH = QUEUE_SIZE / 8;
    private static final long UNDER_LOAD_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Device device;
    private final ArrayBlockingQueue<DatagramPacket> queue = new ArrayBlockingQueue<>(QUEUE_SIZE);
    private final ByteBuffer out = ByteBuffer.allocateDirect(UdpTransport.MAX_DATAGRAM);
    private final Received received = new Received();
    private final UdpSender sender = new UdpSender();
    private final Thread thread;
    private volatile long underLoadUntil;
    private volatile boolean running = true;

    HandshakeWorker(Device device) {
        this.device = device;
        this.thread = new DaemonThreads("jwg-handshake").newThread(this::run);
    }

    void start() {
        thread.start();
    }

    /** Queues a handshake datagram (taking ownership); drops it when the queue is full. */
    void offer(DatagramPacket packet) {
        if (!queue.offer(packet)) {
            packet.release();
        }
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
            DatagramPacket packet;
            try {
                packet = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (packet == null) {
                continue;
            }
            try {
                handle(packet);
            } catch (RuntimeException e) {
                device.log().error("Handshake processing failed: " + e);
            } finally {
                packet.release();
            }
        }
        DatagramPacket left;
        while ((left = queue.poll()) != null) {
            left.release();
        }
    }

    private void handle(DatagramPacket packet) {
        ByteBuffer datagram = packet.content().nioBuffer();
        var source = packet.sender();
        Verdict verdict = device.engine0().decapsulate(datagram, source, underLoad(), out, received);
        Tunnel tunnel = received.tunnel();
        Log log = device.log();
        if (log.verbose()) {
            logOutcome(log, verdict, tunnel, packet);
        }
        InetAddress local = packet.recipient() == null ? null : packet.recipient().getAddress();
        if (verdict == Verdict.WRITE_TO_NETWORK) {
            device.reply(out, source, local, sender);
        }
        if (tunnel != null && verdict != Verdict.DROP && !received.cookieReplySent()) {
            device.noteLocalAddress(tunnel, local);
        }
        device.drain(tunnel, out, sender);
    }

    private void logOutcome(Log log, Verdict verdict, Tunnel tunnel, DatagramPacket packet) {
        java.net.InetSocketAddress source = packet.sender();
        String peer = tunnel == null ? source.toString() : Peers.name(tunnel);
        if (received.cookieReplySent()) {
            log.debug(peer + " - Sending cookie response for denied handshake message");
        } else if (verdict == Verdict.DROP) {
            log.debug("Dropped handshake message from " + source + ": " + received.dropReason().label);
        } else if (received.type() == MessageType.INITIATION) {
            log.debug(peer + " - Received handshake initiation at " + packet.recipient() + "; sending handshake response");
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
