package io.jwg.daemon.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.routing.IpPrefix;
import io.jwg.core.tunnel.DropReason;
import io.jwg.core.tunnel.Tunnel;
import io.jwg.daemon.Device;
import io.jwg.daemon.DevicePair;
import io.jwg.daemon.Log;
import io.jwg.daemon.Packets;
import io.jwg.tun.InMemoryTun;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exported families against the counters they read, on two in-process devices (in-memory
 * TUNs, real UDP on loopback), and the HTTP endpoint serving them in the text format.
 */
class MetricsServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String INNER_A = "10.9.0.1";
    private static final String INNER_B = "10.9.0.2";

    private final ByteArrayOutputStream logs = new ByteArrayOutputStream();
    private final Log log = new Log(Log.Level.ERROR, "test", new PrintStream(logs, true));
    private DevicePair pair;
    private InMemoryTun tunA;
    private InMemoryTun tunB;
    private Device a;
    private Device b;
    private Tunnel toB;

    @BeforeEach
    void setUp() throws Exception {
        pair = new DevicePair(log, "jma", "jmb");
        tunA = pair.tunA;
        tunB = pair.tunB;
        a = pair.a;
        b = pair.b;
        toB = pair.toB;
        a.engine().allowedIps().insert(IpPrefix.parse("fd00:9::2/128"), toB);
    }

    @AfterEach
    void tearDown() {
        pair.close();
    }

    @Test
    void shouldExportEachPeerAsTheWireGuardExporterDoes() throws Exception {
        sendOneByOne(10);
        MetricSnapshots scrape = MetricsServer.registry(a.stats()).scrape();
        String key = Base64.getEncoder().encodeToString(b.engine().publicKey());
        DataPointSnapshot sent = point(scrape, "wireguard_sent_bytes", key);
        assertEquals("jma", sent.getLabels().get("interface"));
        assertEquals("10.9.0.2/32,fd00:9::2/128", sent.getLabels().get("allowed_ips"), "wg show order, comma-joined");
        assertEquals(toB.txBytes(), ((CounterSnapshot.CounterDataPointSnapshot) sent).getValue());
        assertEquals(toB.rxBytes(), ((CounterSnapshot.CounterDataPointSnapshot) point(scrape, "wireguard_received_bytes", key)).getValue());
        assertTrue(toB.txBytes() > 10 * 32, "the packets were counted");
        assertEquals(toB.lastHandshakeEpochNanos() / 1_000_000_000L,
                ((GaugeSnapshot.GaugeDataPointSnapshot) point(scrape, "wireguard_latest_handshake_seconds", key)).getValue());
    }

    @Test
    void shouldExportHandshakesPeersAndLatencies() throws Exception {
        sendOneByOne(3 * 64);
        MetricSnapshots scrape = MetricsServer.registry(a.stats()).scrape();
        assertEquals(1, counter(scrape, "jwg_handshakes_initiated"));
        assertEquals(1, counter(scrape, "jwg_handshakes_completed"));
        assertEquals(0, counter(scrape, "jwg_handshakes_failed"));
        assertEquals(1, gauge(scrape, "jwg_peers"));
        assertEquals(0, gauge(scrape, "jwg_under_load"));
        HistogramSnapshot handshakes = (HistogramSnapshot) family(scrape, "jwg_handshake_duration_seconds");
        assertEquals(1, handshakes.getDataPoints().getFirst().getCount(), "the one handshake a initiated");
        HistogramSnapshot latency = (HistogramSnapshot) family(scrape, "jwg_packet_latency_seconds");
        // One packet at a time: the pool hands out the same packet, and every 64th use is timed.
        long outbound = latency.getDataPoints().stream().filter(p -> p.getLabels().get("direction").equals("outbound"))
                .findFirst().orElseThrow().getCount();
        assertTrue(outbound >= 2, "outbound samples: " + outbound);
        HistogramSnapshot inboundAtB = (HistogramSnapshot) family(MetricsServer.registry(b.stats()).scrape(),
                "jwg_packet_latency_seconds");
        long inbound = inboundAtB.getDataPoints().stream().filter(p -> p.getLabels().get("direction").equals("inbound"))
                .findFirst().orElseThrow().getCount();
        assertTrue(inbound >= 2, "inbound samples at b: " + inbound);
    }

    @Test
    void shouldCountDropsByReasonIncludingTheDaemonsOwn() throws Exception {
        PrometheusRegistry registry = MetricsServer.registry(a.stats());
        CounterSnapshot dropped = (CounterSnapshot) family(registry.scrape(), "jwg_packets_dropped");
        Set<String> reasons = new HashSet<>();
        dropped.getDataPoints().forEach(p -> reasons.add(p.getLabels().get("reason")));
        assertEquals(DropReason.values().length + 3, reasons.size());
        assertTrue(reasons.containsAll(Set.of("invalid_message", "no_buffer", "queue_full", "handshake_queue_full")));
        try (DatagramSocket socket = new DatagramSocket()) {
            byte[] garbage = "not a WireGuard message".getBytes(StandardCharsets.US_ASCII);
            socket.send(new DatagramPacket(garbage, garbage.length, InetAddress.getLoopbackAddress(), a.listenPort()));
        }
        await(() -> dropCount(registry, "invalid_message") == 1, "the garbage datagram counted as invalid_message");
    }

    @Test
    void shouldServeTheTextFormatOverHttp() throws Exception {
        sendOneByOne(1);
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), a.stats());
                HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals(PrometheusTextFormatWriter.CONTENT_TYPE, response.headers().firstValue("Content-Type").orElseThrow());
            String body = response.body();
            String key = Base64.getEncoder().encodeToString(b.engine().publicKey());
            for (String expected : new String[] {
                "# TYPE wireguard_sent_bytes_total counter\n",
                "# TYPE wireguard_received_bytes_total counter\n",
                "# TYPE wireguard_latest_handshake_seconds gauge\n",
                "public_key=\"" + key + "\"",
                "# TYPE jwg_packets_dropped_total counter\n",
                "# TYPE jwg_handshake_duration_seconds histogram\n",
                "process_resident_memory_bytes ",
                "jvm_memory_used_bytes{"}) {
                assertTrue(body.contains(expected), () -> "no " + expected + " in\n" + body);
            }
        }
    }

    /** Sends {@code count} packets a to b, each after the previous one arrived. */
    private void sendOneByOne(int count) throws Exception {
        for (int i = 0; i < count; i++) {
            assertTrue(tunA.inject(Packets.udp4(INNER_A, INNER_B, 1000, 2000, new byte[] {(byte) i})));
            assertNotNull(tunB.take(TIMEOUT), () -> "packet lost\n" + logs);
        }
    }

    private static MetricSnapshot family(MetricSnapshots scrape, String name) {
        return scrape.stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no family " + name));
    }

    private static DataPointSnapshot point(MetricSnapshots scrape, String name, String publicKey) {
        return family(scrape, name).getDataPoints().stream()
                .filter(p -> publicKey.equals(p.getLabels().get("public_key"))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " for " + publicKey));
    }

    private static double counter(MetricSnapshots scrape, String name) {
        return ((CounterSnapshot) family(scrape, name)).getDataPoints().getFirst().getValue();
    }

    private static double gauge(MetricSnapshots scrape, String name) {
        return ((GaugeSnapshot) family(scrape, name)).getDataPoints().getFirst().getValue();
    }

    private static double dropCount(PrometheusRegistry registry, String reason) {
        return ((CounterSnapshot) family(registry.scrape(), "jwg_packets_dropped")).getDataPoints().stream()
                .filter(p -> p.getLabels().get("reason").equals(reason)).findFirst().orElseThrow().getValue();
    }

    private void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, () -> "timed out waiting for: " + what + "\n" + logs);
            Thread.sleep(10); // other threads drive the state; nothing to inject a clock into
        }
    }
}
