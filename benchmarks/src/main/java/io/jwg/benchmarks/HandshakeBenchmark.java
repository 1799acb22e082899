package io.jwg.benchmarks;

import io.jwg.core.Constants;
import io.jwg.core.crypto.X25519;
import io.jwg.core.crypto.X25519Ladder;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Verdict;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Handshake cost on each side, through the engine's public entry points (MACs, index table,
 * Noise IKpsk2, keypair installation all included):
 * <ul>
 * <li>{@link #responder}: {@code Engine.decapsulate} of a fresh initiation — MAC1 check, consume
 *     the initiation (DH e·S, authenticated static and TAI64N timestamp), create the response
 *     (new ephemeral, DH e·E and e·S), derive and install the session. This is what a handshake
 *     flood costs us; the target is ≥ 3,000 per second per core.
 * <li>{@link #initiator}: {@code Tunnel.poll} emitting a new initiation (new ephemeral, DH e·S,
 *     encrypted static and timestamp, MAC1).
 * <li>{@link #x25519}: one Diffie-Hellman through {@code X25519.sharedSecret}, the unit both are
 *     made of: the responder does four (one of them fixed-base), the initiator two (the
 *     static-static DH is precomputed per peer). Beside it, the same variable-base scalar
 *     multiplication by each implementation: {@link #x25519Bc} (Bouncy Castle),
 *     {@link #x25519Ladder} (jwg's radix-2^51 ladder) and {@link #x25519Jdk} (the JDK's own
 *     {@code XDH} KeyAgreement, including building the peer's public key object from its 32 bytes,
 *     as a handshake would have to).
 * </ul>
 *
 * <p>Every initiation the responder sees must carry a strictly newer TAI64N timestamp (which is
 * rounded down to 2^24 ns), must come more than 20 ms after the previous one from the same peer
 * (flood guard), and the initiator sends at most one initiation per REKEY_TIMEOUT (5 s). Instead of
 * many peers, both engines run on a {@link ManualClock}: before each operation the clocks are
 * advanced (initiator by REKEY_TIMEOUT + 1 s, responder by 25 ms). Nothing in the handshake
 * reads time except those checks, so the work measured is unchanged; no sleeping is involved.
 *
 * <p>The responder's fresh initiation is produced by the initiator engine in an
 * invocation-level setup, which JMH leaves out of the timing (one operation is ~100 µs, so the
 * per-invocation timestamps are noise). The initiator benchmark also runs the tunnel's timer
 * check on each poll, as the daemon would.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HandshakeBenchmark {
    private static final long INITIATOR_STEP = Constants.REKEY_TIMEOUT + 1_000_000_000L;
    private static final long RESPONDER_STEP = 25_000_000L;

    /** Two engines that know each other on manual clocks, and the message buffers. */
    @State(Scope.Thread)
    public static class Peers {
        final ManualClock initiatorClock = new ManualClock(1_700_000_000_000_000_000L);
        final ManualClock responderClock = new ManualClock(1_700_000_000_000_000_000L);
        EnginePair pair;
        final ByteBuffer initiation = ByteBuffer.allocateDirect(EnginePair.MAX_DATAGRAM);
        final ByteBuffer response = ByteBuffer.allocateDirect(EnginePair.MAX_DATAGRAM);
        final Received received = new Received();

        /** One full handshake proves the wiring. */
        @Setup(Level.Trial)
        public void setup() {
            pair = new EnginePair(initiatorClock, initiatorClock, responderClock, responderClock);
            pair.handshake();
        }

        /** Steps A's clock past REKEY_TIMEOUT and has it emit a new initiation into {@link #initiation}. */
        void nextInitiation() {
            initiatorClock.advance(INITIATOR_STEP);
            pair.peerB.requestHandshake();
            if (pair.peerB.poll(initiation) != Verdict.WRITE_TO_NETWORK) {
                throw new IllegalStateException("no initiation");
            }
        }
    }

    /**
     * Peers plus a fresh initiation from A for each {@link #responder} call, made untimed. Extends
     * {@link Peers} rather than depending on it, because JMH 1.37 hands each helper-method
     * injection point a separate state instance; and is a state of its own so that
     * {@link #initiator} does not pay for invocation-level setup.
     */
    @State(Scope.Thread)
    public static class FreshInitiation extends Peers {
        /** Advances both clocks past the rate limits and has A emit a new initiation. */
        @Setup(Level.Invocation)
        public void create() {
            nextInitiation();
            responderClock.advance(RESPONDER_STEP);
        }
    }

    /** Responder: consume one initiation and produce the response. */
    @Benchmark
    public ByteBuffer responder(FreshInitiation peers) {
        Verdict verdict = peers.pair.b.decapsulate(peers.initiation, EnginePair.ENDPOINT_A, false, peers.response,
                peers.received);
        if (verdict != Verdict.WRITE_TO_NETWORK) {
            throw new IllegalStateException("initiation refused: " + peers.received.dropReason());
        }
        return peers.response;
    }

    /** Random X25519 key material for {@link #x25519}. */
    @State(Scope.Thread)
    public static class DhKeys {
        final byte[] privateKey = new byte[32];
        final byte[] publicKey = new byte[32];
        final byte[] shared = new byte[32];

        java.security.KeyFactory jdkFactory;
        javax.crypto.KeyAgreement jdkAgreement;
        java.security.PrivateKey jdkPrivate;
        java.math.BigInteger u;

        /** A private key and someone else's public key. */
        @Setup(Level.Trial)
        public void setup() throws java.security.GeneralSecurityException {
            java.security.SecureRandom random = new java.security.SecureRandom();
            byte[] other = new byte[32];
            X25519.generatePrivateKey(random, other);
            X25519.publicKey(other, publicKey);
            X25519.generatePrivateKey(random, privateKey);
            jdkFactory = java.security.KeyFactory.getInstance("XDH");
            jdkAgreement = javax.crypto.KeyAgreement.getInstance("X25519");
            jdkPrivate = jdkFactory.generatePrivate(new java.security.spec.XECPrivateKeySpec(
                    java.security.spec.NamedParameterSpec.X25519, privateKey.clone()));
            byte[] bigEndian = new byte[32];
            for (int i = 0; i < 32; i++) {
                bigEndian[i] = publicKey[31 - i];
            }
            u = new java.math.BigInteger(1, bigEndian);
            // Both implementations must agree, or the comparison is meaningless.
            X25519.sharedSecret(privateKey, publicKey, shared);
            if (!java.util.Arrays.equals(shared, jdkSecret())) {
                throw new IllegalStateException("JDK and Bouncy Castle X25519 disagree");
            }
            byte[] ours = new byte[32];
            X25519Ladder.scalarMult(privateKey, publicKey, ours);
            byte[] bc = new byte[32];
            org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(privateKey, 0, publicKey, 0, bc, 0);
            if (!java.util.Arrays.equals(ours, bc)) {
                throw new IllegalStateException("jwg's ladder and Bouncy Castle X25519 disagree");
            }
        }

        byte[] jdkSecret() throws java.security.GeneralSecurityException {
            java.security.PublicKey peer = jdkFactory.generatePublic(new java.security.spec.XECPublicKeySpec(
                    java.security.spec.NamedParameterSpec.X25519, u));
            jdkAgreement.init(jdkPrivate);
            jdkAgreement.doPhase(peer, true);
            return jdkAgreement.generateSecret();
        }
    }

    /** One X25519 shared secret with the JDK's XDH provider (public key object built per call). */
    @Benchmark
    public byte[] x25519Jdk(DhKeys keys) throws java.security.GeneralSecurityException {
        return keys.jdkSecret();
    }

    /** One X25519 shared-secret computation through {@code X25519.sharedSecret} (what handshakes use). */
    @Benchmark
    public byte[] x25519(DhKeys keys) {
        X25519.sharedSecret(keys.privateKey, keys.publicKey, keys.shared);
        return keys.shared;
    }

    /** One variable-base scalar multiplication with Bouncy Castle's X25519 (10×25.5-bit limbs). */
    @Benchmark
    public byte[] x25519Bc(DhKeys keys) {
        org.bouncycastle.math.ec.rfc7748.X25519.scalarMult(keys.privateKey, 0, keys.publicKey, 0, keys.shared, 0);
        return keys.shared;
    }

    /** One variable-base scalar multiplication with jwg's own ladder (5×51-bit limbs). */
    @Benchmark
    public byte[] x25519Ladder(DhKeys keys) {
        X25519Ladder.scalarMult(keys.privateKey, keys.publicKey, keys.shared);
        return keys.shared;
    }

    /** Initiator: create one initiation. */
    @Benchmark
    public ByteBuffer initiator(Peers peers) {
        peers.nextInitiation();
        return peers.initiation;
    }
}
