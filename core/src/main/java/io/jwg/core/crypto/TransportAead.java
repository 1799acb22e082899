package io.jwg.core.crypto;

import java.nio.ByteBuffer;

/**
 * ChaCha20-Poly1305 as the transport data path uses it: the whitepaper's counter nonce, padded
 * sealing, opening into a second buffer. One instance per thread. {@link ChaChaPoly} (the JDK
 * cipher) implements it in {@code core}; the daemon may supply a native one.
 */
public interface TransportAead {
    /**
     * Encrypts {@code src} (position to limit, left unchanged) followed by {@code padding} zero
     * bytes into {@code dst} at its position, appending the 16-byte tag; {@code dst}'s position
     * advances. The buffers must not overlap.
     */
    void sealPadded(TransportKey key, long counter, ByteBuffer src, int padding, ByteBuffer dst);

    /**
     * Decrypts and authenticates {@code src} (position to limit, tag included) into {@code dst}
     * at its position; returns false when the tag does not verify, in which case whatever was
     * written to {@code dst} must be ignored. {@code src}'s position advances to its limit.
     */
    boolean open(TransportKey key, long counter, ByteBuffer src, ByteBuffer dst);
}
