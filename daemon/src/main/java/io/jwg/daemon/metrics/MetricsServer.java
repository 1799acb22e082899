package io.jwg.daemon.metrics;

import io.jwg.daemon.DeviceStats;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Serves {@code /metrics} in the Prometheus text formats with the official Prometheus Java
 * client: the per-peer WireGuard families ({@link PeerCollector}), jwg's own counters
 * ({@link DeviceCollector}) and histograms ({@link LatencyCollector}), and the client's JVM and
 * process metrics. Off unless asked for ({@code JWG_METRICS_ADDRESS} or {@code --metrics}).
 * Scrapes run one at a time on a daemon thread of their own and only read counters.
 */
public final class MetricsServer implements AutoCloseable {
    private static final String NODELAY = "sun.net.httpserver.nodelay";

    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /** A registry with every family jwg exports for {@code stats}. */
    static PrometheusRegistry registry(DeviceStats stats) {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PeerCollector(stats));
        registry.register(new DeviceCollector(stats));
        registry.register(new LatencyCollector(stats));
        JvmMetrics.builder().register(registry);
        return registry;
    }

    /** Listens on {@code address}; throws when it cannot be bound. */
    public static MetricsServer start(InetSocketAddress address, DeviceStats stats) throws IOException {
        // The JDK server writes headers and body apart; with Nagle on, a scraper that delays its
        // ACK stalls every scrape of more than one segment by 40 ms (measured: 44 ms -> 1 ms).
        // Read once, when the JDK's server first loads; nothing else here uses that server.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
        // One scrape at a time, a few waiting; beyond that the accepting thread serves them itself.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(16), task -> {
                    Thread thread = new Thread(task, "jwg-metrics");
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        try {
            return new MetricsServer(HTTPServer.builder()
                    .inetAddress(address.getAddress())
                    .port(address.getPort())
                    .registry(registry(stats))
                    .executorService(executor)
                    .buildAndStart());
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    /** The port listened on. */
    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
