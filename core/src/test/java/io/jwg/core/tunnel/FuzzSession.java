package io.jwg.core.tunnel;

import io.jwg.core.cookie.CookieGenerator;
import io.jwg.core.crypto.X25519;
import io.jwg.core.message.CookieReply;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.HandshakeResponse;
import io.jwg.core.message.MessageType;
import io.jwg.core.message.Transport;
import io.jwg.core.routing.IpPrefix;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;

/**
 * The fixture of the packet fuzz targets: engine A (the one under test) with a live session to
 * peer B and a second initiation of its own in flight, so A holds both a keypair index and a
 * handshake index; plus genuine messages B produced for A but nobody delivered yet.
 *
 * <p>Everything is a function of one seed: keys, indices and ephemerals come from a seeded
 * SHA1PRNG and both clocks are manual, so {@link FuzzSeeds} regenerates the committed seed
 * corpora byte for byte, those seeds authenticate against every new fixture, and a fuzz target
 * can rebuild the fixture to return A to exactly this state.
 */
final class FuzzSession {
    static final long SECOND = 1_000_000_000L;
    static final long EPOCH_BASE = 1_700_000_000L * SECOND;
    private static final byte[] SEED = "jwg fuzz session 1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    long now = 1_000 * SECOND;
    final SecureRandom random;
    final Engine a;
    final Engine b;
    final Tunnel aToB;
    final Tunnel bToA;
    final InetSocketAddress addressA;
    final InetSocketAddress addressB;
    /** Computes MAC1 (and MAC2, once it holds a cookie) of messages addressed to A. */
    final CookieGenerator macsForA;
    /** A's second initiation, in flight: its sender is A's live handshake index. */
    final byte[] initiationFromA;
    /** B's cookie reply to {@link #initiationFromA} (B was under load). */
    final byte[] cookieReplyToA;
    /** B's response to {@link #initiationFromA}. */
    final byte[] responseToA;
    /** A fresh initiation from B. */
    final byte[] initiationFromB;
    /** A data packet 10.0.0.2 -> 10.0.0.1 from B on the live session. */
    final byte[] transportToA;
    /** A keepalive from B on the live session. */
    final byte[] keepaliveToA;
    final int keypairIndex;
    final int handshakeIndex;

    FuzzSession() {
        random = seeded();
        addressA = address(new byte[] {(byte) 192, 0, 2, 1}, 51820);
        addressB = address(new byte[] {(byte) 198, 51, 100, 2}, 51821);
        a = engine();
        b = engine();
        byte[] key = new byte[32];
        X25519.generatePrivateKey(random, key);
        a.setPrivateKey(key);
        X25519.generatePrivateKey(random, key);
        b.setPrivateKey(key);
        aToB = a.addPeer(b.publicKey());
        bToA = b.addPeer(a.publicKey());
        a.allowedIps().insert(IpPrefix.parse("10.0.0.2/32"), aToB);
        b.allowedIps().insert(IpPrefix.parse("10.0.0.1/32"), bToA);
        aToB.setEndpoint(addressB);
        bToA.setEndpoint(addressA);
        macsForA = new CookieGenerator(a.publicKey());

        // A initiates, B responds, A confirms with the packet it staged.
        ByteBuffer out = ByteBuffer.allocate(2048);
        Received received = new Received();
        expect(Verdict.DONE, a.encapsulate(ByteBuffer.wrap(ipv4(0x0a000001, 0x0a000002, 8)), out, received));
        byte[] initiation = next(aToB, out);
        byte[] response = deliver(b, initiation, addressA, false);
        byte[] confirmation = deliver(a, response, addressB, false);
        expect(Verdict.WRITE_TO_TUNNEL, b.decapsulate(ByteBuffer.wrap(confirmation), addressA, false, out, received));
        keypairIndex = aToB.currentKeypair().localIndex();

        expect(Verdict.WRITE_TO_NETWORK, bToA.encapsulate(ByteBuffer.wrap(ipv4(0x0a000002, 0x0a000001, 20)), out));
        transportToA = copy(out);
        bToA.requestKeepalive();
        keepaliveToA = next(bToA, out);

        now += 6 * SECOND; // past REKEY_TIMEOUT: A may initiate again
        aToB.requestHandshake();
        initiationFromA = next(aToB, out);
        handshakeIndex = aToB.handshake().localIndex();
        cookieReplyToA = deliver(b, initiationFromA, addressA, true);
        responseToA = deliver(b, initiationFromA, addressA, false);

        now += 6 * SECOND; // B answered at the last step: it may initiate only after REKEY_TIMEOUT
        bToA.requestHandshake();
        initiationFromB = next(bToA, out);
    }

    /** Every genuine message addressed to A. */
    List<byte[]> genuine() {
        return List.of(initiationFromA, cookieReplyToA, responseToA, initiationFromB, transportToA, keepaliveToA);
    }

    private Engine engine() {
        return new Engine(() -> now, () -> EPOCH_BASE + now, random);
    }

    private static SecureRandom seeded() {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.setSeed(SEED); // before the first use: the stream depends on the seed alone
            return random;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetSocketAddress address(byte[] ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Delivers {@code message} and returns what the engine sent back. */
    private static byte[] deliver(Engine engine, byte[] message, InetSocketAddress source, boolean underLoad) {
        ByteBuffer out = ByteBuffer.allocate(2048);
        Received received = new Received();
        expect(Verdict.WRITE_TO_NETWORK, engine.decapsulate(ByteBuffer.wrap(message), source, underLoad, out, received));
        return copy(out);
    }

    /** The next datagram the tunnel emits. */
    private static byte[] next(Tunnel tunnel, ByteBuffer out) {
        expect(Verdict.WRITE_TO_NETWORK, tunnel.poll(out));
        return copy(out);
    }

    private static void expect(Verdict expected, Verdict actual) {
        if (expected != actual) {
            throw new IllegalStateException("fixture: expected " + expected + ", got " + actual);
        }
    }

    static byte[] copy(ByteBuffer buf) {
        byte[] bytes = new byte[buf.remaining()];
        buf.get(buf.position(), bytes);
        return bytes;
    }

    /** An IPv4 packet (protocol 17) of {@code length} bytes from {@code src} to {@code dst}. */
    static byte[] ipv4(int src, int dst, int length) {
        byte[] p = new byte[length + 20];
        p[0] = 0x45;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 17;
        for (int i = 0; i < 4; i++) {
            p[12 + i] = (byte) (src >>> (24 - 8 * i));
            p[16 + i] = (byte) (dst >>> (24 - 8 * i));
        }
        return p;
    }

    /**
     * True when {@code message} equals a genuine message in every byte the protocol authenticates
     * cryptographically: for an initiation the ephemeral, encrypted static and timestamp; for a
     * response the ephemeral and the empty AEAD; for a cookie reply the nonce and cookie; for
     * transport the counter, ciphertext and tag. Indices and MACs are left out: they select or
     * gate, and a fuzz target may legitimately rewrite them.
     */
    boolean matchesGenuine(byte[] message) {
        MessageType type = MessageType.classify(message, message.length);
        int from = switch (type) {
            case INITIATION -> HandshakeInitiation.EPHEMERAL_OFFSET;
            case RESPONSE -> HandshakeResponse.EPHEMERAL_OFFSET;
            case COOKIE_REPLY -> CookieReply.NONCE_OFFSET;
            case TRANSPORT -> Transport.COUNTER_OFFSET;
            default -> -1;
        };
        int to = switch (type) {
            case INITIATION -> HandshakeInitiation.MAC1_OFFSET;
            case RESPONSE -> HandshakeResponse.MAC1_OFFSET;
            default -> message.length;
        };
        if (from < 0) {
            return false;
        }
        for (byte[] g : genuine()) {
            if (g.length == message.length && Arrays.equals(g, from, to, message, from, to)) {
                return true;
            }
        }
        return false;
    }
}
