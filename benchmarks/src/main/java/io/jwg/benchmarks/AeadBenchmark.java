package io.jwg.benchmarks;

import io.jwg.core.crypto.ChaChaPoly;
import io.jwg.core.crypto.TransportAead;
import io.jwg.core.crypto.TransportKey;
import io.jwg.daemon.Aeads;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ChaCha20-Poly1305 seal and open of one transport-sized payload: the JDK cipher through our
 * {@link ChaChaPoly} (the transport path's API: direct ByteBuffers, one reused {@code Cipher},
 * plus its array form) against Bouncy Castle's {@link ChaCha20Poly1305} on byte arrays.
 *
 * <p>Why: DESIGN.md picks the JDK cipher for its intrinsics; this keeps that choice measured on
 * the machine at hand, and gives the per-core AEAD ceiling of the data path (compare with
 * {@code benchmarks/openssl-baseline.sh}). Every call re-initialises the cipher with a new
 * nonce, exactly as one packet does, so key setup (Poly1305 key derivation) is included.
 *
 * <p>The score is operations (packets) per second; the {@code bytes} secondary result is
 * plaintext bytes per second (ops/s × {@code size}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class AeadBenchmark {
    /** Plaintext length: a small packet, 1 KiB (the OpenSSL reference size), a full 1420-byte MTU. */
    @Param({"64", "1024", "1420"})
    public int size;

    private final ChaChaPoly jdk = new ChaChaPoly();
    private SecretKey jdkKey;
    private ByteBuffer plain;
    private ByteBuffer sealed;
    private ByteBuffer sealOut;
    private ByteBuffer openOut;
    private byte[] plainArray;
    private byte[] sealedArray;
    private byte[] outArray;

    private final ChaCha20Poly1305 bc = new ChaCha20Poly1305();
    private KeyParameter bcKey;
    private final byte[] nonce = new byte[12];

    private long counter;

    private TransportAead openssl;
    private TransportKey transportKey;

    /** Plaintext bytes processed, reported by JMH as a rate next to ops/s. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        /** Plaintext bytes sealed or opened in this iteration. */
        public long bytes;

        /** JMH requires aux counters to be reset per iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    /** Random key and payload; one sealed copy of it for the open benchmarks (counter 0). */
    @Setup
    public void setup() throws InvalidCipherTextException {
        Random random = new Random(42);
        byte[] key = new byte[32];
        random.nextBytes(key);
        jdkKey = ChaChaPoly.key(key);
        bcKey = new KeyParameter(key);
        plainArray = new byte[size];
        random.nextBytes(plainArray);
        plain = ByteBuffer.allocateDirect(size);
        plain.put(0, plainArray);
        sealOut = ByteBuffer.allocateDirect(size + ChaChaPoly.TAG_LENGTH);
        openOut = ByteBuffer.allocateDirect(size + ChaChaPoly.TAG_LENGTH);
        outArray = new byte[size + ChaChaPoly.TAG_LENGTH];

        sealedArray = new byte[size + ChaChaPoly.TAG_LENGTH];
        jdk.seal(jdkKey, 0, plainArray, 0, size, sealedArray, 0, null);
        sealed = ByteBuffer.allocateDirect(sealedArray.length);
        sealed.put(0, sealedArray);
        // Both libraries must agree, or the comparison is meaningless.
        setNonce(0);
        bc.init(false, new ParametersWithIV(bcKey, nonce));
        int n = bc.processBytes(sealedArray, 0, sealedArray.length, outArray, 0);
        bc.doFinal(outArray, n);
        for (int i = 0; i < size; i++) {
            if (outArray[i] != plainArray[i]) {
                throw new IllegalStateException("JDK and Bouncy Castle disagree");
            }
        }
        counter = 1;

        openssl = Aeads.openSsl();
        transportKey = new TransportKey(key);
        sealed.clear();
        openOut.clear();
        if (!openssl.open(transportKey, 0, sealed, openOut)
                || openOut.get(0) != plainArray[0] || openOut.get(size - 1) != plainArray[size - 1]) {
            throw new IllegalStateException("JDK and OpenSSL disagree");
        }
    }

    /**
     * OpenSSL's EVP ChaCha20-Poly1305 as the daemon's data path calls it ({@code OpenSslAead}
     * through {@code TransportAead}, direct buffers): OpenSSL's per-packet setup instead of
     * {@code Cipher.init}.
     */
    @Benchmark
    public ByteBuffer opensslSeal(Bytes bytes) {
        plain.clear();
        sealOut.clear();
        openssl.sealPadded(transportKey, counter++, plain, 0, sealOut);
        bytes.bytes += size;
        return sealOut;
    }

    /** OpenSSL open, as the daemon's receive path calls it. */
    @Benchmark
    public boolean opensslOpen(Bytes bytes) {
        sealed.clear();
        openOut.clear();
        boolean ok = openssl.open(transportKey, 0, sealed, openOut);
        bytes.bytes += size;
        return ok;
    }

    /** JDK cipher, direct buffers, as {@code Tunnel} seals (a fresh counter per call). */
    @Benchmark
    public ByteBuffer jdkSealDirect(Bytes bytes) {
        plain.clear();
        sealOut.clear();
        jdk.seal(jdkKey, counter++, plain, sealOut);
        bytes.bytes += size;
        return sealOut;
    }

    /** JDK cipher, direct buffers, as the receive path opens. */
    @Benchmark
    public boolean jdkOpenDirect(Bytes bytes) {
        sealed.clear();
        openOut.clear();
        boolean ok = jdk.open(jdkKey, 0, sealed, openOut);
        bytes.bytes += size;
        return ok;
    }

    /** JDK cipher, byte arrays (the handshake's form), for comparison with the buffer path. */
    @Benchmark
    public byte[] jdkSealArray(Bytes bytes) {
        jdk.seal(jdkKey, counter++, plainArray, 0, size, outArray, 0, null);
        bytes.bytes += size;
        return outArray;
    }

    /** JDK cipher, byte arrays. */
    @Benchmark
    public boolean jdkOpenArray(Bytes bytes) {
        boolean ok = jdk.open(jdkKey, 0, sealedArray, 0, sealedArray.length, outArray, 0, null);
        bytes.bytes += size;
        return ok;
    }

    /** Bouncy Castle, byte arrays; one {@code ParametersWithIV} per call is how its API takes a nonce. */
    @Benchmark
    public byte[] bcSeal(Bytes bytes) throws InvalidCipherTextException {
        setNonce(counter++);
        bc.init(true, new ParametersWithIV(bcKey, nonce));
        int n = bc.processBytes(plainArray, 0, size, outArray, 0);
        bc.doFinal(outArray, n);
        bytes.bytes += size;
        return outArray;
    }

    /** Bouncy Castle, byte arrays. */
    @Benchmark
    public byte[] bcOpen(Bytes bytes) throws InvalidCipherTextException {
        setNonce(0);
        bc.init(false, new ParametersWithIV(bcKey, nonce));
        int n = bc.processBytes(sealedArray, 0, sealedArray.length, outArray, 0);
        bc.doFinal(outArray, n);
        bytes.bytes += size;
        return outArray;
    }

    private void setNonce(long value) {
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (value >>> (8 * i));
        }
    }
}
