package io.jwg.benchmarks.e2e;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Round-trip latency through a tunnel for the end-to-end harness ({@code benchmarks/e2e.py}):
 * a UDP echo server on one side, a client on the other that sends one small datagram at a time
 * at a fixed interval and records each round trip in an HdrHistogram (1 µs to 10 s, 3 digits).
 *
 * <pre>
 *   RttProbe server PORT                           echo until killed
 *   RttProbe client HOST PORT COUNT INTERVAL_US    print one JSON line of percentiles (µs)
 * </pre>
 *
 * The first 10% of the probes warm the path (and this JVM) up and are not recorded. A probe
 * without an answer within 1 s counts as lost; stale answers (a late reply to an earlier probe)
 * are recognised by their sequence number and skipped.
 */
public final class RttProbe {
    private static final int SIZE = 64;
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private RttProbe() {
    }

    public static void main(String[] args) throws IOException {
        try {
            if (args.length == 2 && args[0].equals("server")) {
                server(Integer.parseInt(args[1]));
                return;
            }
            if (args.length == 5 && args[0].equals("client")) {
                client(new InetSocketAddress(args[1], Integer.parseInt(args[2])), Integer.parseInt(args[3]), Long.parseLong(args[4]));
                return;
            }
        } catch (NumberFormatException e) {
            System.err.println("RttProbe: not a number: " + e.getMessage());
            System.exit(1);
        }
        System.err.println("usage: RttProbe server PORT | client HOST PORT COUNT INTERVAL_US");
        System.exit(1);
    }

    private static void server(int port) throws IOException {
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.bind(new InetSocketAddress(port));
            ByteBuffer buf = ByteBuffer.allocateDirect(2048);
            while (true) {
                buf.clear();
                var from = channel.receive(buf);
                buf.flip();
                channel.send(buf, from);
            }
        }
    }

    private static void client(InetSocketAddress target, int count, long intervalMicros) throws IOException {
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        int warmUp = count / 10;
        int lost = 0;
        byte[] out = new byte[SIZE];
        DatagramPacket request = new DatagramPacket(out, SIZE);
        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.connect(target);
            long next = System.nanoTime();
            for (int seq = 0; seq < count + warmUp; seq++) {
                long now = System.nanoTime();
                if (next - now > 0) {
                    TimeUnit.NANOSECONDS.sleep(next - now);
                }
                // After a lost probe (a 1 s wait) keep the rate: skip the missed slots rather
                // than send them back to back.
                next = Math.max(next, now) + TimeUnit.MICROSECONDS.toNanos(intervalMicros);
                ByteBuffer.wrap(out).putInt(0, seq);
                long sent = System.nanoTime();
                socket.send(request);
                long rtt = await(socket, reply, seq, sent);
                if (seq < warmUp) {
                    continue;
                }
                if (rtt < 0) {
                    lost++;
                } else {
                    histogram.recordValue(Math.min(rtt, histogram.getHighestTrackableValue()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        System.out.println(String.format(Locale.ROOT,
                "{\"count\": %d, \"lost\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"max_us\": %.1f, \"mean_us\": %.1f}",
                histogram.getTotalCount(), lost,
                histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(99) / 1e3,
                histogram.getValueAtPercentile(99.9) / 1e3, histogram.getMaxValue() / 1e3, histogram.getMean() / 1e3));
    }

    /** The round trip of probe {@code seq} in ns, or -1 when it did not come back within 1 s. */
    private static long await(DatagramSocket socket, DatagramPacket reply, int seq, long sent) throws IOException {
        while (true) {
            long left = TIMEOUT_NANOS - (System.nanoTime() - sent);
            if (left <= 0) {
                return -1;
            }
            socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            try {
                socket.receive(reply);
            } catch (SocketTimeoutException e) {
                return -1;
            }
            if (reply.getLength() >= 4 && ByteBuffer.wrap(reply.getData()).getInt(0) == seq) {
                return System.nanoTime() - sent;
            }
        }
    }
}
