package io.jwg.daemon;

import io.jwg.core.tunnel.Tunnel;
import io.jwg.tun.TunDevice;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.SystemEpochNanoClock;

/**
 * One thread for everything periodic: the protocol timers of every tunnel and the TUN's link
 * state and MTU, probed every {@value #LINK_PROBE_MILLIS} ms so that a TUN moved into another
 * namespace is still followed (as wireguard-go's zero-length-write probe does).
 *
 * <p>It wakes at the earliest deadline, and at least every {@value #MAX_SLEEP_MILLIS} ms to see
 * deadlines that other threads armed meanwhile (they do not announce them). That is never late:
 * no timer is armed less than a second ahead (the shortest is a persistent keepalive of 1 s,
 * {@code PeerTimers}), so a deadline armed just after this thread went to sleep is seen at the
 * next wake-up, before it falls due. Output a tunnel holds back (a handshake initiation within
 * its rate limit, say) is retried every {@value #PENDING_RETRY_MILLIS} ms.
 */
final class Housekeeping {
    private static final long MAX_SLEEP_MILLIS = 1000;
    private static final long PENDING_RETRY_MILLIS = 100;
    /** wireguard-go's probe cadence; rtnetlink events ({@link LinkEvents}) cover the rest at once. */
    private static final long LINK_PROBE_MILLIS = 1000;

    private final Device device;
    private final Thread thread;
    private final Worker worker = new Worker();
    private volatile boolean running = true;
    private long nextProbe;
    private LinkEvents linkEvents;

    Housekeeping(Device device) {
        this.device = device;
        this.thread = new DaemonThreads("jwg-timers").newThread(this::run);
    }

    void start() {
        probeLink();
        linkEvents = LinkEvents.start(this::probeLinkSeenAt, device.log());
        thread.start();
    }

    void stop() {
        running = false;
        if (linkEvents != null) {
            linkEvents.close();
        }
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (running) {
            long now = System.nanoTime();
            if (now - nextProbe >= 0) {
                nextProbe = now + TimeUnit.MILLISECONDS.toNanos(LINK_PROBE_MILLIS);
                probeLink();
            }
            long earliest = now + TimeUnit.MILLISECONDS.toNanos(MAX_SLEEP_MILLIS);
            for (Tunnel tunnel : device.engine().peers()) {
                long deadline = tunnel.nextDeadline();
                if (now - deadline >= 0 || tunnel.hasPendingOutput()) {
                    device.drain(tunnel, worker);
                    deadline = tunnel.nextDeadline();
                    long retry = now + TimeUnit.MILLISECONDS.toNanos(PENDING_RETRY_MILLIS);
                    if (retry - deadline < 0 && tunnel.hasPendingOutput()) {
                        deadline = retry;
                    }
                }
                if (deadline - earliest < 0) {
                    earliest = deadline;
                }
            }
            long sleep = earliest - System.nanoTime();
            if (sleep > 0) {
                LockSupport.parkNanos(this, Math.max(sleep, TimeUnit.MILLISECONDS.toNanos(1)));
            }
        }
    }

    /** Probes the link now (a netlink event, or the TUN reader saw a packet while the device was down). */
    void probeLink() {
        // Taken before waiting for the lock: when the link was seen as it is.
        probeLinkSeenAt(SystemEpochNanoClock.INSTANCE.nanoTime());
    }

    /** Probes the link after a change seen at {@code observedEpochNanos} (real time). */
    synchronized void probeLinkSeenAt(long observedEpochNanos) {
        TunDevice tun = device.tun();
        try {
            TunDevice.LinkState state = tun.linkState();
            if (state == TunDevice.LinkState.GONE) {
                running = false;
                Thread.ofPlatform().daemon().start(() -> device.stop("TUN device is gone"));
                return;
            }
            int mtu = tun.mtu();
            if (mtu != device.engine().mtu()) {
                device.log().debug("MTU updated: " + mtu);
                device.engine().setMtu(mtu);
            }
            device.setLinkUp(state == TunDevice.LinkState.UP, observedEpochNanos);
        } catch (IOException e) {
            if (!device.isClosed()) {
                device.log().error("Failed to probe TUN device: " + e.getMessage());
            }
        }
    }
}
