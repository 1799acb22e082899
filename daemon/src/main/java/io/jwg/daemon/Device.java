package io.jwg.daemon;

import io.jwg.core.message.MessageType;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import io.jwg.tun.TunDevice;
import io.jwg.uapi.UapiDevice;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.SystemEpochNanoClock;
import org.agrona.concurrent.SystemNanoClock;

/**
 * One WireGuard interface: the core {@link Engine} wired to a TUN device and a UDP socket.
 *
 * <pre>
 * Outbound: TunReader thread: TUN read burst -> route, Tunnel.reserve -> DataPath (parallel
 *           sealing, per-peer order) -> sendmmsg
 * Inbound:  UDP event loop:   recvmmsg -> type -> transport: Engine.beginTransport -> DataPath
 *           (parallel opening, per-peer order: finishTransport -> TUN write)
 *                                               handshake: HandshakeWorker queue (bounded)
 * Timers:   Housekeeping thread: due tunnel timers -> Tunnel.poll -> UDP send; link state/MTU
 * Config:   UAPI threads, one operation at a time under configLock
 * </pre>
 *
 * Locking: the engine and each tunnel guard their own state; the device only serializes
 * configuration and link transitions (configLock). Every thread that names a tunnel drains its
 * {@link Tunnel#poll} afterwards with its own output buffer.
 */
public final class Device implements UapiDevice, AutoCloseable {
    /** wireguard-go's default MTU, also what wg-quick sets. */
    public static final int DEFAULT_MTU = 1420;

    private final Log log;
    private final IoPriority ioPriority;
    private final TunDevice tun;
    private final Engine engine;
    private final UdpTransport udp;
    private final HandshakeWorker handshakes;
    private final TunReader tunReader;
    private final DataPath dataPath;
    private final Housekeeping housekeeping;
    private final DeviceStats stats;
    private final Object configLock = new Object();
    /** The configuration threads' scratch (used under configLock only). */
    private final Worker configWorker = new Worker();
    private final ConcurrentHashMap<Tunnel, InetAddress> stickySources = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile String stopReason = "";
    private int listenPort;
    private int fwmark;
    private boolean linkUp;

    /** A device over {@code tun}; call {@link #start()} to run it. */
    public Device(TunDevice tun, Log log) {
        this(tun, log, IoPriority.NONE);
    }

    /** A device whose packet I/O threads run at {@code ioPriority}. */
    Device(TunDevice tun, Log log, IoPriority ioPriority) {
        this.tun = tun;
        this.log = log;
        this.ioPriority = ioPriority;
        this.engine = new Engine(new SystemNanoClock(), new SystemEpochNanoClock(), new SecureRandom());
        // Down until the TUN link is up and the socket bound, as wireguard-go starts.
        engine.down();
        this.handshakes = new HandshakeWorker(this);
        this.dataPath = new DataPath(this);
        this.udp = new UdpTransport(log, () -> new InboundHandler(this, dataPath), ioPriority);
        this.tunReader = new TunReader(this, dataPath);
        this.housekeeping = new Housekeeping(this);
        this.stats = new DeviceStats(this, dataPath, handshakes);
        engine.setHandshakeObserver(stats.handshakeDurations()::record);
    }

    /** Starts the data path threads; the link monitor brings the device up when the TUN is up. */
    public void start() throws IOException {
        engine.setMtu(tun.mtu());
        Thread.ofPlatform().daemon().name("jwg-warm-up").start(() -> {
            udp.warmUp();
            long start = System.nanoTime();
            int ok = AeadWarmUp.run(Aeads.create(), AeadWarmUp.ROUNDS);
            if (ok != AeadWarmUp.ROUNDS) {
                log.error("Transport AEAD warm-up: " + (AeadWarmUp.ROUNDS - ok) + " of " + AeadWarmUp.ROUNDS
                        + " sealed messages did not open");
            } else if (ok > 0) {
                log.debug("Transport AEAD warmed up: " + ok + " round trips in "
                        + (System.nanoTime() - start) / 1_000_000 + " ms");
            }
        });
        handshakes.start();
        dataPath.start();
        tunReader.start();
        housekeeping.start();
    }

    /** Blocks until the device stopped; returns why. */
    public String awaitStop() throws InterruptedException {
        stopped.await();
        return stopReason;
    }

    // ---- what the data path threads share ----

    Log log() {
        return log;
    }

    IoPriority ioPriority() {
        return ioPriority;
    }

    TunDevice tun() {
        return tun;
    }

    UdpTransport udp() {
        return udp;
    }

    TunReader tunReader() {
        return tunReader;
    }

    HandshakeWorker handshakes() {
        return handshakes;
    }

    void probeLinkNow() {
        housekeeping.probeLink();
    }

    boolean isClosed() {
        return closed.get();
    }

    /**
     * Sends everything {@code tunnel} has queued ({@link Tunnel#poll}), with the caller's
     * {@link Worker}. Handshake initiations leave at once. Transport messages (staged packets,
     * keepalives) are sealed here under the tunnel's lock but then join the peer's ordered
     * outbound queue, behind the packets still being sealed by the workers, exactly as every
     * transport message does in wireguard-go: the counter is taken under the same lock as the
     * place in the queue, so datagrams leave in counter order whichever thread produced them.
     */
    void drain(Tunnel tunnel, Worker worker) {
        if (tunnel == null) {
            return;
        }
        if (tunnel.takeSourceClearRequest()) {
            stickySources.remove(tunnel);
        }
        ByteBuffer out = worker.out;
        PeerQueues queues = null;
        while (true) {
            synchronized (tunnel) {
                if (tunnel.poll(out) != Verdict.WRITE_TO_NETWORK) {
                    break;
                }
                if (MessageType.classify(out) == MessageType.TRANSPORT) {
                    queues = dataPath.queues(tunnel);
                    dataPath.queueSealed(queues, out);
                } else {
                    sendToPeer(tunnel, out, worker.sender);
                }
            }
        }
        if (queues != null) {
            queues.outbound.drain(worker);
        }
    }

    /** Sends {@code out} to the tunnel's endpoint from its sticky source; accounts a failure. */
    void sendToPeer(Tunnel tunnel, ByteBuffer out, UdpSender sender) {
        InetSocketAddress endpoint = tunnel.endpoint();
        if (endpoint == null) {
            return;
        }
        InetAddress source = stickySources.get(tunnel);
        if (log.verbose() && out.remaining() > 0 && out.get(out.position()) == 1) {
            log.debug(Peers.name(tunnel) + " - Sending handshake initiation");
        }
        UdpSender.Result result = udp.send(sender, out, endpoint, source);
        if (result == UdpSender.Result.SOURCE_UNUSABLE) {
            // The address the peer last reached us on is gone: forget it and let routing choose.
            stickySources.remove(tunnel, source);
            result = udp.send(sender, out, endpoint, null);
        }
        if (result != UdpSender.Result.SENT) {
            tunnel.onSendFailed(out.remaining());
            if (log.verbose()) {
                log.debug(Peers.name(tunnel) + " - Failed to send packet to " + endpoint + ": " + result + " (errno " + sender.lastErrno() + ")");
            }
        }
    }

    /**
     * Sends the sender's batch of sealed datagrams to the tunnel's {@code endpoint} from its
     * sticky source, in order; returns the bytes that could not be sent.
     */
    int sendBatch(Tunnel tunnel, InetSocketAddress endpoint, UdpSender sender) {
        if (endpoint == null) {
            return 0;
        }
        int n = sender.batchSize();
        InetAddress source = stickySources.get(tunnel);
        int next = 0;
        int failed = 0;
        while (next < n) {
            int reached = udp.sendBatch(sender, next, endpoint, source);
            if (reached >= n) {
                break;
            }
            UdpSender.Result result = sender.lastResult();
            if (result == UdpSender.Result.SOURCE_UNUSABLE) {
                // The address the peer last reached us on is gone: forget it and let routing choose.
                stickySources.remove(tunnel, source);
                source = null;
                next = reached;
                continue;
            }
            if (log.verbose()) {
                log.debug(Peers.name(tunnel) + " - Failed to send packet to " + endpoint + ": " + result + " (errno " + sender.lastErrno() + ")");
            }
            if (result == UdpSender.Result.DROPPED) {
                for (int i = reached; i < n; i++) {
                    failed += sender.batchLength(i);
                }
                break;
            }
            failed += sender.batchLength(reached);
            next = reached + 1;
        }
        return failed;
    }

    /** Replies to {@code destination} (cookie replies, handshake responses) from {@code local}. */
    void reply(ByteBuffer out, InetSocketAddress destination, InetAddress local, UdpSender sender) {
        if (udp.send(sender, out, destination, local) == UdpSender.Result.SOURCE_UNUSABLE) {
            udp.send(sender, out, destination, null);
        }
    }

    /**
     * Remembers the local address an authenticated packet from {@code tunnel} arrived at, to send
     * from it (wireguard-go's sticky source); null or a wildcard address forgets it.
     */
    void noteLocalAddress(Tunnel tunnel, InetAddress local) {
        if (local == null || local.isAnyLocalAddress()) {
            return;
        }
        InetAddress known = stickySources.get(tunnel);
        if (!local.equals(known)) {
            stickySources.put(tunnel, local);
        }
    }

    /**
     * Link state from the TUN, observed at {@code observedEpochNanos} (real time): up binds the
     * socket and starts the peers, down undoes it.
     */
    void setLinkUp(boolean up, long observedEpochNanos) {
        synchronized (configLock) {
            if (up == linkUp || closed.get()) {
                return;
            }
            linkUp = up;
            if (up) {
                log.debug("Interface state was Down, requested Up, now Up");
                // Up before the socket reads: what it held while down is read at once, and a
                // peer's initiation among it must not be dropped as sent to a down interface.
                engine.up();
                int wanted = listenPort;
                listenPort = 0; // as in setListenPort
                try {
                    listenPort = udp.bind(wanted, observedEpochNanos);
                } catch (IOException e) {
                    log.error("Unable to update bind: " + e.getMessage());
                }
                for (Tunnel tunnel : engine.peers()) {
                    drain(tunnel, configWorker);
                }
            } else {
                log.debug("Interface state was Up, requested Down, now Down");
                engine.down();
                udp.closeChannel();
                try {
                    udp.standBy(listenPort);
                } catch (IOException e) {
                    log.error("Unable to hold the port while down: " + e.getMessage());
                }
            }
        }
    }

    /** Stops the device for {@code reason}; idempotent. */
    public void stop(String reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopReason = reason;
        log.debug("Device closing: " + reason);
        housekeeping.stop();
        tun.close();
        tunReader.join();
        if (tun.offloads()) {
            log.debug(tunReader.offloadSummary());
        }
        handshakes.stop();
        dataPath.stop();
        if (tun.offloads()) {
            log.debug(dataPath.coalesceSummary());
        }
        synchronized (configLock) {
            engine.down();
            udp.close();
        }
        log.debug("Device closed");
        stopped.countDown();
    }

    @Override
    public void close() {
        stop("closed");
    }

    /** The device's own counters and latencies, for metrics. */
    public DeviceStats stats() {
        return stats;
    }

    // ---- UapiDevice ----

    @Override
    public Engine engine() {
        return engine;
    }

    @Override
    public Object configLock() {
        return configLock;
    }

    @Override
    public int listenPort() {
        synchronized (configLock) {
            return listenPort;
        }
    }

    @Override
    public void setListenPort(int port) throws IOException {
        synchronized (configLock) {
            listenPort = 0; // stays 0 if the bind fails: wireguard-go then reports no port
            if (!linkUp) {
                udp.standBy(port); // held, not read, while down
                listenPort = port;
                return;
            }
            listenPort = udp.bind(port);
            stickySources.clear();
            for (Tunnel tunnel : engine.peers()) {
                drain(tunnel, configWorker);
            }
        }
    }

    @Override
    public int fwmark() {
        synchronized (configLock) {
            return fwmark;
        }
    }

    @Override
    public void setFwmark(int mark) throws IOException {
        synchronized (configLock) {
            udp.setMark(mark);
            fwmark = mark;
        }
    }

    @Override
    public void peerChanged(Tunnel tunnel) {
        synchronized (configLock) {
            drain(tunnel, configWorker);
        }
    }

    @Override
    public void peerRemoved(Tunnel tunnel) {
        stickySources.remove(tunnel);
    }

    @Override
    public void configEvent(Tunnel peer, String event) {
        if (log.verbose()) {
            log.debug(peer == null ? event : Peers.name(peer) + " - " + event);
        }
    }
}
