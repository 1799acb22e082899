package io.jwg.tests.support;

import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The smallest possible I/O layer for the core {@link Engine}: one non-blocking
 * {@link DatagramChannel}, driven from the calling thread, with no TUN. What the engine decrypts
 * for the tunnel goes to a caller-supplied handler instead; what the test wants to send through
 * the tunnel goes in by {@link #send}. It follows the engine's contract to the letter: every
 * {@code WRITE_TO_NETWORK} output is sent (decapsulate output back to the datagram's source, poll
 * output to the peer's endpoint), and a tunnel's {@link Tunnel#poll} is drained until
 * {@link Verdict#DONE} after each packet that names it and whenever its timer deadline passes.
 *
 * <p>Not thread-safe: one test thread owns the driver.
 */
public final class EngineDriver implements AutoCloseable {
    private static final int BUFFER_SIZE = 65_536;
    private static final long MAX_SELECT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Engine engine;
    private final DatagramChannel channel;
    private final Selector selector;
    private final ByteBuffer in = ByteBuffer.allocate(BUFFER_SIZE);
    private final ByteBuffer out = ByteBuffer.allocate(BUFFER_SIZE);
    private final Received received = new Received();
    private final List<String> trace = new ArrayList<>();
    private int datagramsSent;
    private int datagramsReceived;
    private boolean underLoad;

    private EngineDriver(Engine engine, DatagramChannel channel, Selector selector) {
        this.engine = engine;
        this.channel = channel;
        this.selector = selector;
    }

    /** Binds a UDP socket to {@code local} (port 0 picks one) and drives {@code engine} over it. */
    public static EngineDriver bind(Engine engine, InetSocketAddress local) {
        DatagramChannel channel = null;
        Selector selector = null;
        try {
            channel = DatagramChannel.open();
            channel.bind(local);
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new EngineDriver(engine, channel, selector);
        } catch (IOException e) {
            closeQuietly(selector);
            closeQuietly(channel);
            throw new UncheckedIOException("cannot bind " + local, e);
        }
    }

    /** The bound local address, with the port actually chosen. */
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Hands an IP packet to the engine as if read from the TUN: routes and encapsulates it,
     * sends the transport message if a session is up, then drains the tunnel (which sends the
     * handshake initiation a staged packet asks for). Returns the engine's verdict.
     */
    public Verdict send(byte[] ipPacket) {
        Verdict verdict = engine.encapsulate(ByteBuffer.wrap(ipPacket), out, received);
        trace("encapsulate " + ipPacket.length + " B -> " + verdict
                + (received.dropReason() == null ? "" : " " + received.dropReason()));
        Tunnel tunnel = received.tunnel();
        if (verdict == Verdict.WRITE_TO_NETWORK && tunnel != null) {
            transmit(out, tunnel.endpoint());
        }
        drain(tunnel);
        return verdict;
    }

    /**
     * Runs the I/O loop until {@code done} holds or {@code timeout} passes, handing every packet
     * the engine decrypts for the TUN to {@code toTunnel}; returns whether {@code done} held.
     */
    public boolean pumpUntil(Duration timeout, BooleanSupplier done, Consumer<byte[]> toTunnel) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return false;
            }
            long wait = Math.min(Math.min(deadline - now, MAX_SELECT_NANOS), untilNextTimer(now));
            pumpOnce(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)), toTunnel);
        }
        return true;
    }

    /**
     * Tells the engine whether handshakes are queueing up, as a daemon would: under load it
     * answers handshake messages without a valid MAC2 with a cookie reply.
     */
    public void setUnderLoad(boolean underLoad) {
        this.underLoad = underLoad;
    }

    /** Datagrams sent and received so far, and what the engine did with each, for failure messages. */
    public String describe() {
        return "sent " + datagramsSent + ", received " + datagramsReceived + " datagrams\n" + String.join("\n", trace);
    }

    @Override
    public void close() {
        closeQuietly(selector);
        closeQuietly(channel);
    }

    private void pumpOnce(long waitMillis, Consumer<byte[]> toTunnel) {
        try {
            selector.select(waitMillis);
            selector.selectedKeys().clear();
            SocketAddress source;
            while (true) {
                in.clear();
                source = channel.receive(in);
                if (source == null) {
                    break;
                }
                in.flip();
                datagramsReceived++;
                handle((InetSocketAddress) source, toTunnel);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long now = System.nanoTime();
        for (Tunnel tunnel : engine.peers()) {
            if (tunnel.hasPendingOutput() || now - tunnel.nextDeadline() >= 0) {
                drain(tunnel);
            }
        }
    }

    private void handle(InetSocketAddress source, Consumer<byte[]> toTunnel) {
        int size = in.remaining();
        Verdict verdict = engine.decapsulate(in, source, underLoad, out, received);
        trace("decapsulate " + size + " B " + received.type() + " from " + source + " -> " + verdict
                + (received.dropReason() == null ? "" : " " + received.dropReason()));
        Tunnel tunnel = received.tunnel(); // before the handler, whose send() reuses `received`
        switch (verdict) {
            case WRITE_TO_NETWORK -> transmit(out, source);
            case WRITE_TO_TUNNEL -> {
                byte[] packet = new byte[out.remaining()];
                out.get(out.position(), packet);
                toTunnel.accept(packet);
            }
            case DONE, DROP -> {
                // Nothing to emit; drops are counted by the engine and traced above.
            }
        }
        // After the handler: a reply it sent may already have drained this tunnel; draining
        // again is harmless and is what the contract asks for after any packet naming it.
        drain(tunnel);
    }

    private void drain(Tunnel tunnel) {
        if (tunnel == null) {
            return;
        }
        while (tunnel.poll(out) == Verdict.WRITE_TO_NETWORK) {
            transmit(out, tunnel.endpoint());
        }
    }

    private void transmit(ByteBuffer datagram, InetSocketAddress destination) {
        if (destination == null) {
            trace("no endpoint: dropped " + datagram.remaining() + " B");
            return;
        }
        try {
            int size = datagram.remaining();
            // A datagram channel sends all or nothing; 0 means the socket buffer was full.
            int sent = channel.send(datagram, destination);
            datagramsSent += sent > 0 ? 1 : 0;
            trace("sent " + size + " B (type " + (size > 0 ? datagram.get(0) : -1) + ") to " + destination
                    + (sent > 0 ? "" : " FAILED: buffer full"));
        } catch (IOException e) {
            throw new UncheckedIOException("send to " + destination, e);
        }
    }

    private long untilNextTimer(long now) {
        long next = Long.MAX_VALUE;
        for (Tunnel tunnel : engine.peers()) {
            long deadline = tunnel.nextDeadline();
            if (deadline != Long.MAX_VALUE) {
                next = Math.min(next, Math.max(0, deadline - now));
            }
        }
        return next;
    }

    private void trace(String line) {
        if (trace.size() < 200) {
            trace.add(line);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            // Closing a selector or socket at the end of a test: nothing useful to do on failure.
        }
    }
}
