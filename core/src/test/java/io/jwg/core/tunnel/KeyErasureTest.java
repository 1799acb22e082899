package io.jwg.core.tunnel;

import static io.jwg.core.tunnel.TestNetwork.seconds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.crypto.ChaChaKey;
import io.jwg.core.crypto.X25519;
import io.jwg.core.noise.Keypair;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Secrets are overwritten with zeros in jwg's own arrays when they are replaced or dropped: the
 * static private key, pre-shared keys, transport keys of keypairs that leave a peer's slots, and
 * the handshake's ephemeral and chaining state once a session is derived. Each test keeps a
 * reference to the internal array (package access, or reflection into other packages) and looks
 * at it after the event. The copy a cipher takes per call is out of reach (see {@link ChaChaKey}).
 */
class KeyErasureTest {
    private static TestNetwork established() {
        TestNetwork net = new TestNetwork();
        net.a.send(new byte[] {1});
        net.pump();
        return net;
    }

    private static byte[] field(Object owner, String name) {
        try {
            Field field = owner.getClass().getDeclaredField(name);
            field.setAccessible(true);
            return (byte[]) field.get(owner);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] sendKey(Keypair keypair) {
        return field(keypair.sendKey().jdk(), "key");
    }

    /** Both forms of both keys: the raw bytes (native AEAD) and the JDK cipher's key object. */
    private static List<byte[]> keyBytes(Keypair keypair) {
        return List.of(keypair.sendKey().raw(), field(keypair.sendKey().jdk(), "key"),
                keypair.receiveKey().raw(), field(keypair.receiveKey().jdk(), "key"));
    }

    private static void assertErased(byte[] secret, String what) {
        assertTrue(X25519.isZero(secret), what + " still holds " + java.util.HexFormat.of().formatHex(secret));
    }

    private static void assertErased(Keypair keypair, String what) {
        for (byte[] key : keyBytes(keypair)) {
            assertErased(key, what);
        }
        assertTrue(keypair.sendKey().isDestroyed() && keypair.receiveKey().isDestroyed(), what);
    }

    @Test
    void shouldEraseTheOldPrivateKeyWhenReplacedOrCleared() {
        TestNetwork net = new TestNetwork();
        byte[] first = net.a.engine.privateKeyRaw();
        assertFalse(X25519.isZero(first));
        byte[] next = new byte[32];
        X25519.generatePrivateKey(net.random, next);
        net.a.engine.setPrivateKey(next);
        assertErased(first, "the replaced private key");
        byte[] second = net.a.engine.privateKeyRaw();
        assertNotSame(next, second, "the engine keeps its own copy");
        assertArrayEquals(next, second);
        net.a.engine.setPrivateKey(null);
        assertErased(second, "the cleared private key");
        assertNull(net.a.engine.privateKeyRaw());
    }

    @Test
    void shouldOverwriteThePresharedKeyWhenReplacedAndEraseItWithThePeer() {
        TestNetwork net = new TestNetwork();
        byte[] psk = new byte[32];
        Arrays.fill(psk, (byte) 0x11);
        net.a.tunnel.setPresharedKey(psk);
        byte[] internal = field(net.a.tunnel.handshake, "presharedKey");
        byte[] staticStatic = field(net.a.tunnel.handshake, "precomputedStaticStatic");
        assertArrayEquals(psk, internal);
        byte[] replacement = new byte[32];
        Arrays.fill(replacement, (byte) 0x22);
        net.a.tunnel.setPresharedKey(replacement);
        assertArrayEquals(replacement, internal, "the old pre-shared key is overwritten in place");
        assertFalse(X25519.isZero(staticStatic));
        net.a.engine.removePeer(net.a.tunnel);
        assertErased(internal, "the removed peer's pre-shared key");
        assertErased(staticStatic, "the removed peer's static-static secret");
    }

    @Test
    void shouldEraseHandshakeStateOnceTheSessionIsDerived() {
        TestNetwork net = established();
        for (TestNetwork.Side side : List.of(net.a, net.b)) {
            for (String name : List.of("hash", "chainKey", "localEphemeral", "remoteEphemeral")) {
                assertErased(field(side.tunnel.handshake, name), side.name + "'s handshake " + name);
            }
            Workspace ws = side.engine.workspace();
            for (String name : List.of("key", "tau", "dh", "pendingChainKey")) {
                assertErased(field(ws.noise, name), side.name + "'s Noise scratch " + name);
            }
            assertErased(ws.sendKey, side.name + "'s workspace send key");
            assertErased(ws.receiveKey, side.name + "'s workspace receive key");
        }
    }

    @Test
    void shouldEraseTransportKeysOfKeypairsThatLeaveTheSlots() {
        TestNetwork net = established();
        Keypair first = net.a.tunnel.currentKeypair();
        Keypair firstAtB = net.b.tunnel.currentKeypair();
        byte[] firstSend = sendKey(first);
        assertFalse(X25519.isZero(firstSend));
        for (int rekey = 0; rekey < 2; rekey++) { // the first keypair becomes previous, then is dropped
            net.now += seconds(121);
            net.a.send(new byte[] {2});
            net.pump();
            net.b.send(new byte[] {3});
            net.pump();
        }
        assertErased(first, "A's first keypair after two rekeys");
        assertErased(firstAtB, "B's first keypair after two rekeys");
        assertFalse(net.a.tunnel.currentKeypair().sendKey().isDestroyed());
        int delivered = net.b.delivered.size();
        net.a.send(new byte[] {4});
        net.pump();
        assertEquals(delivered + 1, net.b.delivered.size(), "the current session still works");
    }

    @Test
    void shouldEraseEveryKeypairAfterThreeTimesRejectAfterTime() {
        TestNetwork net = established();
        Keypair a = net.a.tunnel.currentKeypair();
        Keypair b = net.b.tunnel.currentKeypair();
        net.advance(seconds(541));
        assertNull(net.a.tunnel.currentKeypair());
        assertErased(a, "A's expired keypair");
        assertErased(b, "B's expired keypair");
    }

    @Test
    void shouldEraseKeypairsOnInterfaceDownAndOnPeerRemoval() {
        TestNetwork net = established();
        Keypair a = net.a.tunnel.currentKeypair();
        net.a.engine.down();
        assertErased(a, "A's keypair after interface down");
        Keypair b = net.b.tunnel.currentKeypair();
        net.b.engine.removePeer(net.b.tunnel);
        assertErased(b, "B's keypair after removing the peer");
    }
}
