package io.jwg.core.tunnel;

import io.jwg.core.cookie.CookieChecker;
import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.LittleEndian;
import io.jwg.core.ratelimit.RateLimiter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The cheap checks every handshake message passes before any Diffie-Hellman, in wireguard-go's
 * order: MAC1; then, only under load, MAC2 (a message without a valid one is answered with a
 * cookie reply) and the per-source rate limit. A few BLAKE2s blocks and at most one
 * XChaCha20-Poly1305 seal; no allocation for a known source.
 *
 * <p>One addition to wireguard-go: cookie replies are rate limited per source like handshakes
 * (20 a second, bursts of 5). A real initiator needs one cookie per two minutes and retries every
 * five seconds, so it always gets its reply; a flood, which never uses its cookies, gets a few,
 * and its other datagrams cost a MAC1 check and a table lookup instead of an
 * XChaCha20-Poly1305 seal and a send.
 *
 * <p>Thread-safe: the cookie checker reads immutable snapshots, the rate limiter locks, and all
 * scratch space is the calling thread's {@link Workspace}. So the receive threads can run these
 * checks before anything is queued, and a flood never occupies the queue a real peer needs.
 */
final class HandshakeGate {
    private final Engine engine;
    private final CookieChecker cookieChecker;
    // IPv6 sources share a bucket per /64 (the kernel's choice): one host owns a whole /64.
    private final RateLimiter rateLimiter = new RateLimiter(RateLimiter.DEFAULT_MAX_ENTRIES, true);
    private final RateLimiter cookieReplies = new RateLimiter(RateLimiter.DEFAULT_MAX_ENTRIES, true);

    HandshakeGate(Engine engine, CookieChecker cookieChecker) {
        this.engine = engine;
        this.cookieChecker = cookieChecker;
    }

    /**
     * Checks the handshake message in {@code datagram} (classified and sized by the caller),
     * copying it into the workspace's message buffer; a cookie reply goes to {@code out}.
     */
    Precheck check(ByteBuffer datagram, InetSocketAddress source, boolean underLoad, Workspace ws, ByteBuffer out,
            Received received) {
        int size = datagram.remaining();
        datagram.get(datagram.position(), ws.message, 0, size);
        if (!cookieChecker.checkMac1(ws.message, size, ws.cookieScratch)) {
            engine.drop(received, DropReason.INVALID_MAC1);
            return Precheck.DROP;
        }
        if (!underLoad) {
            return Precheck.ACCEPT;
        }
        long now = engine.now();
        byte[] sourceBytes = ws.sources.of(source);
        if (sourceBytes.length == 0) {
            // No address to answer, to bind a cookie to, or to account to.
            engine.drop(received, DropReason.RATE_LIMITED);
            return Precheck.DROP;
        }
        if (!cookieChecker.checkMac2(ws.message, size, sourceBytes, sourceBytes.length, now, ws.cookieScratch)) {
            if (!allowed(cookieReplies, sourceBytes, now)) {
                engine.drop(received, DropReason.COOKIE_REPLY_LIMITED);
                return Precheck.DROP;
            }
            int sender = LittleEndian.getInt(ws.message, HandshakeInitiation.SENDER_OFFSET);
            if (!cookieChecker.createReply(ws.message, size, sender, sourceBytes, sourceBytes.length, now,
                    ws.cookieScratch, ws.cookieReply)) {
                // The private key was cleared since MAC1 was checked.
                engine.drop(received, DropReason.NO_PRIVATE_KEY);
                return Precheck.DROP;
            }
            out.clear();
            out.put(ws.cookieReply).flip();
            received.cookieReplySent = true;
            engine.countEvent(Engine.Event.COOKIES_SENT);
            return Precheck.COOKIE_REPLY;
        }
        if (!allowed(rateLimiter, sourceBytes, now)) {
            engine.drop(received, DropReason.RATE_LIMITED);
            return Precheck.DROP;
        }
        return Precheck.ACCEPT;
    }

    private static boolean allowed(RateLimiter limiter, byte[] source, long now) {
        return switch (source.length) {
            case 6 -> limiter.allowIpv4((int) bigEndian(source, 0, 4), now);
            case 18 -> limiter.allowIpv6(bigEndian(source, 0, 8), bigEndian(source, 8, 8), now);
            default -> false;
        };
    }

    private static long bigEndian(byte[] bytes, int off, int len) {
        long value = 0;
        for (int i = 0; i < len; i++) {
            value = value << 8 | (bytes[off + i] & 0xff);
        }
        return value;
    }
}
