package io.jwg.core.crypto;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * One direction's ChaCha20-Poly1305 key of a transport session, in the two forms the
 * {@link TransportAead} implementations take: the JDK cipher's {@link SecretKey} and the raw 32
 * bytes (for a native implementation, which copies them into its own memory per call). Made
 * once per session, never per packet; {@link #destroy()} erases both forms.
 */
public final class TransportKey {
    private final ChaChaKey jdk;
    private final byte[] raw;

    /** Copies the first 32 bytes of {@code key}. */
    public TransportKey(byte[] key) {
        this.raw = Arrays.copyOf(key, ChaChaPoly.KEY_LENGTH);
        this.jdk = ChaChaPoly.key(raw);
    }

    /** The key for the JDK cipher. */
    public SecretKey jdk() {
        return jdk;
    }

    /** The raw key bytes; callers must not modify them. */
    public byte[] raw() {
        return raw;
    }

    /**
     * Overwrites both forms with zeros. A packet still being sealed or opened with this key on
     * another thread then fails to authenticate rather than throwing.
     */
    public void destroy() {
        jdk.destroy();
        Arrays.fill(raw, (byte) 0);
    }

    /** True once {@link #destroy()} ran. */
    public boolean isDestroyed() {
        return jdk.isDestroyed();
    }
}
