package io.jwg.core.cookie;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.crypto.X25519;
import io.jwg.core.message.CookieReply;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * MAC1/MAC2 checks and cookie-reply decryption on garbage and on genuine messages with one byte
 * flipped: false, never an exception, and no state change. Genuine messages pass, so the
 * rejections are not vacuous.
 */
class CookieRobustnessTest {
    private static final long NOW = 1_000_000_000_000L;
    private static final byte[] SOURCE = {(byte) 192, 0, 2, 1, (byte) 0xca, 0x6c};

    private final SplittableRandom random = new SplittableRandom(0xc00c1e);
    private final byte[] responderPublic = new byte[32];
    private final CookieChecker checker = new CookieChecker(new SecureRandom());
    private final CookieChecker.Scratch scratch = new CookieChecker.Scratch(new SecureRandom());

    CookieRobustnessTest() {
        byte[] priv = new byte[32];
        X25519.generatePrivateKey(new SecureRandom(), priv);
        X25519.publicKey(priv, responderPublic);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Test
    void shouldFailMac1BeforeInit() {
        CookieGenerator generator = new CookieGenerator(responderPublic);
        byte[] msg = randomBytes(148);
        generator.addMacs(msg, 148, NOW);
        assertFalse(checker.checkMac1(msg, 148, scratch));
    }

    @Test
    void shouldRejectRandomMac1() {
        checker.init(responderPublic);
        for (int i = 0; i < 20_000; i++) {
            int size = random.nextBoolean() ? 148 : 92;
            assertFalse(checker.checkMac1(randomBytes(148), size, scratch));
        }
    }

    @Test
    void shouldCoverEveryByteBeforeMac1() {
        checker.init(responderPublic);
        CookieGenerator generator = new CookieGenerator(responderPublic);
        for (int size : new int[] {148, 92}) {
            byte[] msg = randomBytes(148);
            generator.addMacs(msg, size, NOW);
            assertTrue(checker.checkMac1(msg, size, scratch));
            for (int i = 0; i < size; i++) {
                byte[] tampered = msg.clone();
                tampered[i] ^= 1;
                // MAC2 (the last 16 bytes) is not covered by MAC1.
                boolean inMac2 = i >= size - 16;
                assertTrue(checker.checkMac1(tampered, size, scratch) == inMac2, "size " + size + " byte " + i);
            }
            // A generator keyed for another responder produces a MAC1 we reject.
            byte[] other = responderPublic.clone();
            other[0] ^= 1;
            new CookieGenerator(other).addMacs(msg, size, NOW);
            assertFalse(checker.checkMac1(msg, size, scratch));
        }
    }

    @Test
    void shouldRejectRandomMac2() {
        checker.init(responderPublic);
        for (int i = 0; i < 2_000; i++) {
            assertFalse(checker.checkMac2(randomBytes(148), 148, SOURCE, SOURCE.length, NOW, scratch));
        }
        // Also once a cookie secret exists.
        byte[] reply = new byte[CookieReply.SIZE];
        checker.createReply(randomBytes(148), 148, 1, SOURCE, SOURCE.length, NOW, scratch, reply);
        for (int i = 0; i < 2_000; i++) {
            assertFalse(checker.checkMac2(randomBytes(92), 92, SOURCE, SOURCE.length, NOW, scratch));
        }
    }

    @Test
    void shouldRejectUnaskedAndRandomCookieReplies() {
        checker.init(responderPublic);
        CookieGenerator generator = new CookieGenerator(responderPublic);
        byte[] msg = randomBytes(148);
        byte[] reply = new byte[CookieReply.SIZE];
        checker.createReply(msg, 148, 7, SOURCE, SOURCE.length, NOW, scratch, reply);
        // Nothing MACed yet: even a well-formed reply is refused.
        assertFalse(generator.consumeReply(reply, NOW));
        generator.addMacs(msg, 148, NOW);
        for (int i = 0; i < 10_000; i++) {
            assertFalse(generator.consumeReply(randomBytes(CookieReply.SIZE), NOW));
        }
        assertFalse(generator.hasFreshCookie(NOW));
    }

    @Test
    void shouldRejectRepliesWithAnyAuthenticatedByteFlipped() {
        checker.init(responderPublic);
        CookieGenerator generator = new CookieGenerator(responderPublic);
        byte[] msg = randomBytes(148);
        generator.addMacs(msg, 148, NOW);
        byte[] reply = new byte[CookieReply.SIZE];
        checker.createReply(msg, 148, 7, SOURCE, SOURCE.length, NOW, scratch, reply);
        for (int i = CookieReply.NONCE_OFFSET; i < CookieReply.SIZE; i++) {
            byte[] tampered = reply.clone();
            tampered[i] ^= 1;
            assertFalse(generator.consumeReply(tampered, NOW), "byte " + i);
            assertFalse(generator.hasFreshCookie(NOW));
        }
        assertTrue(generator.consumeReply(reply, NOW));
        assertTrue(generator.hasFreshCookie(NOW));

        // With the cookie, the next message carries a MAC2 the checker accepts for that source only.
        byte[] next = randomBytes(148);
        generator.addMacs(next, 148, NOW);
        assertTrue(checker.checkMac1(next, 148, scratch));
        assertTrue(checker.checkMac2(next, 148, SOURCE, SOURCE.length, NOW, scratch));
        byte[] otherSource = SOURCE.clone();
        otherSource[5] ^= 1;
        assertFalse(checker.checkMac2(next, 148, otherSource, otherSource.length, NOW, scratch));
    }
}
