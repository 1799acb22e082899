package io.jwg.daemon.metrics;

import io.jwg.daemon.DeviceStats;
import io.jwg.daemon.LatencyRecorder;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.List;

/**
 * The duration histograms, as classic Prometheus histograms built at scrape time from the
 * device's {@link LatencyRecorder}s (which the handshake thread and the data path fill without
 * locks): handshakes this side initiated, and the sampled time packets spend in jwg.
 */
final class LatencyCollector implements MultiCollector {
    static final String HANDSHAKE = "jwg_handshake_duration_seconds";
    static final String PACKET = "jwg_packet_latency_seconds";

    /** Initiation sent to response consumed: a network round trip plus the peer's work. */
    static final double[] HANDSHAKE_BUCKETS = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
    /** TUN read to UDP send, or UDP receive to TUN write: microseconds unless queues back up. */
    static final double[] PACKET_BUCKETS = {
        0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1};

    private static final long[] HANDSHAKE_NANOS = nanos(HANDSHAKE_BUCKETS);
    private static final long[] PACKET_NANOS = nanos(PACKET_BUCKETS);

    private final DeviceStats stats;

    LatencyCollector(DeviceStats stats) {
        this.stats = stats;
    }

    @Override
    public MetricSnapshots collect() {
        Labels device = Labels.of("interface", stats.interfaceName());
        HistogramSnapshot handshakes = HistogramSnapshot.builder().name(HANDSHAKE)
                .help("Duration of handshakes this side initiated, from sending the initiation to consuming the response")
                .dataPoint(point(device, stats.handshakeDurations(), HANDSHAKE_BUCKETS, HANDSHAKE_NANOS))
                .build();
        HistogramSnapshot packets = HistogramSnapshot.builder().name(PACKET)
                .help("Time a packet spends in jwg, sampled 1 in 64: outbound from TUN read to UDP send, "
                        + "inbound from UDP receive to TUN write")
                .dataPoint(point(device.add("direction", "outbound"), stats.outboundLatency(), PACKET_BUCKETS, PACKET_NANOS))
                .dataPoint(point(device.add("direction", "inbound"), stats.inboundLatency(), PACKET_BUCKETS, PACKET_NANOS))
                .build();
        return MetricSnapshots.of(handshakes, packets);
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(HANDSHAKE, PACKET);
    }

    private static HistogramDataPointSnapshot point(Labels labels, LatencyRecorder recorder, double[] bounds,
            long[] boundNanos) {
        LatencyRecorder.Snapshot snapshot = recorder.snapshot(boundNanos);
        ClassicHistogramBuckets.Builder buckets = ClassicHistogramBuckets.builder();
        long previous = 0;
        for (int i = 0; i < bounds.length; i++) {
            long cumulative = snapshot.cumulativeCounts()[i];
            buckets.bucket(bounds[i], cumulative - previous);
            previous = cumulative;
        }
        buckets.bucket(Double.POSITIVE_INFINITY, snapshot.count() - previous);
        return HistogramDataPointSnapshot.builder().labels(labels).classicHistogramBuckets(buckets.build())
                .sum(snapshot.sumNanos() / 1e9).build();
    }

    private static long[] nanos(double[] seconds) {
        long[] nanos = new long[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            nanos[i] = Math.round(seconds[i] * 1e9);
        }
        return nanos;
    }
}
