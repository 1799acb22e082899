package io.jwg.core.cookie;

import io.jwg.core.Constants;
import io.jwg.core.crypto.Blake2s;
import io.jwg.core.crypto.Mac;
import io.jwg.core.crypto.XChaChaPoly;
import io.jwg.core.message.CookieReply;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.message.MessageType;
import java.security.SecureRandom;

/**
 * The responder's side of the DoS defence (whitepaper 5.4.7): checks MAC1 of every handshake
 * message against our public key, checks MAC2 (the cookie) when under load, and builds
 * encrypted cookie replies. The cookie secret is random and rotates every two minutes. These
 * checks cost a few BLAKE2s blocks and run before any Diffie-Hellman. Thread-safe.
 */
public final class CookieChecker {
    private final SecureRandom random;
    private Mac mac1;
    private final byte[] encryptionKey = new byte[32];
    private final byte[] secret = new byte[32];
    private long secretSetAt;
    private boolean secretSet;
    private final byte[] mac = new byte[Mac.LENGTH];
    private final byte[] cookie = new byte[Mac.LENGTH];
    private final byte[] nonce = new byte[XChaChaPoly.NONCE_LENGTH];
    private final byte[] mac1Copy = new byte[Mac.LENGTH];
    private final XChaChaPoly xaead = new XChaChaPoly();
    private final Blake2s blake = new Blake2s();

    /** A checker with no key yet: every MAC1 fails until {@link #init} is called. */
    public CookieChecker(SecureRandom random) {
        this.random = random;
    }

    /** Keys the checker to our static public key (null to disable). */
    public synchronized void init(byte[] publicKey) {
        // Cookies given out under the old identity must not outlive it (wireguard-go Init).
        java.util.Arrays.fill(secret, (byte) 0);
        secretSet = false;
        if (publicKey == null) {
            mac1 = null;
            return;
        }
        byte[] mac1Key = new byte[32];
        blake.hash(mac1Key, Constants.LABEL_MAC1, publicKey);
        mac1 = new Mac(mac1Key);
        blake.hash(encryptionKey, Constants.LABEL_COOKIE, publicKey);
    }

    /** True when MAC1 of the handshake message {@code msg[0, size)} is valid. */
    public synchronized boolean checkMac1(byte[] msg, int size) {
        if (mac1 == null) {
            return false;
        }
        int mac1Offset = size - 2 * Mac.LENGTH;
        mac1.compute(msg, 0, mac1Offset, mac, 0);
        return Mac.equal(mac, 0, msg, mac1Offset);
    }

    /**
     * True when MAC2 of {@code msg[0, size)} carries a cookie we gave {@code source} (its address
     * bytes and port) within the secret's lifetime. {@code now} is monotonic nanoseconds.
     */
    public synchronized boolean checkMac2(byte[] msg, int size, byte[] source, long now) {
        if (!secretSet || now - secretSetAt > Constants.COOKIE_REFRESH_TIME) {
            return false;
        }
        Mac.compute(secret, source, 0, source.length, cookie, 0);
        int mac2Offset = size - Mac.LENGTH;
        Mac.compute(cookie, msg, 0, mac2Offset, mac, 0);
        return Mac.equal(mac, 0, msg, mac2Offset);
    }

    /**
     * Writes into {@code reply} a cookie reply to the handshake message {@code msg[0, size)}
     * whose sender index is {@code senderIndex}, received from {@code source}.
     */
    public synchronized void createReply(byte[] msg, int size, int senderIndex, byte[] source, long now, byte[] reply) {
        if (!secretSet || now - secretSetAt > Constants.COOKIE_REFRESH_TIME) {
            random.nextBytes(secret);
            secretSetAt = now;
            secretSet = true;
        }
        Mac.compute(secret, source, 0, source.length, cookie, 0);
        random.nextBytes(nonce);
        MessageType.COOKIE_REPLY.write(reply, 0);
        LittleEndian.putInt(reply, CookieReply.RECEIVER_OFFSET, senderIndex);
        System.arraycopy(nonce, 0, reply, CookieReply.NONCE_OFFSET, nonce.length);
        System.arraycopy(msg, size - 2 * Mac.LENGTH, mac1Copy, 0, Mac.LENGTH);
        xaead.seal(encryptionKey, nonce, cookie, 0, Mac.LENGTH, reply, CookieReply.COOKIE_OFFSET, mac1Copy);
    }
}
