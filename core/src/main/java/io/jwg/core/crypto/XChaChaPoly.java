package io.jwg.core.crypto;

import io.jwg.core.message.LittleEndian;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha), used only for cookie replies: HChaCha20 derives a
 * subkey from the key and the first 16 nonce bytes, then ChaCha20-Poly1305 (RFC 8439 section
 * 2.8) runs with the nonce {@code 0^4 || nonce[16..24)}. Built from {@link ChaCha20} and
 * {@link Poly1305} over preallocated state, so sealing and opening allocate nothing: under a
 * handshake flood the receive thread seals one cookie reply per datagram. Not thread-safe.
 */
public final class XChaChaPoly {
    /** Length of the extended nonce. */
    public static final int NONCE_LENGTH = 24;
    /** Length of the tag appended to the ciphertext. */
    public static final int TAG_LENGTH = Poly1305.TAG_LENGTH;

    private static final byte[] NO_AAD = new byte[0];

    private final ChaCha20 chacha = new ChaCha20();
    private final Poly1305 poly = new Poly1305();
    private final byte[] subkey = new byte[32];
    private final byte[] nonce12 = new byte[12];
    private final byte[] polyKey = new byte[ChaCha20.BLOCK];
    private final byte[] lengths = new byte[16];
    private final byte[] tag = new byte[TAG_LENGTH];

    /** Encrypts {@code len} bytes and appends the tag; {@code aad} may be null. */
    public void seal(byte[] key, byte[] nonce, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        byte[] ad = aad == null ? NO_AAD : aad;
        derive(key, nonce);
        chacha.xor(subkey, 1, nonce12, in, inOff, len, out, outOff);
        authenticate(ad, out, outOff, len, out, outOff + len);
        wipe();
    }

    /**
     * Decrypts {@code len} bytes (tag included) into {@code out}; false when the tag does not
     * verify, in which case nothing is written.
     */
    public boolean open(byte[] key, byte[] nonce, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        if (len < TAG_LENGTH) {
            return false;
        }
        byte[] ad = aad == null ? NO_AAD : aad;
        int textLength = len - TAG_LENGTH;
        derive(key, nonce);
        authenticate(ad, in, inOff, textLength, tag, 0);
        if (!Mac.equal(tag, 0, in, inOff + textLength)) {
            wipe();
            return false;
        }
        chacha.xor(subkey, 1, nonce12, in, inOff, textLength, out, outOff);
        wipe();
        return true;
    }

    private void derive(byte[] key, byte[] nonce) {
        chacha.hchacha20(key, nonce, subkey);
        System.arraycopy(nonce, 16, nonce12, 4, 8);
    }

    /** The RFC 8439 tag over {@code aad} and the ciphertext {@code text[off, off+len)}, keyed by block 0. */
    private void authenticate(byte[] aad, byte[] text, int off, int len, byte[] out, int outOff) {
        java.util.Arrays.fill(polyKey, (byte) 0);
        chacha.xor(subkey, 0, nonce12, polyKey, 0, ChaCha20.BLOCK, polyKey, 0);
        poly.init(polyKey, 0);
        poly.update(aad, 0, aad.length);
        poly.padToBlock();
        poly.update(text, off, len);
        poly.padToBlock();
        LittleEndian.putInt(lengths, 0, aad.length);
        LittleEndian.putInt(lengths, 8, len);
        poly.update(lengths, 0, 16);
        poly.finish(out, outOff);
    }

    private void wipe() {
        java.util.Arrays.fill(subkey, (byte) 0);
        java.util.Arrays.fill(polyKey, (byte) 0);
    }
}
