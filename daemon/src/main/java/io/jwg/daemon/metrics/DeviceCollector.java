package io.jwg.daemon.metrics;

import io.jwg.core.tunnel.DropReason;
import io.jwg.core.tunnel.Engine;
import io.jwg.core.tunnel.Engine.Event;
import io.jwg.daemon.DeviceStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * jwg's own counters and gauges, labelled {@code interface}: packets dropped by reason (every
 * reason the engine counts, plus the daemon's buffer pool and queues), handshake and cookie
 * events, the under-load state and the number of peers. Everything is read from counters the
 * engine and the data path keep anyway; a scrape adds nothing to the packet path.
 */
final class DeviceCollector implements MultiCollector {
    static final String DROPPED = "jwg_packets_dropped";
    /** The daemon's own drop reasons, next to the engine's {@link DropReason}s. */
    static final String NO_BUFFER = "no_buffer";
    static final String QUEUE_FULL = "queue_full";
    static final String HANDSHAKE_QUEUE_FULL = "handshake_queue_full";

    /** An engine event exported as a counter of its own. */
    private record EventFamily(String name, Event event, String help) {
    }

    private static final List<EventFamily> EVENTS = List.of(
            new EventFamily("jwg_handshakes_initiated", Event.INITIATIONS_SENT,
                    "Handshake initiations sent"),
            new EventFamily("jwg_handshakes_completed", Event.HANDSHAKES_COMPLETED,
                    "Handshakes completed: a response consumed, or a responder session confirmed by its first data"),
            new EventFamily("jwg_handshakes_failed", Event.HANDSHAKE_TIMEOUTS,
                    "Handshake initiations that got no response within REKEY_TIMEOUT (5 s): each retry and each give-up"),
            new EventFamily("jwg_handshake_initiations_received", Event.INITIATIONS_RECEIVED,
                    "Handshake initiations accepted from peers"),
            new EventFamily("jwg_handshake_responses_sent", Event.RESPONSES_SENT,
                    "Handshake responses sent"),
            new EventFamily("jwg_cookie_replies_sent", Event.COOKIES_SENT,
                    "Cookie replies sent instead of answering a handshake while under load"),
            new EventFamily("jwg_cookie_replies_received", Event.COOKIES_RECEIVED,
                    "Cookie replies accepted from peers"));
    static final String UNDER_LOAD = "jwg_under_load";
    static final String PEERS = "jwg_peers";

    private final DeviceStats stats;

    DeviceCollector(DeviceStats stats) {
        this.stats = stats;
    }

    /** The {@code reason} label of an engine drop reason: its name in lower case. */
    static String reason(DropReason reason) {
        return reason.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public MetricSnapshots collect() {
        Engine engine = stats.engine();
        String ifname = stats.interfaceName();
        Labels device = Labels.of("interface", ifname);
        List<MetricSnapshot> snapshots = new ArrayList<>();
        CounterSnapshot.Builder dropped = CounterSnapshot.builder().name(DROPPED)
                .help("Packets dropped, by reason: the engine's (malformed, unauthenticated, replayed, no route, ...) "
                        + "and the daemon's (no_buffer, queue_full, handshake_queue_full)");
        for (DropReason reason : DropReason.values()) {
            dropped.dataPoint(counter(device.add("reason", reason(reason)), engine.drops(reason)));
        }
        dropped.dataPoint(counter(device.add("reason", NO_BUFFER), stats.bufferDrops()));
        dropped.dataPoint(counter(device.add("reason", QUEUE_FULL), stats.queueDrops()));
        dropped.dataPoint(counter(device.add("reason", HANDSHAKE_QUEUE_FULL), stats.handshakeQueueDrops()));
        snapshots.add(dropped.build());
        for (EventFamily family : EVENTS) {
            snapshots.add(CounterSnapshot.builder().name(family.name()).help(family.help())
                    .dataPoint(counter(device, engine.events(family.event()))).build());
        }
        snapshots.add(gauge(UNDER_LOAD, "1 while handshakes queue up and cookies and rate limits are in force, else 0",
                device, stats.underLoad() ? 1 : 0));
        snapshots.add(gauge(PEERS, "Configured peers", device, engine.peers().size()));
        return new MetricSnapshots(snapshots);
    }

    @Override
    public List<String> getPrometheusNames() {
        List<String> names = new ArrayList<>(List.of(DROPPED, UNDER_LOAD, PEERS));
        EVENTS.forEach(family -> names.add(family.name()));
        return names;
    }

    private static CounterDataPointSnapshot counter(Labels labels, long value) {
        return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static GaugeSnapshot gauge(String name, String help, Labels labels, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build()).build();
    }
}
