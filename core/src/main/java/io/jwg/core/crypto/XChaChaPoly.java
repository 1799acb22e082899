package io.jwg.core.crypto;

/**
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha), used only for cookie replies: HChaCha20 derives a
 * subkey from the key and the first 16 nonce bytes, then ChaCha20-Poly1305 runs with the nonce
 * {@code 0^4 || nonce[16..24)}. Not thread-safe.
 */
public final class XChaChaPoly {
    /** Length of the extended nonce. */
    public static final int NONCE_LENGTH = 24;

    private final ChaChaPoly aead = new ChaChaPoly();
    private final byte[] subkey = new byte[32];
    private final byte[] nonce12 = new byte[12];

    /** Encrypts {@code len} bytes and appends the tag. */
    public void seal(byte[] key, byte[] nonce, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        ChaChaKey k = derive(key, nonce);
        try {
            aead.sealWithNonce(k, nonce12, in, inOff, len, out, outOff, aad);
        } finally {
            k.destroy();
        }
    }

    /** Decrypts {@code len} bytes (tag included); false when the tag does not verify. */
    public boolean open(byte[] key, byte[] nonce, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        ChaChaKey k = derive(key, nonce);
        try {
            return aead.openWithNonce(k, nonce12, in, inOff, len, out, outOff, aad);
        } finally {
            k.destroy();
        }
    }

    private ChaChaKey derive(byte[] key, byte[] nonce) {
        HChaCha20.derive(key, nonce, subkey);
        System.arraycopy(nonce, 16, nonce12, 4, 8);
        ChaChaKey k = ChaChaPoly.key(subkey);
        java.util.Arrays.fill(subkey, (byte) 0);
        return k;
    }
}
