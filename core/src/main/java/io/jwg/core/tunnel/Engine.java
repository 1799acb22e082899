package io.jwg.core.tunnel;

import io.jwg.core.Tuning;
import io.jwg.core.cookie.CookieChecker;
import io.jwg.core.crypto.X25519;
import io.jwg.core.message.CookieReply;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.HandshakeResponse;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.MessageType;
import io.jwg.core.message.Transport;
import io.jwg.core.noise.IndexTable;
import io.jwg.core.routing.AllowedIps;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.NanoClock;

/**
 * The device-wide protocol engine: our static identity, the peers by public key, the receiver
 * index table, cryptokey routing, the cookie checker and the handshake rate limiter. It does no
 * I/O: the daemon hands it datagrams and IP packets with caller-owned output buffers.
 *
 * <p>Inbound order of checks ({@link #decapsulate}), cheapest first, as wireguard-go:
 * <ol>
 * <li>classify by type word and exact size, else drop;
 * <li>handshake messages: MAC1; under load MAC2 (else answer with a cookie reply) and the
 *     per-source rate limit; only then the Diffie-Hellman work. The daemon runs these cheap
 *     checks on its receive thread ({@link #precheckHandshake}) and queues only what passes
 *     for {@link #consumeHandshake};
 * <li>transport: receiver index, keypair age, AEAD, replay window, then the decrypted packet's
 *     source address against the peer's allowed IPs.
 * </ol>
 * Endpoints follow the source of authenticated messages only. Drops are counted by
 * {@link DropReason}; nothing on these paths throws.
 *
 * <p>Output buffers must hold the largest thing that can come out: a handshake message
 * (148 bytes) and, for transport, the packet plus {@link io.jwg.core.message.Transport#OVERHEAD}
 * and up to 15 bytes of padding. A received transport message too big for the output buffer is
 * dropped as undecryptable.
 *
 * <p>Thread-safety: configuration methods synchronize on the engine; packet methods may run on
 * any number of threads and serialize per peer on the {@link Tunnel}.
 */
public final class Engine {
    /** Counted protocol events (for metrics and tests). */
    public enum Event {
        /** Handshake initiations we sent. */
        INITIATIONS_SENT,
        /** Initiations we accepted. */
        INITIATIONS_RECEIVED,
        /** Responses we sent. */
        RESPONSES_SENT,
        /** Sessions confirmed (response consumed, or first data on a responder keypair). */
        HANDSHAKES_COMPLETED,
        /** Cookie replies we sent while under load. */
        COOKIES_SENT,
        /** Cookie replies we accepted. */
        COOKIES_RECEIVED,
        /** Initiations we sent that got no response within REKEY_TIMEOUT (each retry, and the give-up). */
        HANDSHAKE_TIMEOUTS
    }

    private final NanoClock clock;
    private final EpochNanoClock wallClock;
    private final SecureRandom random;
    private final IndexTable<Tunnel> indexTable;
    private final AllowedIps<Tunnel> allowedIps = new AllowedIps<>();
    private final CookieChecker cookieChecker;
    private final HandshakeGate gate;
    private final Map<String, Tunnel> peers = new LinkedHashMap<>();
    private final ThreadLocal<Workspace> workspaces;
    private final AtomicLongArray drops = new AtomicLongArray(DropReason.values().length);
    private final AtomicLongArray events = new AtomicLongArray(Event.values().length);
    private final byte[] zeroKey = new byte[32];
    /** Our static key pair, replaced whole so readers never see halves of two keys. */
    private record Identity(byte[] privateKey, byte[] publicKey) {
    }

    private static final Identity NO_IDENTITY = new Identity(null, null);
    /** wireguard-go's MaxPeers. */
    public static final int MAX_PEERS = 1 << 16;

    private volatile Identity identity = NO_IDENTITY;
    private volatile boolean up = true;
    private volatile int mtu = Tuning.DEFAULT_MTU;
    private volatile HandshakeObserver handshakeObserver = nanos -> { };

    /** An engine with no identity and no peers, on the given clocks and randomness. */
    public Engine(NanoClock clock, EpochNanoClock wallClock, SecureRandom random) {
        this.clock = clock;
        this.wallClock = wallClock;
        this.random = random;
        this.indexTable = new IndexTable<>(random);
        this.cookieChecker = new CookieChecker(random);
        this.gate = new HandshakeGate(this, cookieChecker);
        this.workspaces = ThreadLocal.withInitial(() -> new Workspace(random));
    }

    // ---- configuration ----

    /**
     * Sets our static private key (null or all zeros clears it), as wireguard-go
     * {@code SetPrivateKey}: a peer whose public key equals our new public key is removed, every
     * peer's static-static DH is recomputed and its sessions are expired. The engine keeps its own
     * copy and overwrites the previous one with zeros.
     */
    public synchronized void setPrivateKey(byte[] key) {
        byte[] newPrivate = key == null || X25519.isZero(key) ? null : key.clone();
        if (newPrivate != null) {
            X25519.clamp(newPrivate); // compared and stored clamped, as wireguard-go's FromHex does
        }
        byte[] oldPrivate = identity.privateKey();
        if (newPrivate == null ? oldPrivate == null
                : oldPrivate != null && MessageDigest.isEqual(newPrivate, oldPrivate)) {
            if (newPrivate != null) {
                Arrays.fill(newPrivate, (byte) 0);
            }
            return;
        }
        byte[] newPublic = null;
        if (newPrivate != null) {
            newPublic = new byte[32];
            X25519.publicKey(newPrivate, newPublic);
            Tunnel same = peers.get(hex(newPublic));
            if (same != null) {
                removePeer(same);
            }
        }
        identity = new Identity(newPrivate, newPublic);
        cookieChecker.init(newPublic);
        for (Tunnel tunnel : peers.values()) {
            tunnel.expireCurrentKeypairs(newPrivate);
        }
        if (oldPrivate != null) {
            // A handshake racing this change with the old key fails to authenticate, as it would anyway.
            Arrays.fill(oldPrivate, (byte) 0);
        }
    }

    /** Our static private key (clamped copy), or null. */
    public byte[] privateKey() {
        byte[] key = identity.privateKey();
        return key == null ? null : key.clone();
    }

    /** Our static public key (copy), or null when no private key is set. */
    public byte[] publicKey() {
        byte[] key = identity.publicKey();
        return key == null ? null : key.clone();
    }

    /**
     * Adds the peer with static public key {@code key}, or returns the existing one. Returns null
     * when the key is our own public key (wireguard-go ignores such a peer).
     */
    public synchronized Tunnel addPeer(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("public key must be 32 bytes");
        }
        byte[] ours = identity.publicKey();
        if (ours != null && Arrays.equals(key, ours)) {
            return null;
        }
        Tunnel existing = peers.get(hex(key));
        if (existing != null) {
            return existing;
        }
        if (peers.size() >= MAX_PEERS) {
            throw new IllegalStateException("too many peers (at most " + MAX_PEERS + ")");
        }
        Tunnel tunnel = new Tunnel(this, key, now());
        tunnel.handshake.precompute(identity.privateKey());
        peers.put(hex(key), tunnel);
        return tunnel;
    }

    /** The peer with static public key {@code key}, or null. */
    public synchronized Tunnel peer(byte[] key) {
        return peers.get(hex(key));
    }

    /** All peers in insertion order (a snapshot). */
    public synchronized List<Tunnel> peers() {
        return new ArrayList<>(peers.values());
    }

    /** Removes a peer: its keys are erased, its indices freed and its allowed IPs dropped. */
    public synchronized void removePeer(Tunnel tunnel) {
        if (peers.remove(hex(tunnel.publicKey())) != null) {
            tunnel.remove();
            allowedIps.removeAll(tunnel);
        }
    }

    /**
     * Interface down: every tunnel erases its keys, drops staged packets and stops its timers
     * until {@link #up()}; input for it is dropped meanwhile (wireguard-go {@code downLocked}).
     */
    public synchronized void down() {
        up = false;
        for (Tunnel tunnel : peers.values()) {
            tunnel.stop();
        }
    }

    /** Interface up: tunnels run again; those with persistent keepalive queue one at once. */
    public synchronized void up() {
        up = true;
        for (Tunnel tunnel : peers.values()) {
            tunnel.start();
        }
    }

    /** True unless {@link #down()} was called last. Engines start up. */
    public boolean isUp() {
        return up;
    }

    /** The cryptokey routing table. */
    public AllowedIps<Tunnel> allowedIps() {
        return allowedIps;
    }

    /** Sets the interface MTU used to cap transport padding. */
    public void setMtu(int mtu) {
        this.mtu = mtu;
    }

    /** The interface MTU. */
    public int mtu() {
        return mtu;
    }

    // ---- data path ----

    /**
     * Looks up the peer for the destination address of the IP packet at {@code packet}'s
     * position, or null (also for packets that are not IPv4/IPv6).
     */
    public Tunnel route(ByteBuffer packet) {
        if (!isIpPacket(packet)) {
            return null;
        }
        int start = packet.position();
        boolean ipv6 = (packet.get(start) & 0xf0) == 0x60;
        return allowedIps.lookup(packet, start + (ipv6 ? 24 : 16), ipv6);
    }

    /** True when the buffer starts with a whole IPv4 or IPv6 header. */
    private static boolean isIpPacket(ByteBuffer packet) {
        int length = packet.remaining();
        if (length < 1) {
            return false;
        }
        int version = (packet.get(packet.position()) & 0xff) >>> 4;
        return (version == 4 && length >= 20) || (version == 6 && length >= 40);
    }

    /**
     * Routes and encapsulates an outbound IP packet: {@link Verdict#WRITE_TO_NETWORK} with the
     * transport message in {@code out}; {@link Verdict#DONE} when it was staged behind a handshake
     * (drain the tunnel's {@link Tunnel#poll}); {@link Verdict#DROP} when no peer owns the
     * destination.
     */
    public Verdict encapsulate(ByteBuffer packet, ByteBuffer out, Received received) {
        received.reset();
        Tunnel tunnel = route(packet);
        if (tunnel == null) {
            return drop(received, isIpPacket(packet) ? DropReason.NO_ROUTE : DropReason.INVALID_OUTBOUND_PACKET);
        }
        received.tunnel = tunnel;
        return tunnel.encapsulate(packet, out);
    }

    /**
     * Processes one received datagram (position to limit, left unchanged) from {@code source}.
     * {@code underLoad} is the I/O layer's judgement that handshakes are queueing up; it turns on
     * cookies and rate limiting. Output, if any, goes to {@code out} (cleared and flipped).
     */
    public Verdict decapsulate(ByteBuffer datagram, InetSocketAddress source, boolean underLoad,
            ByteBuffer out, Received received) {
        received.reset();
        MessageType type = MessageType.classify(datagram);
        received.type = type;
        return switch (type) {
            case INITIATION, RESPONSE -> handshake(type, datagram, source, underLoad, out, received);
            case COOKIE_REPLY -> cookieReply(datagram, received);
            case TRANSPORT -> transport(datagram, source, out, received);
            default -> drop(received, DropReason.INVALID_MESSAGE);
        };
    }

    /**
     * The cheap checks of a handshake message, meant for the receive thread before anything is
     * queued: type and exact size, MAC1, and under load MAC2 (answered with a cookie reply in
     * {@code out}) and the per-source rate limit; no Diffie-Hellman. {@code datagram} (position
     * to limit) is left unchanged. Thread-safe; allocates nothing for a source seen before.
     * {@link Precheck#ACCEPT}: pass the datagram to {@link #consumeHandshake}, on any thread.
     */
    public Precheck precheckHandshake(ByteBuffer datagram, InetSocketAddress source, boolean underLoad,
            ByteBuffer out, Received received) {
        received.reset();
        MessageType type = MessageType.classify(datagram);
        received.type = type;
        if (type != MessageType.INITIATION && type != MessageType.RESPONSE) {
            drop(received, DropReason.INVALID_MESSAGE);
            return Precheck.DROP;
        }
        return gate.check(datagram, source, underLoad, workspace(), out, received);
    }

    /**
     * The expensive part of a handshake message that {@link #precheckHandshake} accepted (the
     * cheap checks are not repeated): consumes an initiation (answering with a response in
     * {@code out}) or a response. Same verdicts as {@link #decapsulate}.
     */
    public Verdict consumeHandshake(ByteBuffer datagram, InetSocketAddress source, ByteBuffer out, Received received) {
        received.reset();
        MessageType type = MessageType.classify(datagram);
        received.type = type;
        if (type != MessageType.INITIATION && type != MessageType.RESPONSE) {
            return drop(received, DropReason.INVALID_MESSAGE);
        }
        Workspace ws = workspace();
        datagram.get(datagram.position(), ws.message, 0, datagram.remaining());
        return consume(type, ws, source, out, received);
    }

    private Verdict handshake(MessageType type, ByteBuffer datagram, InetSocketAddress source, boolean underLoad,
            ByteBuffer out, Received received) {
        Workspace ws = workspace();
        return switch (gate.check(datagram, source, underLoad, ws, out, received)) {
            case ACCEPT -> consume(type, ws, source, out, received);
            case COOKIE_REPLY -> Verdict.WRITE_TO_NETWORK;
            case DROP -> Verdict.DROP;
        };
    }

    /** Diffie-Hellman and the rest of the handshake, on the message in {@code ws.message}. */
    private Verdict consume(MessageType type, Workspace ws, InetSocketAddress source, ByteBuffer out,
            Received received) {
        if (type == MessageType.INITIATION) {
            Identity local = identity;
            if (local.privateKey() == null) {
                return drop(received, DropReason.NO_PRIVATE_KEY);
            }
            if (!ws.noise.openInitiation(ws.message, local.privateKey(), local.publicKey(), ws.peerStatic)) {
                return drop(received, DropReason.HANDSHAKE_FAILED);
            }
            Tunnel tunnel;
            synchronized (this) {
                tunnel = peers.get(hex(ws.peerStatic));
            }
            if (tunnel == null) {
                return drop(received, DropReason.UNKNOWN_PEER);
            }
            return tunnel.onInitiation(ws, source, out, received);
        }
        IndexTable.Entry<Tunnel> entry = indexTable.lookup(LittleEndian.getInt(ws.message, HandshakeResponse.RECEIVER_OFFSET));
        if (entry == null || entry.handshake() == null) {
            return drop(received, DropReason.UNKNOWN_INDEX);
        }
        return entry.peer().onResponse(ws, source, out, received);
    }

    private Verdict cookieReply(ByteBuffer datagram, Received received) {
        Workspace ws = workspace();
        datagram.get(datagram.position(), ws.message, 0, CookieReply.SIZE);
        IndexTable.Entry<Tunnel> entry = indexTable.lookup(LittleEndian.getInt(ws.message, CookieReply.RECEIVER_OFFSET));
        if (entry == null) {
            return drop(received, DropReason.UNKNOWN_INDEX);
        }
        return entry.peer().onCookieReply(ws.message, received);
    }

    private Verdict transport(ByteBuffer datagram, InetSocketAddress source, ByteBuffer out, Received received) {
        OpenJob job = workspace().openJob;
        if (!beginTransport(datagram, job, received)) {
            return Verdict.DROP;
        }
        job.open(workspace().aead, datagram, out);
        Verdict verdict = finishTransport(job, source, out, received);
        // The per-thread job must not keep the peer and keypair alive: through the tunnel it
        // would pin this engine, and so its own thread-local workspace, after the engine is gone.
        job.reset();
        return verdict;
    }

    /**
     * First step of the split receive path for a transport message (position to limit, left
     * unchanged; classified as {@link MessageType#TRANSPORT} by the caller): looks up the
     * receiver index and selects the keypair into {@code job}. False when the message is dropped
     * (reason in {@code received}, counted); otherwise {@link OpenJob#open} may run on any thread,
     * and {@link #finishTransport} must follow in arrival order for {@link OpenJob#tunnel()}.
     */
    public boolean beginTransport(ByteBuffer datagram, OpenJob job, Received received) {
        received.reset();
        received.type = MessageType.TRANSPORT;
        job.reset();
        int receiver = LittleEndian.getInt(datagram, datagram.position() + Transport.RECEIVER_OFFSET);
        IndexTable.Entry<Tunnel> entry = indexTable.lookup(receiver);
        if (entry == null || entry.keypair() == null) {
            drop(received, DropReason.UNKNOWN_INDEX);
            return false;
        }
        if (entry.keypair().receiveExpired(now())) {
            drop(received, DropReason.KEYPAIR_EXPIRED);
            return false;
        }
        job.prepare(entry.peer(), entry.keypair(), datagram);
        return true;
    }

    /**
     * Last step of the split receive path, called in arrival order per peer after
     * {@link OpenJob#open} wrote into {@code out}: replay window, roaming, timers and the inner
     * packet's source check. {@link Verdict#WRITE_TO_TUNNEL} with the IP packet in {@code out},
     * {@link Verdict#DONE} for a keepalive, or {@link Verdict#DROP}. Afterwards drain the
     * tunnel's {@link Tunnel#poll}.
     */
    public Verdict finishTransport(OpenJob job, InetSocketAddress source, ByteBuffer out, Received received) {
        received.reset();
        received.type = MessageType.TRANSPORT;
        return job.tunnel.onOpened(job, source, out, received);
    }

    /**
     * Validates a decrypted packet in {@code packet} (trimming it to its IP length) and checks
     * that its source address belongs to {@code tunnel}.
     */
    Verdict checkInner(Tunnel tunnel, ByteBuffer packet, Received received) {
        int length = packet.remaining();
        int version = (packet.get(0) & 0xff) >>> 4;
        int ipLength;
        Tunnel owner;
        if (version == 4 && length >= 20) {
            ipLength = bigEndianShort(packet, 2);
            if (ipLength < 20 || ipLength > length) {
                return drop(received, DropReason.INVALID_INNER_PACKET);
            }
            owner = allowedIps.lookup(packet, 12, false);
        } else if (version == 6 && length >= 40) {
            ipLength = bigEndianShort(packet, 4) + 40;
            if (ipLength > length) {
                return drop(received, DropReason.INVALID_INNER_PACKET);
            }
            owner = allowedIps.lookup(packet, 8, true);
        } else {
            return drop(received, DropReason.INVALID_INNER_PACKET);
        }
        if (owner != tunnel) {
            return drop(received, DropReason.SOURCE_NOT_ALLOWED);
        }
        packet.limit(ipLength);
        return Verdict.WRITE_TO_TUNNEL;
    }

    /**
     * Reads a big-endian IP header field whatever the buffer's byte order: sealing and
     * classifying leave the buffers they touch little-endian, and callers reuse buffers.
     */
    private static int bigEndianShort(ByteBuffer buf, int index) {
        return (buf.get(index) & 0xff) << 8 | (buf.get(index + 1) & 0xff);
    }

    // ---- counters ----

    /** Packets dropped for {@code reason} so far. */
    public long drops(DropReason reason) {
        return drops.get(reason.ordinal());
    }

    /** How often {@code event} happened so far. */
    public long events(Event event) {
        return events.get(event.ordinal());
    }

    /** Reports the duration of every handshake this side initiates to {@code observer}. */
    public void setHandshakeObserver(HandshakeObserver observer) {
        this.handshakeObserver = observer;
    }

    void handshakeCompleted(long nanos) {
        handshakeObserver.onHandshakeCompleted(nanos);
    }

    Verdict drop(Received received, DropReason reason) {
        received.dropReason = reason;
        drops.incrementAndGet(reason.ordinal());
        return Verdict.DROP;
    }

    void count(DropReason reason) {
        drops.incrementAndGet(reason.ordinal());
    }

    void count(DropReason reason, int n) {
        drops.addAndGet(reason.ordinal(), n);
    }

    void countEvent(Event event) {
        events.incrementAndGet(event.ordinal());
    }

    // ---- shared with tunnels ----

    long now() {
        return clock.nanoTime();
    }

    long epochNanos() {
        return wallClock.nanoTime();
    }

    SecureRandom random() {
        return random;
    }

    IndexTable<Tunnel> indexTable() {
        return indexTable;
    }

    Workspace workspace() {
        return workspaces.get();
    }

    byte[] privateKeyRaw() {
        return identity.privateKey();
    }

    byte[] publicKeyOrZero() {
        byte[] key = identity.publicKey();
        return key == null ? zeroKey : key;
    }

    private static String hex(byte[] key) {
        return HexFormat.of().formatHex(key);
    }
}
