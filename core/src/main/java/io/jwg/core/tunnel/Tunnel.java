package io.jwg.core.tunnel;

import io.jwg.core.Constants;
import io.jwg.core.Tuning;
import io.jwg.core.cookie.CookieGenerator;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.HandshakeResponse;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.Transport;
import io.jwg.core.noise.Handshake;
import io.jwg.core.noise.Keypair;
import io.jwg.core.noise.Keypairs;
import io.jwg.core.timers.PeerTimers;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One peer's protocol engine, in the style of boringtun's {@code Tunn}: it turns IP packets into
 * transport messages ({@link #encapsulate}), reacts to what {@link Engine#decapsulate} routes to
 * it, and runs the protocol timers. Every method writes into a caller-owned buffer and returns a
 * {@link Verdict}; nothing throws or allocates on the packet path.
 *
 * <p>Output comes one datagram per call. After {@link #encapsulate}, after an
 * {@link Engine#decapsulate} that named this tunnel, and whenever {@link #nextDeadline()} passes,
 * the caller drains {@link #poll} until it returns {@link Verdict#DONE}: that is how handshake
 * initiations, keepalives and packets staged behind a handshake leave.
 *
 * <p>Locking: all state is guarded by this object's monitor; {@link #currentKeypair()} and the
 * statistics may be read without it.
 */
public final class Tunnel {
    private static final int NO_INITIATION = 0;
    private static final int FRESH_INITIATION = 1;
    private static final int RETRY_INITIATION = 2;
    /** Asked for by staging with no usable keypair; void if a session came up meanwhile. */
    private static final int STAGED_INITIATION = 3;

    private final Engine engine;
    private final byte[] publicKey;
    final Handshake handshake;
    final Keypairs keypairs;
    final CookieGenerator cookieGenerator;
    final PeerTimers timers;
    private final StagedQueue staged = new StagedQueue();
    private long lastSentHandshake;
    private int pendingInitiation = NO_INITIATION;
    private boolean running;
    private boolean removed;
    private volatile InetSocketAddress endpoint;
    private final AtomicBoolean endpointSourceStale = new AtomicBoolean();
    private final AtomicLong txBytes = new AtomicLong();
    private final AtomicLong rxBytes = new AtomicLong();
    private volatile long lastHandshakeEpochNanos;
    private volatile Object attachment;

    Tunnel(Engine engine, byte[] publicKey, long now) {
        this.engine = engine;
        this.publicKey = publicKey.clone();
        this.handshake = new Handshake(publicKey);
        this.keypairs = new Keypairs(engine.indexTable()::delete);
        this.cookieGenerator = new CookieGenerator(publicKey);
        this.timers = PeerTimers.seededFrom(engine.random());
        this.lastSentHandshake = now - Constants.REKEY_TIMEOUT - 1_000_000_000L;
        this.running = engine.isUp();
    }

    /** Per-peer state of the I/O layer (its ordered queues), set once; null until then. */
    public Object attachment() {
        return attachment;
    }

    /** Attaches the I/O layer's per-peer state unless some is already attached; returns the attached one. */
    public synchronized Object attachIfAbsent(Object value) {
        if (attachment == null) {
            attachment = value;
        }
        return attachment;
    }

    /** The peer's static public key (a copy). */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** Sets the pre-shared key; all zeros means none. */
    public synchronized void setPresharedKey(byte[] key) {
        handshake.setPresharedKey(key);
    }

    /** The pre-shared key (a copy; zeros when none). */
    public synchronized byte[] presharedKey() {
        return handshake.presharedKey();
    }

    /**
     * Sets the persistent keepalive interval in seconds; 0 turns it off. Turning it on from 0
     * queues a keepalive at once (drain {@link #poll}), as wireguard-go's UAPI does, so a peer
     * behind NAT opens its mapping without waiting for traffic.
     */
    public synchronized void setPersistentKeepalive(int seconds) {
        int old = timers.persistentKeepaliveInterval();
        timers.setPersistentKeepaliveInterval(seconds);
        if (old == 0 && seconds > 0) {
            requestKeepalive();
        }
    }

    /** The persistent keepalive interval in seconds. */
    public synchronized int persistentKeepalive() {
        return timers.persistentKeepaliveInterval();
    }

    /** The peer's endpoint: configured, or the source of its last authenticated message. */
    public InetSocketAddress endpoint() {
        return endpoint;
    }

    /** Sets the endpoint from configuration. */
    public void setEndpoint(InetSocketAddress endpoint) {
        this.endpoint = endpoint;
    }

    /** Roaming: the endpoint follows an authenticated message, and its source is fresh again. */
    private void roamTo(InetSocketAddress source) {
        endpoint = source;
        endpointSourceStale.set(false);
    }

    /** wireguard-go {@code markEndpointSrcForClearing}: only meaningful with an endpoint. */
    private void markSourceStale() {
        if (endpoint != null) {
            endpointSourceStale.set(true);
        }
    }

    /**
     * True once, after a handshake retry or a stalled session asked the I/O layer to forget the
     * sticky local source address for this peer (wireguard-go {@code markEndpointSrcForClearing}).
     */
    public boolean takeSourceClearRequest() {
        return endpointSourceStale.getAndSet(false);
    }

    /**
     * Bytes of authenticated datagrams sent to this peer: counted when emitted toward a known
     * endpoint (wireguard-go counts after a successful send; the I/O layer reports failures
     * through {@link #onSendFailed}).
     */
    public long txBytes() {
        return txBytes.get();
    }

    /** Takes back {@code bytes} the I/O layer could not send after all. */
    public void onSendFailed(int bytes) {
        txBytes.addAndGet(-bytes);
    }

    private void countSent(int bytes, InetSocketAddress destination) {
        if (destination != null) {
            txBytes.addAndGet(bytes);
        }
    }

    /** Bytes of authenticated datagrams received from this peer. */
    public long rxBytes() {
        return rxBytes.get();
    }

    /** Wall-clock time of the last completed handshake in epoch nanoseconds, 0 for never. */
    public long lastHandshakeEpochNanos() {
        return lastHandshakeEpochNanos;
    }

    /** The keypair used for sending, or null. */
    public Keypair currentKeypair() {
        return keypairs.current();
    }

    /** The handshake state machine (for inspection). */
    public synchronized Handshake handshake() {
        return handshake;
    }

    /** Packets waiting for a session. */
    public synchronized int stagedPackets() {
        return staged.size();
    }

    /** The monotonic time at which {@link #poll} must next run, or {@code Long.MAX_VALUE}. */
    public synchronized long nextDeadline() {
        return running ? timers.nextDeadline() : Long.MAX_VALUE;
    }

    /** True when {@link #poll} has something to emit right now (besides due timers). */
    public synchronized boolean hasPendingOutput() {
        if (!running) {
            return false;
        }
        if (pendingInitiation != NO_INITIATION) {
            return true;
        }
        return !staged.isEmpty() && canSendNow(engine.now());
    }

    /**
     * Encrypts the IP packet between {@code packet}'s position and limit (left unchanged) into
     * {@code out} as a transport message when a session is up. Otherwise stages a copy and
     * returns {@link Verdict#DONE}; the caller's {@link #poll} then sends the handshake
     * initiation that will release it. Equivalent to {@link #reserve} followed by
     * {@link SealJob#seal} on the calling thread.
     */
    public Verdict encapsulate(ByteBuffer packet, ByteBuffer out) {
        SealJob job = engine.workspace().sealJob;
        synchronized (this) {
            Verdict verdict = reserve(packet, out.capacity(), job);
            if (verdict == Verdict.WRITE_TO_NETWORK) {
                job.seal(engine.workspace().aead, packet, out);
            }
            return verdict;
        }
    }

    /**
     * The locked half of sending: when a session is up, takes the next counter of the current
     * keypair for the IP packet between {@code packet}'s position and limit (left unchanged),
     * records keypair, counter and padding in {@code job}, accounts the bytes and runs the
     * send-side timers, and returns {@link Verdict#WRITE_TO_NETWORK}: the caller then seals with
     * {@link SealJob#seal} on any thread into a buffer of at least {@code outCapacity} bytes and
     * sends the datagrams of this tunnel in reservation order. Otherwise the packet is staged
     * (a copy) and the result is {@link Verdict#DONE}, or it is dropped ({@link Verdict#DROP}).
     */
    public synchronized Verdict reserve(ByteBuffer packet, int outCapacity, SealJob job) {
        int length = packet.remaining();
        if (length > Tuning.MAX_PACKET_SIZE || !fits(length, outCapacity)) {
            engine.count(DropReason.INVALID_OUTBOUND_PACKET);
            return Verdict.DROP;
        }
        if (!running) {
            engine.count(DropReason.NO_ROUTE);
            return Verdict.DROP;
        }
        long now = engine.now();
        if (staged.isEmpty()) {
            Keypair keypair = keypairs.current();
            if (keypair != null && keypair.canSend(now)) {
                long counter = keypair.nextSendCounter();
                if (counter != -1) {
                    reserved(keypair, counter, length, job, now);
                    return Verdict.WRITE_TO_NETWORK;
                }
            }
        }
        if (staged.add(packet)) {
            engine.count(DropReason.STAGED_QUEUE_FULL);
        }
        if (!canSendNow(now)) {
            requestStagedInitiation();
        }
        return Verdict.DONE;
    }

    /**
     * Emits the next pending datagram into {@code out}: first any timer that fell due is
     * processed, then a handshake initiation if one is wanted, then staged packets once a
     * keypair can send. Returns {@link Verdict#DONE} when there is nothing more.
     */
    public synchronized Verdict poll(ByteBuffer out) {
        if (!running) {
            return Verdict.DONE;
        }
        long now = engine.now();
        runTimers(now);
        if (pendingInitiation != NO_INITIATION) {
            int kind = pendingInitiation;
            pendingInitiation = NO_INITIATION;
            // A request made for staged packets is void once a session came up meanwhile.
            boolean stillWanted = kind != STAGED_INITIATION || !canSendNow(now);
            if (stillWanted && sendInitiation(out, kind == RETRY_INITIATION, now)) {
                return Verdict.WRITE_TO_NETWORK;
            }
        }
        if (!staged.isEmpty()) {
            Keypair keypair = keypairs.current();
            if (keypair != null && keypair.canSend(now)) {
                while (!staged.isEmpty() && !fits(staged.peek().remaining(), out.capacity())) {
                    staged.remove();
                    engine.count(DropReason.INVALID_OUTBOUND_PACKET);
                }
                long counter = staged.isEmpty() ? -1 : keypair.nextSendCounter();
                if (counter != -1) {
                    SealJob job = engine.workspace().sealJob;
                    reserved(keypair, counter, staged.peek().remaining(), job, now);
                    job.seal(engine.workspace().aead, staged.peek(), out);
                    staged.remove();
                    return Verdict.WRITE_TO_NETWORK;
                }
            }
        }
        return Verdict.DONE;
    }

    /** Queues a keepalive (an empty transport message), as wireguard-go {@code SendKeepalive}. */
    public synchronized void requestKeepalive() {
        if (!running) {
            return;
        }
        if (staged.isEmpty()) {
            staged.add(EMPTY);
        }
        // wireguard-go SendStagedPackets: with no usable keypair, staging asks for a handshake.
        if (!canSendNow(engine.now())) {
            requestStagedInitiation();
        }
    }

    /** Asks for a new handshake now (subject to the one-per-REKEY_TIMEOUT limit). */
    public synchronized void requestHandshake() {
        requestInitiation(false);
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    private boolean canSendNow(long now) {
        Keypair keypair = keypairs.current();
        return keypair != null && keypair.canSend(now);
    }

    private void requestInitiation(boolean retry) {
        if (pendingInitiation == NO_INITIATION || pendingInitiation == STAGED_INITIATION || !retry) {
            pendingInitiation = retry ? RETRY_INITIATION : FRESH_INITIATION;
        }
    }

    private void requestStagedInitiation() {
        if (pendingInitiation == NO_INITIATION) {
            pendingInitiation = STAGED_INITIATION;
        }
    }

    private void runTimers(long now) {
        if (timers.nextDeadline() > now) {
            return;
        }
        int actions = timers.expire(now);
        if ((actions & (PeerTimers.RETRANSMIT_HANDSHAKE | PeerTimers.GIVE_UP)) != 0) {
            engine.countEvent(Engine.Event.HANDSHAKE_TIMEOUTS);
        }
        if ((actions & PeerTimers.RETRANSMIT_HANDSHAKE) != 0) {
            markSourceStale();
            requestInitiation(true);
        }
        if ((actions & PeerTimers.GIVE_UP) != 0) {
            flushStaged();
        }
        if ((actions & PeerTimers.SEND_KEEPALIVE) != 0) {
            requestKeepalive();
        }
        if ((actions & PeerTimers.NEW_HANDSHAKE) != 0) {
            markSourceStale();
            requestInitiation(false);
        }
        if ((actions & PeerTimers.ZERO_KEY_MATERIAL) != 0) {
            zeroKeyMaterial();
        }
    }

    private void flushStaged() {
        int dropped = staged.clear();
        if (dropped > 0) {
            engine.count(DropReason.STAGED_FLUSHED, dropped);
        }
    }

    /** Erases keypairs and handshake and drops staged packets (wireguard-go ZeroAndFlushAll). */
    private void zeroKeyMaterial() {
        keypairs.clear();
        engine.indexTable().delete(handshake.localIndex());
        handshake.clear();
        flushStaged();
    }

    /** SendHandshakeInitiation(isRetry): at most one initiation per REKEY_TIMEOUT. */
    private boolean sendInitiation(ByteBuffer out, boolean retry, long now) {
        if (!retry) {
            timers.onFreshHandshakeRequested();
        }
        if (now - lastSentHandshake < Constants.REKEY_TIMEOUT) {
            return false;
        }
        lastSentHandshake = now;
        Workspace ws = engine.workspace();
        engine.indexTable().delete(handshake.localIndex());
        int index = engine.indexTable().newIndexForHandshake(this, handshake);
        if (!ws.noise.createInitiation(handshake, engine.publicKeyOrZero(), index, engine.epochNanos(), ws.message)) {
            engine.indexTable().delete(index);
            handshake.clear();
            engine.count(DropReason.NO_PRIVATE_KEY);
            return false;
        }
        cookieGenerator.addMacs(ws.message, HandshakeInitiation.SIZE, now);
        timers.onAnyAuthenticatedPacketTraversal(now);
        timers.onAnyAuthenticatedPacketSent(now);
        timers.onHandshakeInitiated(now);
        write(out, ws.message, HandshakeInitiation.SIZE);
        countSent(HandshakeInitiation.SIZE, endpoint);
        engine.countEvent(Engine.Event.INITIATIONS_SENT);
        return true;
    }

    /** Handles a MAC-checked initiation that {@code ws.noise} opened for this peer. */
    synchronized Verdict onInitiation(Workspace ws, InetSocketAddress source, ByteBuffer out, Received received) {
        if (!running) {
            return engine.drop(received, DropReason.PEER_DOWN);
        }
        long now = engine.now();
        switch (ws.noise.acceptInitiation(ws.message, handshake, now)) {
            case ACCEPTED -> {
            }
            case REPLAYED -> {
                return engine.drop(received, DropReason.REPLAYED_TIMESTAMP);
            }
            case FLOOD -> {
                return engine.drop(received, DropReason.INITIATION_FLOOD);
            }
            default -> {
                return engine.drop(received, DropReason.HANDSHAKE_FAILED);
            }
        }
        authenticated(received, source, HandshakeInitiation.SIZE, now);
        engine.countEvent(Engine.Event.INITIATIONS_RECEIVED);
        // SendHandshakeResponse
        lastSentHandshake = now;
        engine.indexTable().delete(handshake.localIndex());
        int index = engine.indexTable().newIndexForHandshake(this, handshake);
        if (!ws.noise.createResponse(handshake, index, ws.message)) {
            engine.indexTable().delete(index);
            handshake.clear();
            return engine.drop(received, DropReason.HANDSHAKE_FAILED);
        }
        cookieGenerator.addMacs(ws.message, HandshakeResponse.SIZE, now);
        if (!beginSession(ws, false, now)) {
            return engine.drop(received, DropReason.HANDSHAKE_FAILED);
        }
        timers.onSessionDerived(now);
        timers.onAnyAuthenticatedPacketTraversal(now);
        timers.onAnyAuthenticatedPacketSent(now);
        write(out, ws.message, HandshakeResponse.SIZE);
        countSent(HandshakeResponse.SIZE, source);
        engine.countEvent(Engine.Event.RESPONSES_SENT);
        return Verdict.WRITE_TO_NETWORK;
    }

    /**
     * Bookkeeping for a handshake message that authenticated as this peer: it names the peer,
     * moves the endpoint (roaming), counts the bytes and feeds the timers.
     */
    private void authenticated(Received received, InetSocketAddress source, int size, long now) {
        received.tunnel = this;
        roamTo(source);
        rxBytes.addAndGet(size);
        timers.onAnyAuthenticatedPacketTraversal(now);
        timers.onAnyAuthenticatedPacketReceived(now);
    }

    /** Handles a MAC-checked response addressed to our handshake index. */
    synchronized Verdict onResponse(Workspace ws, InetSocketAddress source, ByteBuffer out, Received received) {
        if (!running) {
            return engine.drop(received, DropReason.PEER_DOWN);
        }
        long now = engine.now();
        if (!ws.noise.consumeResponse(ws.message, handshake, engine.privateKeyRaw())) {
            return engine.drop(received, DropReason.HANDSHAKE_FAILED);
        }
        authenticated(received, source, HandshakeResponse.SIZE, now);
        if (!beginSession(ws, true, now)) {
            return engine.drop(received, DropReason.HANDSHAKE_FAILED);
        }
        timers.onSessionDerived(now);
        timers.onHandshakeComplete(now);
        lastHandshakeEpochNanos = engine.epochNanos();
        engine.countEvent(Engine.Event.HANDSHAKES_COMPLETED);
        // Still the time our initiation left: answering theirs since would have replaced our handshake.
        engine.handshakeCompleted(now - lastSentHandshake);
        // SendKeepalive: confirms the session to the responder unless data is already waiting.
        requestKeepalive();
        return poll(out);
    }

    /** Handles a cookie reply naming one of our indices. */
    synchronized Verdict onCookieReply(byte[] reply, Received received) {
        if (!running) {
            return engine.drop(received, DropReason.PEER_DOWN);
        }
        if (!cookieGenerator.consumeReply(reply, engine.now())) {
            return engine.drop(received, DropReason.INVALID_COOKIE_REPLY);
        }
        engine.countEvent(Engine.Event.COOKIES_RECEIVED);
        return Verdict.DONE;
    }

    /**
     * The ordered, locked half of receiving a transport message that {@link OpenJob#open}
     * decrypted (or failed to) into {@code out}: replay window, roaming, keypair rotation,
     * timers, then the inner packet's checks; see the class comment of {@link Engine}.
     */
    synchronized Verdict onOpened(OpenJob job, InetSocketAddress source, ByteBuffer out, Received received) {
        if (!running) {
            return engine.drop(received, DropReason.PEER_DOWN);
        }
        if (!job.opened) {
            return engine.drop(received, DropReason.DECRYPTION_FAILED);
        }
        long now = engine.now();
        Keypair keypair = job.keypair;
        if (!keypair.replayWindow.validate(job.counter, Constants.REJECT_AFTER_MESSAGES)) {
            return engine.drop(received, DropReason.REPLAYED_COUNTER);
        }
        received.tunnel = this;
        roamTo(source);
        if (keypairs.receivedWith(keypair)) {
            timers.onHandshakeComplete(now);
            lastHandshakeEpochNanos = engine.epochNanos();
            engine.countEvent(Engine.Event.HANDSHAKES_COMPLETED);
        }
        keepKeyFreshReceiving(now);
        timers.onAnyAuthenticatedPacketTraversal(now);
        timers.onAnyAuthenticatedPacketReceived(now);
        rxBytes.addAndGet(job.length);
        if (out.remaining() == 0) {
            return Verdict.DONE;
        }
        timers.onDataReceived(now);
        return engine.checkInner(this, out, received);
    }

    private void keepKeyFreshReceiving(long now) {
        Keypair current = keypairs.current();
        if (current != null && current.isInitiator() && now - current.created() > Constants.REKEY_ON_RECEIVE_AGE
                && timers.claimLastMinuteHandshake()) {
            requestInitiation(false);
        }
    }

    private void keepKeyFreshSending(Keypair keypair, long now) {
        if (Long.compareUnsigned(keypair.sendCounter(), Constants.REKEY_AFTER_MESSAGES) > 0
                || (keypair.isInitiator() && now - keypair.created() > Constants.REKEY_AFTER_TIME)) {
            requestInitiation(false);
        }
    }

    /** True when the transport message for a {@code length}-byte packet fits in {@code capacity} bytes. */
    private boolean fits(int length, int capacity) {
        return capacity >= Transport.OVERHEAD + Transport.paddedLength(length, engine.mtu());
    }

    /** Bookkeeping for a reserved counter: the job, byte counts, send timers, rekey check. */
    private void reserved(Keypair keypair, long counter, int length, SealJob job, long now) {
        int padded = Transport.paddedLength(length, engine.mtu());
        job.set(keypair, counter, padded - length);
        countSent(Transport.OVERHEAD + padded, endpoint);
        timers.onAnyAuthenticatedPacketTraversal(now);
        timers.onAnyAuthenticatedPacketSent(now);
        if (length > 0) {
            timers.onDataSent(now);
        }
        keepKeyFreshSending(keypair, now);
    }

    private boolean beginSession(Workspace ws, boolean initiator, long now) {
        int localIndex = handshake.localIndex();
        int remoteIndex = handshake.remoteIndex();
        if (!ws.noise.deriveKeys(handshake, ws.sendKey, ws.receiveKey)) {
            return false;
        }
        Keypair keypair = new Keypair(ws.sendKey, ws.receiveKey, initiator, localIndex, remoteIndex, now);
        Arrays.fill(ws.sendKey, (byte) 0);
        Arrays.fill(ws.receiveKey, (byte) 0);
        engine.indexTable().swapIndexForKeypair(localIndex, keypair);
        keypairs.install(keypair);
        return true;
    }

    private static void write(ByteBuffer out, byte[] message, int size) {
        out.clear();
        out.put(message, 0, size);
        out.flip();
    }

    /** Called after the local private key changed: forget sessions and handshake in flight. */
    synchronized void expireCurrentKeypairs(byte[] privateKey) {
        handshake.precompute(privateKey);
        engine.indexTable().delete(handshake.localIndex());
        handshake.clear();
        lastSentHandshake = engine.now() - Constants.REKEY_TIMEOUT - 1_000_000_000L;
        keypairs.expireSending();
    }

    /**
     * Interface down (or peer removed): erases all key material, drops staged packets and
     * disarms the timers, as wireguard-go {@code Peer.Stop}.
     */
    synchronized void stop() {
        running = false;
        timers.stop();
        zeroKeyMaterial();
        pendingInitiation = NO_INITIATION;
    }

    /** Removes the tunnel for good: stopped, never started again, its pre-shared key erased too. */
    synchronized void remove() {
        removed = true;
        stop();
        handshake.destroy();
    }

    /**
     * Interface up: the tunnel runs again, allowed to initiate at once, and sends a keepalive if
     * persistent keepalive is on, as wireguard-go {@code Peer.Start} and {@code upLocked}.
     */
    synchronized void start() {
        if (removed || running) {
            return;
        }
        running = true;
        timers.stop();
        lastSentHandshake = engine.now() - Constants.REKEY_TIMEOUT - 1_000_000_000L;
        if (timers.persistentKeepaliveInterval() > 0) {
            requestKeepalive();
        }
    }

    /** False while the interface is down or after removal; such a tunnel ignores all input. */
    public synchronized boolean isRunning() {
        return running;
    }
}
