package io.jwg.daemon;

import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.tun.InMemoryTun;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * Two complete devices in one JVM, each other's only peer: in-memory TUNs, real UDP sockets on
 * loopback, keys and allowed IPs set through the same engine calls the UAPI makes. A knows B's
 * endpoint (B learns A's from the handshake). Inner addresses {@value #INNER_A} and
 * {@value #INNER_B}. No root needed.
 */
public final class DevicePair implements AutoCloseable {
    public static final String INNER_A = "10.9.0.1";
    public static final String INNER_B = "10.9.0.2";
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);

    public final InMemoryTun tunA;
    public final InMemoryTun tunB;
    public final Device a;
    public final Device b;
    /** A's peer B. */
    public final Tunnel toB;
    /** B's peer A. */
    public final Tunnel toA;

    /** Starts both devices (TUNs named {@code nameA}, {@code nameB}) and configures them. */
    public DevicePair(Log log, String nameA, String nameB) throws Exception {
        tunA = new InMemoryTun(nameA);
        tunB = new InMemoryTun(nameB);
        a = new Device(tunA, log);
        b = new Device(tunB, log);
        try {
            a.start();
            b.start();
            SecureRandom random = new SecureRandom();
            byte[] key = new byte[32];
            X25519.generatePrivateKey(random, key);
            a.engine().setPrivateKey(key);
            X25519.generatePrivateKey(random, key);
            b.engine().setPrivateKey(key);
            a.setListenPort(0);
            b.setListenPort(0);
            long deadline = System.nanoTime() + BIND_TIMEOUT.toNanos();
            while (a.listenPort() == 0 || b.listenPort() == 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the devices did not bind within " + BIND_TIMEOUT);
                }
                Thread.sleep(10);
            }
            toB = a.engine().addPeer(b.engine().publicKey());
            toA = b.engine().addPeer(a.engine().publicKey());
            a.engine().allowedIps().insert(IpPrefix.parse(INNER_B + "/32"), toB);
            b.engine().allowedIps().insert(IpPrefix.parse(INNER_A + "/32"), toA);
            toB.setEndpoint(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.listenPort()));
            a.peerChanged(toB);
            b.peerChanged(toA);
        } catch (Exception | AssertionError e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        a.close();
        b.close();
    }
}
