package io.jwg.daemon;

import io.jwg.core.crypto.X25519;
import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Received;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.core.tunnel.Verdict;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.SystemEpochNanoClock;

/**
 * {@code jwg demo} until the data-plane daemon exists: two protocol engines, each behind its own
 * real UDP socket on loopback, perform a Noise handshake, exchange echo traffic and a bulk
 * transfer, and print a summary. Everything a daemon adds (TUN devices, namespaces, the UAPI
 * socket) is left out; the packets on the wire are genuine WireGuard messages.
 */
final class Demo {
    private static final int ECHOES = 2_000;
    private static final int BULK_PACKETS = 100_000;
    private static final int PACKET_SIZE = 1_400;

    /** One side: an engine, its socket and its reusable buffers. */
    private static final class Side implements AutoCloseable {
        final String inner;
        final byte[] innerAddress;
        final Engine engine = new Engine(System::nanoTime, new SystemEpochNanoClock(), new SecureRandom());
        final byte[] privateKey = new byte[32];
        final byte[] publicKey = new byte[32];
        final DatagramChannel channel;
        final ByteBuffer out = ByteBuffer.allocateDirect(65_536);
        final ByteBuffer in = ByteBuffer.allocateDirect(65_536);
        final Received received = new Received();
        Tunnel tunnel;
        InetSocketAddress peerAddress;
        long delivered;

        Side(String inner, SecureRandom random) throws IOException {
            this.inner = inner;
            this.innerAddress = IpPrefix.parse(inner + "/32").address().getAddress();
            X25519.generatePrivateKey(random, privateKey);
            X25519.publicKey(privateKey, publicKey);
            engine.setPrivateKey(privateKey);
            channel = DatagramChannel.open();
            channel.setOption(StandardSocketOptions.SO_RCVBUF, 8 << 20);
            channel.bind(new InetSocketAddress("127.0.0.1", 0));
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) channel.getLocalAddress();
        }

        void send(ByteBuffer packet) throws IOException {
            if (engine.encapsulate(packet, out, received) == Verdict.WRITE_TO_NETWORK) {
                channel.send(out, peerAddress);
            }
            flush();
        }

        void flush() throws IOException {
            while (tunnel.poll(out) == Verdict.WRITE_TO_NETWORK) {
                channel.send(out, peerAddress);
            }
        }

        /** Receives and processes one datagram; returns the verdict (DONE when nothing arrived). */
        Verdict receive(boolean blocking) throws IOException {
            channel.configureBlocking(blocking);
            in.clear();
            SocketAddress source = channel.receive(in);
            if (source == null) {
                return Verdict.DONE;
            }
            in.flip();
            Verdict verdict = engine.decapsulate(in, (InetSocketAddress) source, false, out, received);
            if (verdict == Verdict.WRITE_TO_NETWORK) {
                channel.send(out, source);
            } else if (verdict == Verdict.WRITE_TO_TUNNEL) {
                delivered++;
            }
            flush();
            return verdict;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private Demo() {
    }

    static int run(PrintStream out, PrintStream err) {
        SecureRandom random = new SecureRandom();
        try (Side a = new Side("10.77.0.1", random); Side b = new Side("10.77.0.2", random)) {
            connect(a, b);
            connect(b, a);
            out.println("jwg demo: two WireGuard engines over real UDP sockets on loopback");
            out.println("  a: " + Base64.getEncoder().encodeToString(a.publicKey) + " at " + a.address() + ", inner " + a.inner);
            out.println("  b: " + Base64.getEncoder().encodeToString(b.publicKey) + " at " + b.address() + ", inner " + b.inner);

            ByteBuffer packet = ByteBuffer.allocateDirect(PACKET_SIZE);
            long start = System.nanoTime();
            ipv4(packet, a.innerAddress, b.innerAddress, 64);
            a.send(packet);
            while (b.delivered == 0) {
                pumpOnce(a, b);
            }
            long handshakeNanos = System.nanoTime() - start;

            Histogram rtt = new Histogram(3_600_000_000L, 3);
            for (int i = 0; i < ECHOES; i++) {
                long t0 = System.nanoTime();
                ipv4(packet, a.innerAddress, b.innerAddress, 64);
                a.send(packet);
                long before = b.delivered;
                while (b.delivered == before) {
                    b.receive(true);
                }
                ipv4(packet, b.innerAddress, a.innerAddress, 64);
                b.send(packet);
                long back = a.delivered;
                while (a.delivered == back) {
                    a.receive(true);
                }
                rtt.recordValue((System.nanoTime() - t0) / 1_000);
            }

            long firstBulk = b.delivered;
            long target = firstBulk + BULK_PACKETS;
            long[] lastDelivery = new long[1];
            AtomicBoolean senderDone = new AtomicBoolean();
            Thread receiver = Thread.ofPlatform().start(() -> {
                try {
                    long idleSince = System.nanoTime();
                    while (b.delivered < target) {
                        long before = b.delivered;
                        b.receive(false);
                        long now = System.nanoTime();
                        if (b.delivered != before) {
                            lastDelivery[0] = now;
                            idleSince = now;
                        } else if (senderDone.get() && now - idleSince > 300_000_000L) {
                            break; // the rest was lost in the socket buffers
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            long bulkStart = System.nanoTime();
            for (int i = 0; i < BULK_PACKETS; i++) {
                ipv4(packet, a.innerAddress, b.innerAddress, PACKET_SIZE);
                a.send(packet);
            }
            senderDone.set(true);
            receiver.join();
            double seconds = Math.max(1, lastDelivery[0] - bulkStart) / 1e9;
            long bulkDelivered = b.delivered - firstBulk;

            out.println();
            out.printf("  handshake + first packet : %.2f ms%n", handshakeNanos / 1e6);
            out.printf("  echo round trips         : %d, p50 %d us, p99 %d us, p99.9 %d us%n", ECHOES,
                    rtt.getValueAtPercentile(50), rtt.getValueAtPercentile(99), rtt.getValueAtPercentile(99.9));
            out.printf("  bulk a -> b              : %d of %d packets of %d B delivered, %.0f Mbit/s (one thread each side)%n",
                    bulkDelivered, BULK_PACKETS, PACKET_SIZE, bulkDelivered * PACKET_SIZE * 8 / seconds / 1e6);
            out.printf("  a sent %d B, received %d B; b sent %d B, received %d B%n",
                    a.tunnel.txBytes(), a.tunnel.rxBytes(), b.tunnel.txBytes(), b.tunnel.rxBytes());
            out.println();
            out.println("The full demo (two jwg daemons with TUN devices in two network namespaces) arrives with");
            out.println("the data-plane daemon; this one exercises the same protocol engine over real sockets.");
            return bulkDelivered > 0 ? 0 : 1;
        } catch (IOException e) {
            err.println("jwg demo: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("jwg demo: interrupted");
            return 1;
        }
    }

    private static void connect(Side self, Side other) throws IOException {
        self.tunnel = self.engine.addPeer(other.publicKey);
        self.peerAddress = other.address();
        self.tunnel.setEndpoint(self.peerAddress);
        self.engine.allowedIps().insert(IpPrefix.parse(other.inner + "/32"), self.tunnel);
    }

    private static void pumpOnce(Side a, Side b) throws IOException {
        a.receive(false);
        b.receive(false);
    }

    /** Writes a minimal IPv4 header (protocol 253, for experiments) into {@code packet}. */
    private static void ipv4(ByteBuffer packet, byte[] source, byte[] destination, int length) {
        packet.clear();
        packet.put(0, (byte) 0x45);
        packet.putShort(2, (short) length);
        packet.put(8, (byte) 64);
        packet.put(9, (byte) 253);
        packet.put(12, source);
        packet.put(16, destination);
        packet.limit(length);
    }
}
