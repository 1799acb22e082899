package io.jwg.core.crypto;

import java.io.Serial;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A ChaCha20 key whose bytes jwg owns and can erase with {@link #destroy()}: the JDK's
 * {@code SecretKeySpec} keeps a private copy that cannot be destroyed. What stays out of reach:
 * the copy the JDK cipher takes at each {@code init} (as it does for any key) lives until that
 * cipher's next {@code init}.
 *
 * <p>A destroyed key reads as 32 zero bytes instead of throwing, so a packet still being sealed
 * or opened with it on another thread fails to authenticate at the peer, or here, rather than
 * breaking the packet path.
 */
public final class ChaChaKey implements SecretKey {
    @Serial
    private static final long serialVersionUID = 1L;

    private final byte[] key;
    private volatile boolean destroyed;

    /** A copy of the 32 bytes of {@code key} from {@code off}. */
    ChaChaKey(byte[] key, int off) {
        this.key = Arrays.copyOfRange(key, off, off + ChaChaPoly.KEY_LENGTH);
    }

    @Override
    public String getAlgorithm() {
        return "ChaCha20";
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** A copy of the key (the JDK cipher asks for one at each {@code init}); zeros once destroyed. */
    @Override
    public byte[] getEncoded() {
        return key.clone();
    }

    /** Overwrites the key with zeros. */
    @Override
    public void destroy() {
        destroyed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }
}
