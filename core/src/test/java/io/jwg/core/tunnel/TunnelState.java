package io.jwg.core.tunnel;

import io.jwg.core.noise.HandshakeState;
import io.jwg.core.noise.Keypair;
import io.jwg.core.replay.ReplayWindow;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Everything a received datagram could change in a {@link Tunnel} and its engine: endpoint,
 * byte counters, last handshake, the three keypairs with their send counters and replay windows,
 * the handshake in flight, staged packets, timers and live indices. Two snapshots are equal when
 * nothing observable changed, so "a forgery changes nothing" is one {@code assertEquals}.
 */
record TunnelState(InetSocketAddress endpoint, long rxBytes, long txBytes, long lastHandshakeEpochNanos,
        KeypairState previous, KeypairState current, KeypairState next, HandshakeState handshakeState,
        int handshakeLocalIndex, int handshakeRemoteIndex, int stagedPackets, long nextDeadline,
        boolean pendingOutput, int liveIndices, boolean running) {

    /** One keypair by identity, with its send counter and a digest of its replay window. */
    record KeypairState(int identity, int localIndex, long sendCounter, long replayHighest, int replayRing) {
        static KeypairState of(Keypair keypair) {
            if (keypair == null) {
                return null;
            }
            ReplayWindow window = keypair.replayWindow;
            return new KeypairState(System.identityHashCode(keypair), keypair.localIndex(), keypair.sendCounter(),
                    readLong(window, HIGHEST), Arrays.hashCode((long[]) read(window, RING)));
        }
    }

    private static final Field HIGHEST = field("highest");
    private static final Field RING = field("ring");

    static TunnelState of(Tunnel tunnel, Engine engine) {
        synchronized (tunnel) {
            return new TunnelState(tunnel.endpoint(), tunnel.rxBytes(), tunnel.txBytes(),
                    tunnel.lastHandshakeEpochNanos(), KeypairState.of(tunnel.keypairs.previous()),
                    KeypairState.of(tunnel.keypairs.current()), KeypairState.of(tunnel.keypairs.next()),
                    tunnel.handshake.state(), tunnel.handshake.localIndex(), tunnel.handshake.remoteIndex(),
                    tunnel.stagedPackets(), tunnel.nextDeadline(), tunnel.hasPendingOutput(),
                    engine.indexTable().size(), tunnel.isRunning());
        }
    }

    private static Field field(String name) {
        try {
            Field field = ReplayWindow.class.getDeclaredField(name);
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object read(ReplayWindow window, Field field) {
        try {
            return field.get(window);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long readLong(ReplayWindow window, Field field) {
        return (Long) read(window, field);
    }
}
