package io.jwg.core.cookie;

import io.jwg.core.Constants;
import io.jwg.core.crypto.Blake2s;
import io.jwg.core.crypto.Mac;
import io.jwg.core.crypto.XChaChaPoly;
import io.jwg.core.message.CookieReply;
import java.util.Arrays;

/**
 * The initiator's side of the DoS defence, one per peer: adds MAC1 (keyed by the peer's public
 * key) to every handshake message we send, adds MAC2 while we hold a fresh cookie from that
 * peer, and decrypts the cookie replies it sends us. Guarded by the peer's lock.
 */
public final class CookieGenerator {
    /** Bound to the MAC1 key; {@link Mac#keyed} with the cookie computes MAC2. */
    private final Mac mac1;
    private final byte[] encryptionKey = new byte[32];
    private final byte[] lastMac1 = new byte[Mac.LENGTH];
    private boolean hasLastMac1;
    private final byte[] cookie = new byte[Mac.LENGTH];
    private long cookieSetAt;
    private boolean cookieSet;
    private final byte[] nonce = new byte[24];
    private final XChaChaPoly xaead = new XChaChaPoly();

    /** A generator for the peer with static public key {@code peerPublicKey}. */
    public CookieGenerator(byte[] peerPublicKey) {
        Blake2s blake = new Blake2s();
        byte[] mac1Key = new byte[32];
        blake.hash(mac1Key, Constants.LABEL_MAC1, peerPublicKey);
        mac1 = new Mac(mac1Key);
        blake.hash(encryptionKey, Constants.LABEL_COOKIE, peerPublicKey);
    }

    /** Writes MAC1 and MAC2 (zeros without a fresh cookie) into the last 32 bytes of {@code msg[0, size)}. */
    public void addMacs(byte[] msg, int size, long now) {
        int mac1Offset = size - 2 * Mac.LENGTH;
        int mac2Offset = size - Mac.LENGTH;
        mac1.compute(msg, 0, mac1Offset, msg, mac1Offset);
        System.arraycopy(msg, mac1Offset, lastMac1, 0, Mac.LENGTH);
        hasLastMac1 = true;
        if (!cookieSet || now - cookieSetAt > Constants.COOKIE_REFRESH_TIME) {
            Arrays.fill(msg, mac2Offset, size, (byte) 0);
            return;
        }
        mac1.keyed(cookie, msg, 0, mac2Offset, msg, mac2Offset);
    }

    /**
     * Decrypts a cookie reply to the last message we MACed; on success stores the cookie for our
     * next handshake message and returns true. Replies we did not ask for fail.
     */
    public boolean consumeReply(byte[] reply, long now) {
        if (!hasLastMac1) {
            return false;
        }
        System.arraycopy(reply, CookieReply.NONCE_OFFSET, nonce, 0, nonce.length);
        // The tag is checked before anything is written, so a forged reply leaves the cookie alone.
        if (!xaead.open(encryptionKey, nonce, reply, CookieReply.COOKIE_OFFSET, CookieReply.COOKIE_LENGTH, cookie, 0, lastMac1)) {
            return false;
        }
        cookieSetAt = now;
        cookieSet = true;
        return true;
    }

    /** True while a cookie received less than two minutes ago is held. */
    public boolean hasFreshCookie(long now) {
        return cookieSet && now - cookieSetAt <= Constants.COOKIE_REFRESH_TIME;
    }
}
