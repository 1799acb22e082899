package io.jwg.core.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.IvParameterSpec;

/**
 * ChaCha20-Poly1305 (RFC 8439) through the JDK's {@code ChaCha20-Poly1305} cipher, which JDK 25
 * runs on vector intrinsics. The 96-bit nonce is 32 zero bits followed by the 64-bit
 * little-endian counter, as in the whitepaper. One instance per thread: the {@link Cipher} object
 * is reused for every call.
 */
public final class ChaChaPoly implements TransportAead {
    /** Length of the Poly1305 tag appended to every ciphertext. */
    public static final int TAG_LENGTH = 16;
    /** Length of a key. */
    public static final int KEY_LENGTH = 32;
    private static final String ALGORITHM = "ChaCha20-Poly1305";
    private static final int SCRATCH_MIN = 2048;

    private final Cipher cipher;
    private final byte[] nonce = new byte[12];
    /** Staging for direct buffers, which the JDK cipher would copy into a fresh array per call. */
    private byte[] scratch = new byte[SCRATCH_MIN];

    /** Creates the reusable cipher. */
    public ChaChaPoly() {
        try {
            cipher = Cipher.getInstance(ALGORITHM);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks " + ALGORITHM, e);
        }
    }

    /** Wraps (copies) 32 key bytes for use with this class: once per key, not per packet. */
    public static ChaChaKey key(byte[] key) {
        return new ChaChaKey(key, 0);
    }

    /**
     * Encrypts {@code src} (position to limit) into {@code dst} at its position, appending the tag;
     * both positions advance. {@code src} and {@code dst} must not overlap.
     */
    public void seal(SecretKey key, long counter, ByteBuffer src, ByteBuffer dst) {
        int length = src.remaining();
        init(Cipher.ENCRYPT_MODE, key, counter);
        try {
            if (src.hasArray() && dst.hasArray() && src.array() != dst.array()) {
                int written = cipher.doFinal(src.array(), src.arrayOffset() + src.position(), length,
                        dst.array(), dst.arrayOffset() + dst.position());
                src.position(src.limit());
                dst.position(dst.position() + written);
            } else {
                byte[] buf = scratch(length + TAG_LENGTH);
                src.get(buf, 0, length);
                cipher.doFinal(buf, 0, length, buf, 0);
                dst.put(buf, 0, length + TAG_LENGTH);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    /**
     * Encrypts {@code src} followed by {@code padding} zero bytes (at most 16) into {@code dst},
     * appending the tag; {@code src}'s position is left unchanged. Used for transport messages,
     * whose plaintext is padded to a multiple of 16. {@code src} and {@code dst} must not overlap.
     */
    public void sealPadded(SecretKey key, long counter, ByteBuffer src, int padding, ByteBuffer dst) {
        int length = src.remaining();
        int total = length + padding;
        if (dst.remaining() < total + TAG_LENGTH) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed: output buffer too small");
        }
        init(Cipher.ENCRYPT_MODE, key, counter);
        try {
            // Plaintext and padding are laid out in one array and encrypted in place with the
            // array API: the JDK's ByteBuffer API would allocate a packet-sized array per call.
            byte[] buf;
            int off;
            if (dst.hasArray()) {
                buf = dst.array();
                off = dst.arrayOffset() + dst.position();
                dst.put(dst.position(), src, src.position(), length);
            } else {
                buf = scratch(total + TAG_LENGTH);
                off = 0;
                src.get(src.position(), buf, 0, length);
            }
            Arrays.fill(buf, off + length, off + total, (byte) 0);
            cipher.doFinal(buf, off, total, buf, off);
            if (dst.hasArray()) {
                dst.position(dst.position() + total + TAG_LENGTH);
            } else {
                dst.put(buf, 0, total + TAG_LENGTH);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    @Override
    public void sealPadded(TransportKey key, long counter, ByteBuffer src, int padding, ByteBuffer dst) {
        sealPadded(key.jdk(), counter, src, padding, dst);
    }

    @Override
    public boolean open(TransportKey key, long counter, ByteBuffer src, ByteBuffer dst) {
        return open(key.jdk(), counter, src, dst);
    }

    /**
     * Decrypts and authenticates {@code src} (position to limit, tag included) into {@code dst};
     * returns false, writing nothing, when the tag does not verify. {@code src}'s position
     * advances to its limit either way. {@code src} and {@code dst} must not overlap.
     */
    public boolean open(SecretKey key, long counter, ByteBuffer src, ByteBuffer dst) {
        int length = src.remaining();
        if (length < TAG_LENGTH) {
            return false;
        }
        init(Cipher.DECRYPT_MODE, key, counter);
        try {
            if (src.hasArray() && dst.hasArray() && src.array() != dst.array()) {
                int start = src.position();
                src.position(src.limit());
                int written = cipher.doFinal(src.array(), src.arrayOffset() + start, length,
                        dst.array(), dst.arrayOffset() + dst.position());
                dst.position(dst.position() + written);
            } else {
                // Decrypted in place in the scratch array; the tag is checked before any byte
                // is decrypted, so a forgery leaves dst untouched.
                byte[] buf = scratch(length);
                src.get(buf, 0, length);
                int written = cipher.doFinal(buf, 0, length, buf, 0);
                dst.put(buf, 0, written);
            }
            return true;
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 open failed", e);
        }
    }

    /** Array form with additional data, used by the handshake: writes {@code len + 16} bytes. */
    public void seal(byte[] key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        ChaChaKey wrapped = key(key);
        try {
            seal(wrapped, counter, in, inOff, len, out, outOff, aad);
        } finally {
            wrapped.destroy(); // the caller owns and erases the original
        }
    }

    /** Array form with additional data and a wrapped key. */
    public void seal(SecretKey key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        setCounterNonce(counter);
        sealArrays(key, in, inOff, len, out, outOff, aad);
    }

    /** Array form of open with additional data: {@code len} includes the tag. */
    public boolean open(byte[] key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        ChaChaKey wrapped = key(key);
        try {
            return open(wrapped, counter, in, inOff, len, out, outOff, aad);
        } finally {
            wrapped.destroy();
        }
    }

    /** Array form of open with additional data and a wrapped key. */
    public boolean open(SecretKey key, long counter, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        setCounterNonce(counter);
        return openArrays(key, in, inOff, len, out, outOff, aad);
    }

    /** Seal with an explicit 12-byte nonce (XChaCha20-Poly1305 builds on this). */
    void sealWithNonce(SecretKey key, byte[] nonce12, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        System.arraycopy(nonce12, 0, nonce, 0, 12);
        sealArrays(key, in, inOff, len, out, outOff, aad);
    }

    /** Open with an explicit 12-byte nonce; false when the tag does not verify. */
    boolean openWithNonce(SecretKey key, byte[] nonce12, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        System.arraycopy(nonce12, 0, nonce, 0, 12);
        return openArrays(key, in, inOff, len, out, outOff, aad);
    }

    private void sealArrays(SecretKey key, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        initWithNonce(Cipher.ENCRYPT_MODE, key);
        try {
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            cipher.doFinal(in, inOff, len, out, outOff);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20-Poly1305 seal failed", e);
        }
    }

    private boolean openArrays(SecretKey key, byte[] in, int inOff, int len, byte[] out, int outOff, byte[] aad) {
        if (len < TAG_LENGTH) {
            return false;
        }
        initWithNonce(Cipher.DECRYPT_MODE, key);
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

    /** The staging array, grown (rarely: only past the largest datagram so far) to {@code length}. */
    private byte[] scratch(int length) {
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, 2 * scratch.length)];
        }
        return scratch;
    }

    private void init(int mode, SecretKey key, long counter) {
        setCounterNonce(counter);
        initWithNonce(mode, key);
    }

    /** The whitepaper's nonce: 32 zero bits, then the counter as 64-bit little-endian. */
    private void setCounterNonce(long counter) {
        nonce[0] = 0;
        nonce[1] = 0;
        nonce[2] = 0;
        nonce[3] = 0;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (counter >>> (8 * i));
        }
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
