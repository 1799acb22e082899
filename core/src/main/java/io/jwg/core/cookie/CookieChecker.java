package io.jwg.core.cookie;

import io.jwg.core.Constants;
import io.jwg.core.crypto.Blake2s;
import io.jwg.core.crypto.Mac;
import io.jwg.core.crypto.NonceGenerator;
import io.jwg.core.crypto.XChaChaPoly;
import io.jwg.core.message.CookieReply;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.MessageType;
import java.security.SecureRandom;

/**
 * The responder's side of the DoS defence (whitepaper 5.4.7): checks MAC1 of every handshake
 * message against our public key, checks MAC2 (the cookie) when under load, and builds
 * encrypted cookie replies. The cookie secret is random and rotates every two minutes. These
 * checks cost a few BLAKE2s blocks and run before any Diffie-Hellman.
 *
 * <p>Thread-safe and lock-free on the checking side, so that any number of receive threads can
 * run the checks while configuration changes the key: the keys and the secret are immutable
 * snapshots swapped whole (a checker never sees half of a rotation), and each calling thread
 * brings its own {@link Scratch}, so checks allocate nothing. Rotation, once every two minutes,
 * takes a lock.
 */
public final class CookieChecker {
    /** Keys derived from our public key. */
    private record Keys(Mac.Key mac1Key, byte[] encryptionKey) {
    }

    /** The cookie secret and when it was made (monotonic nanoseconds). */
    private record Secret(byte[] value, long setAt) {
    }

    /** One thread's working memory for the checks. Not thread-safe: one per thread. */
    public static final class Scratch {
        private final NonceGenerator nonces;
        private final Mac mac = new Mac();
        private final XChaChaPoly xaead = new XChaChaPoly();
        private final byte[] computed = new byte[Mac.LENGTH];
        private final byte[] cookie = new byte[Mac.LENGTH];
        private final byte[] nonce = new byte[XChaChaPoly.NONCE_LENGTH];
        private final byte[] mac1Copy = new byte[Mac.LENGTH];

        /** Scratch whose cookie-reply nonces come from a generator seeded by {@code seed}. */
        public Scratch(SecureRandom seed) {
            this.nonces = new NonceGenerator(seed);
        }
    }

    private final SecureRandom random;
    private volatile Keys keys;
    private volatile Secret secret;

    /** A checker with no key yet: every MAC1 fails until {@link #init} is called. */
    public CookieChecker(SecureRandom random) {
        this.random = random;
    }

    /** Keys the checker to our static public key (null to disable). */
    public synchronized void init(byte[] publicKey) {
        // Cookies given out under the old identity must not outlive it (wireguard-go Init).
        Secret old = secret;
        secret = null;
        if (old != null) {
            java.util.Arrays.fill(old.value(), (byte) 0);
        }
        if (publicKey == null) {
            keys = null;
            return;
        }
        Blake2s blake = new Blake2s();
        byte[] mac1Key = new byte[32];
        byte[] encryptionKey = new byte[32];
        blake.hash(mac1Key, Constants.LABEL_MAC1, publicKey);
        blake.hash(encryptionKey, Constants.LABEL_COOKIE, publicKey);
        keys = new Keys(new Mac.Key(mac1Key), encryptionKey);
        java.util.Arrays.fill(mac1Key, (byte) 0);
    }

    /** True when MAC1 of the handshake message {@code msg[0, size)} is valid. */
    public boolean checkMac1(byte[] msg, int size, Scratch scratch) {
        Keys current = keys;
        if (current == null) {
            return false;
        }
        int mac1Offset = size - 2 * Mac.LENGTH;
        scratch.mac.compute(current.mac1Key(), msg, 0, mac1Offset, scratch.computed, 0);
        return Mac.equal(scratch.computed, 0, msg, mac1Offset);
    }

    /**
     * True when MAC2 of {@code msg[0, size)} carries a cookie we gave the source whose address
     * bytes and port are {@code source[0, sourceLength)}, within the secret's lifetime.
     * {@code now} is monotonic nanoseconds.
     */
    public boolean checkMac2(byte[] msg, int size, byte[] source, int sourceLength, long now, Scratch scratch) {
        Secret current = secret;
        if (current == null || now - current.setAt() > Constants.COOKIE_REFRESH_TIME) {
            return false;
        }
        int mac2Offset = size - Mac.LENGTH;
        if (isZero(msg, mac2Offset, Mac.LENGTH)) {
            // Sent without a cookie, as every flood datagram is: a real MAC2 is zero with
            // probability 2^-128, so skip the two MACs that would say so.
            return false;
        }
        scratch.mac.keyed(current.value(), source, 0, sourceLength, scratch.cookie, 0);
        scratch.mac.keyed(scratch.cookie, msg, 0, mac2Offset, scratch.computed, 0);
        return Mac.equal(scratch.computed, 0, msg, mac2Offset);
    }

    /**
     * Writes into {@code reply} a cookie reply to the handshake message {@code msg[0, size)}
     * whose sender index is {@code senderIndex}, received from {@code source[0, sourceLength)}.
     * False (nothing written) when no key is set.
     */
    public boolean createReply(byte[] msg, int size, int senderIndex, byte[] source, int sourceLength, long now,
            Scratch scratch, byte[] reply) {
        Keys current = keys;
        if (current == null) {
            return false;
        }
        Secret s = secret;
        if (s == null || now - s.setAt() > Constants.COOKIE_REFRESH_TIME) {
            s = rotate(now);
        }
        scratch.mac.keyed(s.value(), source, 0, sourceLength, scratch.cookie, 0);
        scratch.nonces.next(scratch.nonce, 0, scratch.nonce.length);
        MessageType.COOKIE_REPLY.write(reply, 0);
        LittleEndian.putInt(reply, CookieReply.RECEIVER_OFFSET, senderIndex);
        System.arraycopy(scratch.nonce, 0, reply, CookieReply.NONCE_OFFSET, scratch.nonce.length);
        System.arraycopy(msg, size - 2 * Mac.LENGTH, scratch.mac1Copy, 0, Mac.LENGTH);
        scratch.xaead.seal(current.encryptionKey(), scratch.nonce, scratch.cookie, 0, Mac.LENGTH, reply,
                CookieReply.COOKIE_OFFSET, scratch.mac1Copy);
        return true;
    }

    private static boolean isZero(byte[] bytes, int off, int len) {
        int any = 0;
        for (int i = off; i < off + len; i++) {
            any |= bytes[i];
        }
        return any == 0;
    }

    /** A fresh secret, unless another thread made one since the caller looked. */
    private synchronized Secret rotate(long now) {
        Secret s = secret;
        if (s != null && now - s.setAt() <= Constants.COOKIE_REFRESH_TIME) {
            return s;
        }
        byte[] value = new byte[32];
        random.nextBytes(value);
        Secret fresh = new Secret(value, now);
        secret = fresh;
        return fresh;
    }
}
