package io.jwg.core.tunnel;

import static io.jwg.core.tunnel.TestNetwork.seconds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.message.CookieReply;
import io.jwg.core.message.MessageType;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine#precheckHandshake} and {@link Engine#consumeHandshake}: the daemon's receive
 * thread runs the cheap checks and only what passes reaches the handshake queue. Same decisions
 * as {@link Engine#decapsulate}, safe on many threads at once, counted by reason, and free of
 * allocation on the cookie path a flood exercises.
 */
class HandshakePrecheckTest {
    private final TestNetwork net = new TestNetwork();
    private final ByteBuffer out = ByteBuffer.allocateDirect(2048);
    private final Received received = new Received();

    /** The initiation a sends to b (a's first message), captured without delivering it. */
    private byte[] initiation() {
        net.dropAll = true;
        net.a.send(new byte[] {1, 2, 3});
        byte[] bytes = net.log.get(net.log.size() - 1).bytes();
        assertEquals(MessageType.INITIATION, MessageType.classify(bytes, bytes.length));
        net.dropAll = false;
        return bytes;
    }

    @Test
    void shouldAcceptAValidInitiationAndLeaveTheDiffieHellmanToConsume() {
        byte[] initiation = initiation();
        ByteBuffer datagram = ByteBuffer.wrap(initiation);
        assertEquals(Precheck.ACCEPT, net.b.engine.precheckHandshake(datagram, net.a.address, false, out, received));
        assertEquals(0, datagram.position());
        assertEquals(initiation.length, datagram.remaining());
        assertEquals(0, net.b.engine.events(Engine.Event.INITIATIONS_RECEIVED), "a precheck does no handshake work");

        assertEquals(Verdict.WRITE_TO_NETWORK, net.b.engine.consumeHandshake(datagram, net.a.address, out, received));
        assertEquals(MessageType.RESPONSE, MessageType.classify(out));
        assertEquals(net.b.tunnel, received.tunnel());
        net.emit(net.b, out);
        net.pump();
        assertNotNull(net.a.tunnel.currentKeypair(), "the response completed the handshake");
    }

    @Test
    void shouldDropBadMac1AndMisSizedMessagesCountedByReason() {
        byte[] bad = initiation();
        bad[20] ^= 1;
        assertEquals(Precheck.DROP, net.b.engine.precheckHandshake(ByteBuffer.wrap(bad), net.a.address, false, out, received));
        assertEquals(DropReason.INVALID_MAC1, received.dropReason());
        assertEquals(1, net.b.engine.drops(DropReason.INVALID_MAC1));

        byte[] shortOne = Arrays.copyOf(initiation(), 147);
        assertEquals(Precheck.DROP, net.b.engine.precheckHandshake(ByteBuffer.wrap(shortOne), net.a.address, false, out, received));
        assertEquals(DropReason.INVALID_MESSAGE, received.dropReason());
        byte[] transport = new byte[32];
        transport[0] = 4;
        assertEquals(Precheck.DROP, net.b.engine.precheckHandshake(ByteBuffer.wrap(transport), net.a.address, false, out, received));
        assertEquals(Verdict.DROP, net.b.engine.consumeHandshake(ByteBuffer.wrap(transport), net.a.address, out, received));
        assertEquals(3, net.b.engine.drops(DropReason.INVALID_MESSAGE));
    }

    @Test
    void shouldAnswerWithACookieUnderLoadThenAcceptMac2AndRateLimit() {
        byte[] first = initiation();
        assertEquals(Precheck.COOKIE_REPLY, net.b.engine.precheckHandshake(ByteBuffer.wrap(first), net.a.address, true, out, received));
        assertTrue(received.cookieReplySent());
        assertEquals(CookieReply.SIZE, out.remaining());
        assertEquals(1, net.b.engine.events(Engine.Event.COOKIES_SENT));
        net.emit(net.b, out);
        net.pump();
        assertEquals(1, net.a.engine.events(Engine.Event.COOKIES_RECEIVED));

        // a's retry (after RekeyTimeout) carries MAC2 for this source: accepted, then rate limited.
        net.dropAll = true;
        net.advance(seconds(6));
        byte[] retry = net.log.get(net.log.size() - 1).bytes();
        net.dropAll = false;
        assertEquals(MessageType.INITIATION, MessageType.classify(retry, retry.length));
        InetSocketAddress elsewhere = new InetSocketAddress("127.0.0.9", 1000);
        assertEquals(Precheck.COOKIE_REPLY, net.b.engine.precheckHandshake(ByteBuffer.wrap(retry), elsewhere, true, out, received),
                "a cookie is bound to the source it was given to");
        int accepted = 0;
        int limited = 0;
        for (int i = 0; i < 20; i++) {
            Precheck check = net.b.engine.precheckHandshake(ByteBuffer.wrap(retry), net.a.address, true, out, received);
            if (check == Precheck.ACCEPT) {
                accepted++;
            } else if (check == Precheck.DROP && received.dropReason() == DropReason.RATE_LIMITED) {
                limited++;
            }
        }
        assertEquals(5, accepted, "a rested source gets its burst of five");
        assertEquals(15, limited);
        assertEquals(15, net.b.engine.drops(DropReason.RATE_LIMITED));
    }

    @Test
    void shouldDropUnderLoadWhatHasNoSourceToAnswer() {
        byte[] initiation = initiation();
        assertEquals(Precheck.DROP, net.b.engine.precheckHandshake(ByteBuffer.wrap(initiation), null, true, out, received));
        assertEquals(DropReason.RATE_LIMITED, received.dropReason());
        assertEquals(Precheck.DROP, net.b.engine.precheckHandshake(ByteBuffer.wrap(initiation),
                InetSocketAddress.createUnresolved("nowhere.invalid", 1), true, out, received));
        assertEquals(0, net.b.engine.events(Engine.Event.COOKIES_SENT));
        assertEquals(Precheck.ACCEPT, net.b.engine.precheckHandshake(ByteBuffer.wrap(initiation), null, false, out, received));
    }

    @Test
    void shouldLimitCookieRepliesPerSourceButAnswerARealInitiatorsRetries() {
        byte[] flood = initiation();
        int replies = 0;
        for (int i = 0; i < 100; i++) {
            if (net.b.engine.precheckHandshake(ByteBuffer.wrap(flood), net.a.address, true, out, received) == Precheck.COOKIE_REPLY) {
                replies++;
            } else {
                assertEquals(DropReason.COOKIE_REPLY_LIMITED, received.dropReason());
            }
        }
        assertEquals(5, replies, "a burst of five, then nothing until tokens accrue");
        assertEquals(95, net.b.engine.drops(DropReason.COOKIE_REPLY_LIMITED));
        // An initiator retrying every RekeyTimeout (5 s) always gets its cookie.
        for (int retry = 0; retry < 5; retry++) {
            net.now += seconds(5);
            assertEquals(Precheck.COOKIE_REPLY,
                    net.b.engine.precheckHandshake(ByteBuffer.wrap(flood), net.a.address, true, out, received));
        }
        // Other sources have their own budget.
        assertEquals(Precheck.COOKIE_REPLY, net.b.engine.precheckHandshake(ByteBuffer.wrap(flood),
                new InetSocketAddress("127.0.0.3", 1000), true, out, received));
    }

    @Test
    void shouldGiveTheSameDecisionsOnManyThreadsWhileTheSecretRotates() throws Exception {
        byte[] valid = initiation();
        byte[] badMac = valid.clone();
        badMac[30] ^= 1;
        int threads = 4;
        int perThread = 5_000;
        AtomicLong cookies = new AtomicLong();
        AtomicLong mac1Drops = new AtomicLong();
        AtomicLong limited = new AtomicLong();
        AtomicLong other = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                InetSocketAddress source = new InetSocketAddress("10.1.0." + (t + 1), 4000 + t);
                futures.add(pool.submit(() -> {
                    ByteBuffer o = ByteBuffer.allocateDirect(2048);
                    Received r = new Received();
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        byte[] message = (i & 1) == 0 ? valid : badMac;
                        Precheck check = net.b.engine.precheckHandshake(ByteBuffer.wrap(message), source, true, o, r);
                        if (check == Precheck.COOKIE_REPLY && o.remaining() == CookieReply.SIZE) {
                            cookies.incrementAndGet();
                        } else if (check == Precheck.DROP && r.dropReason() == DropReason.INVALID_MAC1) {
                            mac1Drops.incrementAndGet();
                        } else if (check == Precheck.DROP && r.dropReason() == DropReason.COOKIE_REPLY_LIMITED) {
                            limited.incrementAndGet();
                        } else {
                            other.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            // Meanwhile the manual clock jumps past the cookie secret's lifetime again and
            // again, so the checking threads race to rotate it.
            futures.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 200; i++) {
                    net.now += seconds(121);
                    Thread.sleep(1);
                }
                return null;
            }));
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long half = (long) threads * perThread / 2;
        assertEquals(half, cookies.get() + limited.get(), "every valid-MAC1 initiation without MAC2: a whole cookie reply or its source's limit");
        assertTrue(cookies.get() >= threads * 5L, "each source got at least its burst of replies");
        assertEquals(half, mac1Drops.get());
        assertEquals(0, other.get());
        assertEquals(cookies.get(), net.b.engine.events(Engine.Event.COOKIES_SENT));
        assertEquals(limited.get(), net.b.engine.drops(DropReason.COOKIE_REPLY_LIMITED));
        assertEquals(half, net.b.engine.drops(DropReason.INVALID_MAC1));
    }

    @Test
    void shouldAllocateNothingToAnswerAFloodFromKnownSources() {
        byte[] valid = initiation();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        InetSocketAddress[] sources = new InetSocketAddress[64];
        for (int i = 0; i < sources.length; i++) {
            sources[i] = new InetSocketAddress("10.2.0." + (i + 1), 5000 + i);
        }
        ByteBuffer datagram = ByteBuffer.allocateDirect(valid.length);
        datagram.put(valid).flip();
        Engine engine = net.b.engine;
        // 50 ms per round: each source earns one cookie reply per round (20 a second).
        Runnable flood = () -> {
            net.now += seconds(0.05);
            for (InetSocketAddress source : sources) {
                if (engine.precheckHandshake(datagram, source, true, out, received) != Precheck.COOKIE_REPLY) {
                    throw new AssertionError("no cookie reply: " + received.dropReason());
                }
            }
        };
        for (int i = 0; i < 500; i++) {
            flood.run();
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200; i++) {
            flood.run();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        net.now += seconds(0.05);
        assertEquals(Precheck.COOKIE_REPLY, engine.precheckHandshake(datagram, sources[0], true, out, received));
        byte[] reply = new byte[out.remaining()];
        out.get(out.position(), reply);
        assertArrayEquals(new byte[] {3, 0, 0, 0}, Arrays.copyOf(reply, 4));
        // 12,800 cookie replies; one allocation per reply would be hundreds of kilobytes.
        assertTrue(allocated < 20_000, () -> allocated + " bytes allocated for 12,800 cookie replies");
    }
}
