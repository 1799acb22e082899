package io.jwg.core.tunnel;

import static io.jwg.core.tunnel.TestNetwork.seconds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.message.HandshakeInitiation;
import io.jwg.core.message.MessageType;
import io.jwg.core.noise.HandshakeState;
import io.jwg.core.noise.Keypair;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Two full engines in-process: handshakes, data, timers, cookies and attacks on a manual clock. */
class TwoEnginesTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] payloadOf(byte[] ipv4Packet) {
        return Arrays.copyOfRange(ipv4Packet, 20, ipv4Packet.length);
    }

    private static TestNetwork established() {
        TestNetwork net = new TestNetwork();
        net.a.send(bytes("hello"));
        net.pump();
        return net;
    }

    @Test
    void shouldHandshakeOnFirstPacketAndDeliverIt() {
        TestNetwork net = new TestNetwork();
        assertEquals(Verdict.DONE, net.a.send(bytes("hello")), "first packet waits for a handshake");
        assertEquals(1, net.log.size(), "an initiation left");
        assertEquals(HandshakeInitiation.SIZE, net.log.get(0).bytes().length);
        net.pump();
        assertEquals(1, net.b.delivered.size());
        assertArrayEquals(bytes("hello"), payloadOf(net.b.delivered.get(0)));
        assertNotNull(net.a.tunnel.currentKeypair());
        assertNotNull(net.b.tunnel.currentKeypair(), "responder confirmed by the staged data packet");
        assertTrue(net.a.tunnel.lastHandshakeEpochNanos() > 0);
        assertTrue(net.b.tunnel.lastHandshakeEpochNanos() > 0);
        assertEquals(1, net.a.engine.events(Engine.Event.HANDSHAKES_COMPLETED));
        assertEquals(1, net.b.engine.events(Engine.Event.HANDSHAKES_COMPLETED));
    }

    @Test
    void shouldCarryDataBothWaysOnceEstablished() {
        TestNetwork net = established();
        assertEquals(Verdict.WRITE_TO_NETWORK, net.b.send(bytes("reply")), "responder sends at once");
        net.pump();
        assertArrayEquals(bytes("reply"), payloadOf(net.a.delivered.get(0)));
        for (int i = 0; i < 100; i++) {
            net.a.send(bytes("a" + i));
            net.b.send(bytes("b" + i));
        }
        net.pump();
        assertEquals(101, net.b.delivered.size());
        assertEquals(101, net.a.delivered.size());
        assertArrayEquals(bytes("b99"), payloadOf(net.a.delivered.get(100)));
        assertTrue(net.a.tunnel.txBytes() > 0 && net.a.tunnel.rxBytes() > 0);
        assertEquals(net.a.tunnel.txBytes(), net.b.tunnel.rxBytes(), "both count whole datagrams");
    }

    @Test
    void shouldHandshakeWhenResponderSpeaksFirst() {
        TestNetwork net = new TestNetwork();
        net.b.send(bytes("from b"));
        net.pump();
        assertArrayEquals(bytes("from b"), payloadOf(net.a.delivered.get(0)));
        assertTrue(net.b.tunnel.currentKeypair().isInitiator());
        assertFalse(net.a.tunnel.currentKeypair().isInitiator());
    }

    @Test
    void shouldPadTransportToSixteenBytes() {
        TestNetwork net = established();
        int before = net.log.size();
        net.a.send(new byte[1]);
        byte[] datagram = net.log.get(before).bytes();
        assertEquals(16 + 32 + 16, datagram.length, "21-byte packet padded to 32");
    }

    @Test
    void shouldWorkWithMatchingPresharedKey() {
        byte[] psk = new byte[32];
        Arrays.fill(psk, (byte) 7);
        TestNetwork net = new TestNetwork(psk, psk);
        net.a.send(bytes("psk"));
        net.pump();
        assertEquals(1, net.b.delivered.size());
    }

    @Test
    void shouldFailHandshakeWithMismatchedPresharedKey() {
        byte[] psk = new byte[32];
        Arrays.fill(psk, (byte) 7);
        TestNetwork net = new TestNetwork(psk, null);
        net.a.send(bytes("psk"));
        net.pump();
        assertEquals(0, net.b.delivered.size());
        assertNull(net.a.tunnel.currentKeypair());
        assertEquals(1, net.a.engine.drops(DropReason.HANDSHAKE_FAILED), "response does not authenticate");
    }

    @Test
    void shouldRekeyAfterRekeyAfterTime() {
        TestNetwork net = established();
        Keypair first = net.a.tunnel.currentKeypair();
        net.now += seconds(121);
        net.a.send(bytes("late"));
        net.pump();
        Keypair second = net.a.tunnel.currentKeypair();
        assertNotSame(first, second, "initiator re-keyed after 120 s");
        assertEquals(2, net.a.engine.events(Engine.Event.INITIATIONS_SENT));
        assertEquals(2, net.b.delivered.size(), "the late packet went out on the old keypair, then rekey");
        net.a.send(bytes("new"));
        net.pump();
        assertArrayEquals(bytes("new"), payloadOf(net.b.delivered.get(2)));
    }

    @Test
    void shouldNotUseKeypairPastRejectAfterTime() {
        TestNetwork net = established();
        net.dropAll = true;
        net.now += seconds(181);
        assertEquals(Verdict.DONE, net.a.send(bytes("stale")), "staged, not sent on an expired keypair");
        assertEquals(MessageType.INITIATION, MessageType.classify(ByteBuffer.wrap(net.log.get(net.log.size() - 1).bytes())));
        // A transport message sealed long ago is refused by the receiver once its keypair is too old.
        TestNetwork net2 = established();
        int mark = net2.log.size();
        net2.dropAll = true;
        net2.a.send(bytes("old"));
        byte[] old = net2.log.get(mark).bytes();
        net2.now += seconds(181);
        assertEquals(Verdict.DROP, net2.deliver(net2.b, old, net2.a.address));
        assertEquals(DropReason.KEYPAIR_EXPIRED, net2.b.received.dropReason());
    }

    @Test
    void shouldZeroKeysAfterThreeTimesRejectAfterTime() {
        TestNetwork net = established();
        assertNotNull(net.a.tunnel.currentKeypair());
        net.advance(seconds(539));
        assertNotNull(net.a.tunnel.currentKeypair(), "still there before 540 s");
        net.advance(seconds(2));
        assertNull(net.a.tunnel.currentKeypair());
        assertNull(net.b.tunnel.currentKeypair());
    }

    @Test
    void shouldDropReplayedAndBitFlippedTransport() {
        TestNetwork net = established();
        int mark = net.log.size();
        net.a.send(bytes("once"));
        byte[] datagram = net.log.get(mark).bytes();
        net.pump();
        assertEquals(Verdict.DROP, net.deliver(net.b, datagram, net.a.address));
        assertEquals(DropReason.REPLAYED_COUNTER, net.b.received.dropReason());
        for (int i = 16; i < datagram.length; i++) {
            byte[] flipped = datagram.clone();
            flipped[i] ^= 1;
            assertEquals(Verdict.DROP, net.deliver(net.b, flipped, net.a.address));
            assertEquals(DropReason.DECRYPTION_FAILED, net.b.received.dropReason());
        }
        byte[] counterFlipped = datagram.clone();
        counterFlipped[8] ^= 1;
        assertEquals(Verdict.DROP, net.deliver(net.b, counterFlipped, net.a.address));
        assertEquals(2, net.b.delivered.size());
    }

    @Test
    void shouldRejectReplayedInitiationTimestamp() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.a.send(bytes("x"));
        byte[] initiation = net.log.get(0).bytes();
        assertEquals(Verdict.WRITE_TO_NETWORK, net.deliver(net.b, initiation, net.a.address));
        net.now += seconds(1);
        assertEquals(Verdict.DROP, net.deliver(net.b, initiation, net.a.address));
        assertEquals(DropReason.REPLAYED_TIMESTAMP, net.b.received.dropReason());
    }

    @Test
    void shouldRejectInitiationFlood() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.a.send(bytes("x"));
        byte[] first = net.log.get(0).bytes();
        net.now += seconds(6);
        net.advance(0);
        byte[] second = net.log.get(net.log.size() - 1).bytes();
        assertEquals(MessageType.INITIATION, MessageType.classify(ByteBuffer.wrap(second)));
        assertEquals(Verdict.WRITE_TO_NETWORK, net.deliver(net.b, first, net.a.address));
        net.now += 10_000_000L; // 10 ms later: a newer timestamp, but too soon
        net.b.engine.drops(DropReason.INITIATION_FLOOD);
        // Timestamps are whitened to ~16.7 ms granularity: make sure the second is strictly newer.
        assertEquals(Verdict.DROP, net.deliver(net.b, second, net.a.address));
        assertEquals(DropReason.INITIATION_FLOOD, net.b.received.dropReason());
        net.now += 20_000_000L;
        assertEquals(Verdict.WRITE_TO_NETWORK, net.deliver(net.b, second, net.a.address));
    }

    @Test
    void shouldRetransmitInitiationAndGiveUpAfterNinetySeconds() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.a.send(bytes("lost"));
        assertEquals(1, net.a.tunnel.stagedPackets());
        net.run(seconds(110), seconds(0.5));
        long initiations = net.a.engine.events(Engine.Event.INITIATIONS_SENT);
        assertEquals(1 + 19, initiations, "first initiation and retries while attempts <= MAX_TIMER_HANDSHAKES");
        assertEquals(0, net.a.tunnel.stagedPackets(), "staged packets flushed on give-up");
        assertEquals(initiations, net.a.engine.events(Engine.Event.HANDSHAKE_TIMEOUTS),
                "every initiation timed out: 19 retries and the give-up");
        long after = net.a.engine.events(Engine.Event.INITIATIONS_SENT);
        net.run(seconds(60), seconds(1));
        assertEquals(after, net.a.engine.events(Engine.Event.INITIATIONS_SENT), "silent after giving up");
        assertEquals(initiations, net.a.engine.events(Engine.Event.HANDSHAKE_TIMEOUTS), "no timeouts without initiations");
    }

    @Test
    void shouldReportTheDurationOfHandshakesItInitiated() {
        TestNetwork net = new TestNetwork();
        List<Long> initiated = new ArrayList<>();
        List<Long> responded = new ArrayList<>();
        net.a.engine.setHandshakeObserver(initiated::add);
        net.b.engine.setHandshakeObserver(responded::add);
        net.a.send(bytes("hello"));
        net.now += 7_000_000L; // the initiation takes 7 ms to arrive and be answered
        net.pump();
        assertEquals(List.of(7_000_000L), initiated);
        assertEquals(List.of(), responded, "the responder times nothing");
        assertEquals(0, net.a.engine.events(Engine.Event.HANDSHAKE_TIMEOUTS));
    }

    @Test
    void shouldSendPassiveKeepaliveAfterReceivingData() {
        TestNetwork net = established();
        int mark = net.log.size();
        net.run(seconds(11), seconds(0.5));
        long keepalives = net.log.subList(mark, net.log.size()).stream()
                .filter(d -> d.from() == net.b && d.bytes().length == 32).count();
        assertEquals(1, keepalives, "b answers silence with one keepalive");
    }

    @Test
    void shouldSendPersistentKeepalives() {
        TestNetwork net = established();
        net.a.tunnel.setPersistentKeepalive(5);
        net.a.send(bytes("arm"));
        net.pump();
        int mark = net.log.size();
        net.run(seconds(26), seconds(0.5));
        long fromA = net.log.subList(mark, net.log.size()).stream()
                .filter(d -> d.from() == net.a && d.bytes().length == 32).count();
        assertTrue(fromA >= 4, "a keepalive every 5 s, got " + fromA);
    }

    @Test
    void shouldInitiateNewHandshakeWhenDataGoesUnanswered() {
        TestNetwork net = established();
        net.dropAll = true;
        long before = net.a.engine.events(Engine.Event.INITIATIONS_SENT);
        net.a.send(bytes("into the void"));
        net.run(seconds(16), seconds(0.5));
        assertTrue(net.a.engine.events(Engine.Event.INITIATIONS_SENT) > before, "new handshake after 15 s of silence");
        assertTrue(net.a.tunnel.takeSourceClearRequest(), "I/O layer told to forget the sticky source");
    }

    @Test
    void shouldAnswerWithCookieUnderLoadAndAcceptMac2() {
        TestNetwork net = new TestNetwork();
        net.b.underLoad = true;
        net.a.send(bytes("busy"));
        net.pump();
        assertEquals(1, net.b.engine.events(Engine.Event.COOKIES_SENT));
        assertEquals(1, net.a.engine.events(Engine.Event.COOKIES_RECEIVED));
        assertNull(net.a.tunnel.currentKeypair());
        assertNull(net.a.received.tunnel(), "a cookie reply authenticates nobody");
        net.run(seconds(6), seconds(0.5));
        assertNotNull(net.a.tunnel.currentKeypair(), "retry carried a valid mac2");
        assertEquals(1, net.b.delivered.size());
        assertEquals(1, net.b.engine.events(Engine.Event.COOKIES_SENT));
    }

    @Test
    void shouldRateLimitInitiationsUnderLoad() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.a.send(bytes("x"));
        byte[] initiation = net.log.get(0).bytes();
        net.b.underLoad = true;
        // Get a cookie, then replay MAC2-valid initiations far faster than 20/s.
        net.deliver(net.b, initiation, net.a.address);
        byte[] cookieReply = net.log.get(net.log.size() - 1).bytes();
        net.deliver(net.a, cookieReply, net.b.address);
        net.now += seconds(6);
        net.advance(0);
        byte[] withMac2 = net.log.get(net.log.size() - 1).bytes();
        int limited = 0;
        for (int i = 0; i < 20; i++) {
            if (net.deliver(net.b, withMac2, net.a.address) == Verdict.DROP
                    && net.b.received.dropReason() == DropReason.RATE_LIMITED) {
                limited++;
            }
        }
        assertTrue(limited >= 14, "burst of 5 then limited, got " + limited);
    }

    @Test
    void shouldDropInnerPacketWithDisallowedSource() {
        TestNetwork net = established();
        ByteBuffer spoofed = ByteBuffer.wrap(Packets.ipv4("10.9.9.9", "10.0.0.2", bytes("spoof")));
        ByteBuffer out = ByteBuffer.allocate(2048);
        assertEquals(Verdict.WRITE_TO_NETWORK, net.a.tunnel.encapsulate(spoofed, out));
        net.emit(net.a, out);
        net.pump();
        assertEquals(1, net.b.engine.drops(DropReason.SOURCE_NOT_ALLOWED));
        assertEquals(1, net.b.delivered.size());
    }

    @Test
    void shouldRoamOnlyOnAuthenticatedPackets() {
        TestNetwork net = established();
        InetSocketAddress roamed = new InetSocketAddress("127.0.0.2", 3333);
        int mark = net.log.size();
        net.dropAll = true;
        net.a.send(bytes("moving"));
        byte[] transport = net.log.get(mark).bytes();
        byte[] garbage = transport.clone();
        garbage[20] ^= 1;
        net.deliver(net.b, garbage, new InetSocketAddress("127.0.0.3", 4444));
        assertEquals(net.a.address, net.b.tunnel.endpoint(), "forged packet does not move the endpoint");
        net.deliver(net.b, transport, roamed);
        assertEquals(roamed, net.b.tunnel.endpoint());
    }

    @Test
    void shouldExpireSessionsWhenPrivateKeyChanges() {
        TestNetwork net = established();
        byte[] newKey = new byte[32];
        net.random.nextBytes(newKey);
        net.a.engine.setPrivateKey(newKey);
        assertFalse(net.a.tunnel.currentKeypair().canSend(net.now));
        assertEquals(HandshakeState.ZEROED, net.a.tunnel.handshake().state());
    }

    @Test
    void shouldRemovePeerWhoseKeyBecomesOurs() {
        TestNetwork net = new TestNetwork();
        net.a.engine.setPrivateKey(net.b.privateKey);
        assertNull(net.a.engine.peer(net.b.publicKey));
        assertNull(net.a.engine.addPeer(net.b.publicKey), "own public key is not a peer");
    }

    @Test
    void shouldConfirmResponderKeypairOnlyOnFirstData() {
        TestNetwork net = new TestNetwork();
        net.a.send(bytes("x"));
        // Deliver initiation and response only.
        net.pump();
        assertSame(net.b.tunnel.currentKeypair(), net.b.tunnel.keypairs.current());
        assertNull(net.b.tunnel.keypairs.next(), "next became current after the data packet");
    }

    @Test
    void shouldRekeyOnReceiveWhenInitiatorKeypairReaches165Seconds() {
        TestNetwork net = established();
        net.run(seconds(164), seconds(1));
        long before = net.a.engine.events(Engine.Event.INITIATIONS_SENT);
        net.b.send(bytes("at 164 s"));
        net.pump();
        assertEquals(before, net.a.engine.events(Engine.Event.INITIATIONS_SENT), "not yet");
        net.run(seconds(2), seconds(1));
        net.dropAll = true;
        net.b.send(bytes("at 166 s"));
        net.b.send(bytes("again"));
        net.dropAll = false;
        for (TestNetwork.Datagram d : new java.util.ArrayList<>(net.log.subList(net.log.size() - 2, net.log.size()))) {
            net.deliver(net.a, d.bytes(), net.b.address);
        }
        assertEquals(before + 1, net.a.engine.events(Engine.Event.INITIATIONS_SENT), "one last-minute handshake");
    }

    @Test
    void shouldSendAtMostOneInitiationPerRekeyTimeout() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        for (int i = 0; i < 50; i++) {
            net.a.send(bytes("p" + i));
            net.now += 50_000_000L;
        }
        assertEquals(1, net.a.engine.events(Engine.Event.INITIATIONS_SENT), "2.5 s of packets, one initiation");
        assertEquals(50, net.a.tunnel.stagedPackets());
        net.a.tunnel.requestHandshake();
        net.advance(0);
        assertEquals(1, net.a.engine.events(Engine.Event.INITIATIONS_SENT));
    }

    @Test
    void shouldKeepOnlyTheNewest128StagedPackets() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        for (int i = 0; i < 130; i++) {
            net.a.send(bytes("p" + i));
        }
        assertEquals(128, net.a.tunnel.stagedPackets());
        assertEquals(2, net.a.engine.drops(DropReason.STAGED_QUEUE_FULL));
        net.dropAll = false;
        net.inFlight.add(new TestNetwork.Datagram(net.a, net.b, net.log.get(0).bytes()));
        net.pump();
        assertEquals(128, net.b.delivered.size());
        assertArrayEquals(bytes("p2"), payloadOf(net.b.delivered.get(0)), "oldest two gave way");
    }

    @Test
    void shouldTellNoRouteFromNotAnIpPacket() {
        TestNetwork net = new TestNetwork();
        ByteBuffer out = ByteBuffer.allocate(2048);
        ByteBuffer elsewhere = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "192.0.2.1", bytes("x")));
        assertEquals(Verdict.DROP, net.a.engine.encapsulate(elsewhere, out, net.a.received));
        assertEquals(DropReason.NO_ROUTE, net.a.received.dropReason());
        for (byte[] junk : new byte[][] {{}, {0x45, 0}, {0x10, 1, 2, 3}, new byte[39]}) {
            assertEquals(Verdict.DROP, net.a.engine.encapsulate(ByteBuffer.wrap(junk), out, net.a.received));
            assertEquals(DropReason.INVALID_OUTBOUND_PACKET, net.a.received.dropReason());
        }
        assertEquals(0, net.log.size(), "nothing sent, no handshake started");
    }

    @Test
    void shouldKeepSessionsWhenTheSameKeyIsSetAgainUnclamped() {
        TestNetwork net = established();
        byte[] unclamped = net.a.privateKey.clone();
        unclamped[0] |= 7;
        unclamped[31] |= (byte) 0x80;
        net.a.engine.setPrivateKey(unclamped);
        assertTrue(net.a.tunnel.currentKeypair().canSend(net.now), "same key after clamping: nothing changes");
        assertArrayEquals(net.a.privateKey, net.a.engine.privateKey());
    }

    @Test
    void shouldSendKeepaliveAtOnceWhenPersistentKeepaliveIsTurnedOn() {
        TestNetwork net = new TestNetwork();
        net.a.tunnel.setPersistentKeepalive(25);
        net.advance(0);
        assertEquals(1, net.a.engine.events(Engine.Event.INITIATIONS_SENT), "no session yet: the keepalive asks for one");
        net.pump();
        assertNotNull(net.b.tunnel.currentKeypair(), "the keepalive confirmed the session");
        int mark = net.log.size();
        net.a.tunnel.setPersistentKeepalive(30);
        net.advance(0);
        assertEquals(mark, net.log.size(), "changing a non-zero interval sends nothing");
    }

    @Test
    void shouldStopOnInterfaceDownAndRestartOnUp() {
        TestNetwork net = established();
        net.a.tunnel.setPersistentKeepalive(25);
        net.pump();
        net.a.engine.down();
        assertNull(net.a.tunnel.currentKeypair(), "keys erased on down");
        assertFalse(net.a.tunnel.isRunning());
        int mark = net.log.size();
        net.a.send(bytes("while down"));
        net.run(seconds(30), seconds(1));
        assertEquals(0, net.log.subList(mark, net.log.size()).stream().filter(d -> d.from() == net.a).count(),
                "a down interface sends nothing");
        int deliveredToA = net.a.delivered.size();
        net.b.send(bytes("to a down peer"));
        net.pump();
        assertEquals(deliveredToA, net.a.delivered.size());
        assertTrue(net.a.engine.drops(DropReason.UNKNOWN_INDEX) > 0, "its keys, and so its indices, are gone");
        net.a.engine.up();
        assertTrue(net.a.tunnel.isRunning());
        net.advance(0);
        net.pump();
        assertNotNull(net.a.tunnel.currentKeypair(), "persistent keepalive re-established the session on up");
    }

    @Test
    void shouldIgnoreARemovedPeerAndLeakNoIndex() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.a.send(bytes("x"));
        byte[] initiation = net.log.get(0).bytes();
        net.b.engine.removePeer(net.b.tunnel);
        net.b.tunnel = net.b.engine.addPeer(net.a.publicKey);
        net.b.engine.removePeer(net.b.tunnel);
        assertEquals(Verdict.DROP, net.deliver(net.b, initiation, net.a.address));
        assertEquals(DropReason.UNKNOWN_PEER, net.b.received.dropReason());

        TestNetwork live = established();
        Tunnel removed = live.b.tunnel;
        int mark = live.log.size();
        live.dropAll = true;
        live.a.send(bytes("late"));
        byte[] transport = live.log.get(mark).bytes();
        live.b.engine.removePeer(removed);
        assertEquals(Verdict.DROP, live.deliver(live.b, transport, live.a.address));
        assertFalse(removed.isRunning());
        live.b.engine.up();
        assertFalse(removed.isRunning(), "a removed peer never starts again");
    }

    @Test
    void shouldNotCountBytesSentToNowhere() {
        TestNetwork net = new TestNetwork();
        net.a.tunnel.setEndpoint(null);
        net.a.send(bytes("no endpoint"));
        assertEquals(1, net.a.engine.events(Engine.Event.INITIATIONS_SENT), "timers still run");
        assertEquals(0, net.a.tunnel.txBytes(), "wireguard-go counts only what it sent");
    }

    @Test
    void shouldDropPacketsTooBigForTheOutputBuffer() {
        TestNetwork net = established();
        ByteBuffer small = ByteBuffer.allocate(64);
        ByteBuffer packet = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "10.0.0.2", new byte[100]));
        assertEquals(Verdict.DROP, net.a.engine.encapsulate(packet, small, net.a.received));
        assertEquals(1, net.a.engine.drops(DropReason.INVALID_OUTBOUND_PACKET));
        ByteBuffer huge = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "10.0.0.2", new byte[65_535 - 32 - 20 + 1]));
        assertEquals(Verdict.DROP, net.a.engine.encapsulate(huge, ByteBuffer.allocate(70_000), net.a.received));
        assertEquals(2, net.a.engine.drops(DropReason.INVALID_OUTBOUND_PACKET));
    }

    @Test
    void shouldNotStartAnotherHandshakeForPacketsStagedJustBeforeTheResponse() {
        TestNetwork net = new TestNetwork();
        net.dropAll = true;
        net.a.send(bytes("first"));
        byte[] initiation = net.log.get(0).bytes();
        net.deliver(net.b, initiation, net.a.address);
        byte[] response = net.log.get(net.log.size() - 1).bytes();
        net.now += seconds(6); // past REKEY_TIMEOUT: a new initiation would be allowed
        ByteBuffer packet = ByteBuffer.wrap(Packets.ipv4("10.0.0.1", "10.0.0.2", bytes("second")));
        assertEquals(Verdict.DONE, net.a.tunnel.encapsulate(packet, ByteBuffer.allocate(2048)), "staged, not polled yet");
        net.dropAll = false;
        net.deliver(net.a, response, net.b.address);
        net.pump();
        assertEquals(1, net.a.engine.events(Engine.Event.INITIATIONS_SENT), "the response made the request void");
        assertEquals(2, net.b.delivered.size());
    }
}
