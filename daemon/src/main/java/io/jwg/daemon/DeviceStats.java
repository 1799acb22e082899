package io.jwg.daemon;

import io.jwg.core.tunnel.Engine;

/**
 * Read-only view of a {@link Device}'s own counters, for the metrics scrape: what the daemon
 * drops outside the engine, the handshake load, and the sampled latencies. Every getter reads a
 * field the data path already maintains; nothing here is on the packet path.
 */
public final class DeviceStats {
    private final Device device;
    private final DataPath dataPath;
    private final HandshakeWorker handshakes;
    private final LatencyRecorder handshakeDurations = new LatencyRecorder();

    DeviceStats(Device device, DataPath dataPath, HandshakeWorker handshakes) {
        this.device = device;
        this.dataPath = dataPath;
        this.handshakes = handshakes;
    }

    /** The interface name. */
    public String interfaceName() {
        return device.tun().name();
    }

    /** The protocol engine: peers, their counters, drops by reason, events. */
    public Engine engine() {
        return device.engine();
    }

    /** Packets dropped because no pooled packet buffer was free. */
    public long bufferDrops() {
        return dataPath.bufferDrops();
    }

    /** Packets dropped because a peer's queue or the crypto queue was full. */
    public long queueDrops() {
        return dataPath.queueDrops();
    }

    /** Handshake messages dropped because the handshake queue was full. */
    public long handshakeQueueDrops() {
        return handshakes.dropped();
    }

    /** Whether handshakes are queueing up (cookies and rate limits in force). */
    public boolean underLoad() {
        return handshakes.isUnderLoad();
    }

    /** Durations of the handshakes this device initiated. */
    public LatencyRecorder handshakeDurations() {
        return handshakeDurations;
    }

    /** Sampled time outbound packets spend from TUN read to UDP send. */
    public LatencyRecorder outboundLatency() {
        return dataPath.outboundLatency();
    }

    /** Sampled time inbound packets spend from UDP receive to TUN write. */
    public LatencyRecorder inboundLatency() {
        return dataPath.inboundLatency();
    }
}
