package io.jwg.daemon.metrics;

import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.daemon.DeviceStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The per-peer families of the widely used WireGuard exporter (MindFlavor's
 * prometheus_wireguard_exporter), with its names, types and labels, so that its dashboards work
 * unchanged: bytes sent and received and the latest handshake of each peer, labelled
 * {@code interface}, {@code public_key} (base64) and {@code allowed_ips} (comma-joined, in
 * {@code wg show} order, {@code (none)} when empty). Values are read from the engine at scrape
 * time; they equal what {@code wg show IF dump} prints at the same moment.
 */
final class PeerCollector implements MultiCollector {
    static final String SENT = "wireguard_sent_bytes";
    static final String RECEIVED = "wireguard_received_bytes";
    static final String LATEST_HANDSHAKE = "wireguard_latest_handshake_seconds";

    private final DeviceStats stats;

    PeerCollector(DeviceStats stats) {
        this.stats = stats;
    }

    @Override
    public MetricSnapshots collect() {
        Engine engine = stats.engine();
        String ifname = stats.interfaceName();
        CounterSnapshot.Builder sent = CounterSnapshot.builder().name(SENT)
                .help("Bytes of WireGuard datagrams sent to the peer (wg show: transfer sent)");
        CounterSnapshot.Builder received = CounterSnapshot.builder().name(RECEIVED)
                .help("Bytes of WireGuard datagrams received from the peer (wg show: transfer received)");
        GaugeSnapshot.Builder handshake = GaugeSnapshot.builder().name(LATEST_HANDSHAKE)
                .help("UNIX time in seconds of the latest handshake with the peer, 0 if none (wg show: latest handshake)");
        for (Tunnel peer : engine.peers()) {
            Labels labels = Labels.of(
                    "interface", ifname,
                    "public_key", Base64.getEncoder().encodeToString(peer.publicKey()),
                    "allowed_ips", allowedIps(engine, peer));
            sent.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(peer.txBytes()).build());
            received.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(peer.rxBytes()).build());
            handshake.dataPoint(GaugeDataPointSnapshot.builder().labels(labels)
                    .value(peer.lastHandshakeEpochNanos() / 1_000_000_000L).build());
        }
        return MetricSnapshots.of(sent.build(), received.build(), handshake.build());
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(SENT, RECEIVED, LATEST_HANDSHAKE);
    }

    /** As {@code wg show dump} prints them. */
    private static String allowedIps(Engine engine, Tunnel peer) {
        List<IpPrefix> prefixes = engine.allowedIps().prefixes(peer);
        if (prefixes.isEmpty()) {
            return "(none)";
        }
        return prefixes.stream().map(IpPrefix::toString).collect(Collectors.joining(","));
    }
}
