package io.jwg.core.crypto;

/**
 * X25519 variable-base scalar multiplication (RFC 7748 section 5): Montgomery ladder over
 * {@link Field25519}, constant time (the same operations and memory accesses for every scalar
 * and point: conditional swaps by mask, no branch or index depends on secret data), final
 * inversion by Fermat. Public so that the benchmarks can time it beside Bouncy Castle's.
 *
 * <p>{@link X25519#sharedSecret} runs on it because Bouncy Castle's 32-bit-limb arithmetic kept
 * the responder under 3,000 handshakes/s per core: HandshakeBenchmark measured this ladder at
 * 1.28× Bouncy Castle's scalar multiplication (pooled over 3 forks) and the responder at
 * 3,122–3,504/s against 2,626–2,792/s. Bouncy Castle stays the oracle: X25519LadderTest checks
 * this ladder against it on random and edge inputs.
 *
 * <p>One instance per thread holds the scratch field elements, so a call allocates nothing.
 */
public final class X25519Ladder {
    /** (A - 2) / 4 for Curve25519's A = 486662, as in RFC 7748's ladder. */
    private static final long A24 = 121665;

    private static final ThreadLocal<X25519Ladder> PER_THREAD = ThreadLocal.withInitial(X25519Ladder::new);

    private final byte[] k = new byte[32];
    private final long[] x1 = new long[5];
    private final long[] x2 = new long[5];
    private final long[] z2 = new long[5];
    private final long[] x3 = new long[5];
    private final long[] z3 = new long[5];
    private final long[] a = new long[5];
    private final long[] b = new long[5];
    private final long[] c = new long[5];
    private final long[] d = new long[5];
    private final long[] aa = new long[5];
    private final long[] bb = new long[5];
    private final long[] e = new long[5];
    private final long[] t = new long[5];
    private final long[][] elements = {x1, x2, z2, x3, z3, a, b, c, d, aa, bb, e, t};

    private X25519Ladder() {
    }

    /**
     * {@code out = X25519(scalar, u)} per RFC 7748 section 5: the scalar is clamped (a copy; the
     * argument is not modified), bit 255 of u is ignored and u ≥ p is accepted (reduced mod p).
     * Returns false when the result is all zero (u of small order); {@code out} then holds zeros.
     */
    public static boolean scalarMult(byte[] scalar, byte[] u, byte[] out) {
        if (scalar.length != 32 || u.length != 32 || out.length < 32) {
            throw new IllegalArgumentException("X25519 takes 32-byte scalars and points");
        }
        return PER_THREAD.get().ladder(scalar, u, out);
    }

    private boolean ladder(byte[] scalar, byte[] u, byte[] out) {
        System.arraycopy(scalar, 0, k, 0, 32);
        X25519.clamp(k);
        Field25519.decode(u, 0, x1);
        Field25519.one(x2);
        Field25519.zero(z2);
        Field25519.copy(x3, x1);
        Field25519.one(z3);
        long swap = 0;
        // Bit 255 is cleared and bit 254 set by clamping; the loop bound and the byte index
        // depend only on the bit position, never on the scalar's value.
        for (int pos = 254; pos >= 0; pos--) {
            long bit = (k[pos >>> 3] >>> (pos & 7)) & 1;
            swap ^= bit;
            Field25519.cswap(swap, x2, x3);
            Field25519.cswap(swap, z2, z3);
            swap = bit;
            step();
        }
        Field25519.cswap(swap, x2, x3);
        Field25519.cswap(swap, z2, z3);
        // x2 / z2; z2 = 0 (point at infinity, from a small-order u) inverts to 0 and gives 0.
        Field25519.invert(t, z2, a, b, c, d);
        Field25519.mul(x2, x2, t);
        Field25519.encode(x2, out, 0);
        wipe();
        int acc = 0;
        for (int i = 0; i < 32; i++) {
            acc |= out[i];
        }
        return acc != 0;
    }

    /** Erases the scalar copy and every intermediate, which all derive from secrets. */
    private void wipe() {
        java.util.Arrays.fill(k, (byte) 0);
        for (long[] element : elements) {
            java.util.Arrays.fill(element, 0);
        }
    }

    /**
     * One ladder step, RFC 7748 section 5 (names as there). Bounds: x2, z2, x3, z3 are carried on
     * entry (decode and mul outputs), so every add/sub below takes carried operands and yields
     * lazy limbs, which mul/sqr/mulSmall accept. The order interleaves independent operations
     * (each one's inputs were finished at least one operation earlier) so that the CPU can
     * overlap them; the sequence is the same for every input.
     */
    private void step() {
        Field25519.add(a, x2, z2);          // A = x2 + z2
        Field25519.sub(b, x2, z2);          // B = x2 - z2
        Field25519.add(c, x3, z3);          // C = x3 + z3
        Field25519.sub(d, x3, z3);          // D = x3 - z3
        Field25519.sqr(aa, a);              // AA = A^2
        Field25519.sqr(bb, b);              // BB = B^2
        Field25519.mul(d, d, a);            // DA = D * A
        Field25519.mul(c, c, b);            // CB = C * B
        Field25519.mul(x2, aa, bb);         // x2 = AA * BB
        Field25519.sub(e, aa, bb);          // E = AA - BB
        Field25519.sqrSum(x3, d, c);        // x3 = (DA + CB)^2
        Field25519.mulSmallAdd(t, e, A24, aa);
        Field25519.sqrDiff(z3, d, c);
        Field25519.mul(z2, e, t);           // z2 = E * (AA + a24 * E)
        Field25519.mul(z3, z3, x1);         // z3 = x1 * (DA - CB)^2
    }
}
