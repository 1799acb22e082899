package io.jwg.core.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * ChaCha20-Poly1305 (RFC 8439) through the JDK's {@code ChaCha20-Poly1305} cipher, which JDK 25
 * runs on vector intrinsics. The 96-bit nonce is 32 zero bits followed by the 64-bit
 * little-endian counter, as in the whitepaper. One instance per thread: the {@link Cipher} object
 * is reused for every call.
 */
public final class ChaChaPoly {
    /** Length of the Poly1305 tag appended to every ciphertext. */
    public static final int TAG_LENGTH = 16;
    /** Length of a key. */
    public static final int KEY_LENGTH = 32;
    private static final String ALGORITHM = "ChaCha20-Poly1305";

    private final Cipher cipher;
    private final byte[] nonce = new byte[12];
    private final ByteBuffer zeros = ByteBuffer.allocate(16);

    /** Creates the reusable cipher. */
    public ChaChaPoly() {
        try {
            cipher = Cipher.getInstance(ALGORITHM);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks " + ALGORITHM, e);
        }
    }

    /** Wraps 32 key bytes for use with this class (done once per key, not per packet). */
    public static SecretKey key(byte[] key) {
        return new SecretKeySpec(key, 0, KEY_LENGTH, "ChaCha20");
    }

    /**
     * Encrypts {@code src} (position to limit) into {@code dst} at its position, appending the tag;
     * both positions advance. {@code src} and {@code dst} must not overlap.
     */
    public void seal(SecretKey key, long counter, ByteBuffer src, ByteBuffer dst) {
        init(Cipher.ENCRYPT_MODE, key, counter);
        try {
            cipher.doFinal(src, dst);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    /**
     * Encrypts {@code src} followed by {@code padding} zero bytes (at most 16) into {@code dst},
     * appending the tag; {@code src}'s position is left unchanged. Used for transport messages,
     * whose plaintext is padded to a multiple of 16.
     */
    public void sealPadded(SecretKey key, long counter, ByteBuffer src, int padding, ByteBuffer dst) {
        init(Cipher.ENCRYPT_MODE, key, counter);
        int start = src.position();
        try {
            cipher.update(src, dst);
            zeros.clear().limit(padding);
            cipher.doFinal(zeros, dst);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        } finally {
            src.position(start);
        }
    }

    /**
     * Decrypts and authenticates {@code src} (position to limit, tag included) into {@code dst};
     * returns false, writing nothing, when the tag does not verify.
     */
    public boolean open(SecretKey key, long counter, ByteBuffer src, ByteBuffer dst) {
        if (src.remaining() < TAG_LENGTH) {
            return false;
        }
        init(Cipher.DECRYPT_MODE, key, counter);
        try {
            cipher.doFinal(src, dst);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 open failed", e);
        }
    }

    /** Array form with additional data, used by the handshake: writes {@code len + 16} bytes. */
    public void seal(byte[] key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        seal(key(key), counter, in, inOff, len, out, outOff, aad);
    }

    /** Array form with additional data and a wrapped key. */
    public void seal(SecretKey key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        init(Cipher.ENCRYPT_MODE, key, counter);
        try {
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            cipher.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    /** Array form of open with additional data: {@code len} includes the tag. */
    public boolean open(byte[] key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        return open(key(key), counter, in, inOff, len, out, outOff, aad);
    }

    /** Array form of open with additional data and a wrapped key. */
    public boolean open(SecretKey key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        if (len < TAG_LENGTH) {
            return false;
        }
        init(Cipher.DECRYPT_MODE, key, counter);
        try {
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            cipher.doFinal(in, inOff, len, out, outOff);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 open failed", e);
        }
    }

    /** Seal with an explicit 12-byte nonce (XChaCha20-Poly1305 builds on this). */
    void sealWithNonce(SecretKey key, byte[] nonce12, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        System.arraycopy(nonce12, 0, nonce, 0, 12);
        initWithNonce(Cipher.ENCRYPT_MODE, key);
        try {
            cipher.updateAAD(aad);
            cipher.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    /** Open with an explicit 12-byte nonce; false when the tag does not verify. */
    boolean openWithNonce(SecretKey key, byte[] nonce12, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        if (len < TAG_LENGTH) {
            return false;
        }
        System.arraycopy(nonce12, 0, nonce, 0, 12);
        initWithNonce(Cipher.DECRYPT_MODE, key);
        try {
            cipher.updateAAD(aad);
            cipher.doFinal(in, inOff, len, out, outOff);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 open failed", e);
        }
    }

    private void init(int mode, SecretKey key, long counter) {
        nonce[0] = 0;
        nonce[1] = 0;
        nonce[2] = 0;
        nonce[3] = 0;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
        initWithNonce(mode, key);
    }

    private void initWithNonce(int mode, SecretKey key) {
        try {
            cipher.init(mode, key, new IvParameterSpec(nonce));
        } catch (InvalidKeyException | InvalidAlgorithmParameterException e) {
            // The JDK refuses to encrypt twice with one key and nonce; a caller reusing a counter
            // is a bug, never a network input.
            throw new IllegalStateException("ChaCha20-Poly1305 init failed", e);
        }
    }
}
