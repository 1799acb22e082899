package io.jwg.daemon;

import io.jwg.daemon.metrics.MetricsAddress;
import io.jwg.daemon.metrics.MetricsServer;
import io.jwg.tun.LinuxTun;
import io.jwg.tun.TunDevice;
import io.jwg.uapi.ConfFile;
import io.jwg.uapi.ConfFileException;
import io.jwg.uapi.UapiException;
import io.jwg.uapi.UapiServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * {@code jwg [-f] IFNAME}: creates (or adopts, {@code WG_TUN_FD}) the TUN, starts the device,
 * opens (or adopts, {@code WG_UAPI_FD}) the UAPI socket, reports readiness and runs until SIGTERM
 * or SIGINT, until the TUN is deleted, or until the socket file is deleted. Daemonizing is the
 * launcher's job (a JVM cannot fork): it runs this in a new session and waits for the readiness
 * line this writes to {@code JWG_READY_FILE}. Under systemd ({@code Type=notify}) readiness and
 * the start of shutdown also go to {@code NOTIFY_SOCKET}. {@code JWG_CONFIG_FILE} names a
 * {@code wg setconf} file that is read before anything is created and applied once the socket
 * listens, so a restarted service comes back configured.
 */
final class DaemonCommand {
    /** Where to serve Prometheus metrics, {@code HOST:PORT}; unset or empty: no metrics. */
    static final String METRICS_ADDRESS = "JWG_METRICS_ADDRESS";

    private final String ifname;
    private final Map<String, String> env;
    private final PrintStream err;
    private final Object uapiLock = new Object();
    private UapiServer uapiServer;
    private boolean signalled;
    private volatile boolean exiting;

    DaemonCommand(String ifname, Map<String, String> env, PrintStream err) {
        this.ifname = ifname;
        this.env = env;
        this.err = err;
    }

    int run() {
        Log log = new Log(Log.parseLevel(env.get("LOG_LEVEL")), ifname, System.out);
        String aeadProblem = Aeads.problem();
        if (aeadProblem != null) {
            return fail(aeadProblem);
        }
        String metrics = env.getOrDefault(METRICS_ADDRESS, "");
        InetSocketAddress metricsAddress = null;
        if (!metrics.isEmpty()) {
            try {
                metricsAddress = MetricsAddress.parse(metrics);
            } catch (IllegalArgumentException e) {
                return fail("Failed to start: " + e.getMessage());
            }
        }
        IoPriority ioPriority;
        try {
            ioPriority = IoPriority.parse(env.get(IoPriority.ENV), log);
        } catch (IllegalArgumentException e) {
            return fail(e.getMessage());
        }
        SdNotify notify = SdNotify.fromEnvironment(env, log);
        String confPath = env.get("JWG_CONFIG_FILE");
        ConfFile conf = null;
        if (confPath != null && !confPath.isEmpty()) {
            try {
                conf = ConfFile.read(Path.of(confPath));
            } catch (ConfFileException e) {
                return fail("Invalid JWG_CONFIG_FILE: " + e.getMessage());
            }
            conf.warnings().forEach(warning -> err.println("Warning: " + warning));
        }
        TunDevice tun;
        try {
            tun = openTun();
        } catch (IOException | RuntimeException e) {
            return fail("Failed to create TUN device: " + message(e));
        }
        Device device;
        try {
            device = new Device(tun, log, ioPriority);
        } catch (RuntimeException e) {
            tun.close();
            return fail("Failed to create device: " + message(e));
        }
        try {
            device.start();
        } catch (IOException | RuntimeException e) {
            device.stop("start failed");
            return fail("Failed to start device: " + message(e));
        }
        log.debug("Device started; transport AEAD: " + Aeads.describe() + "; UDP GSO/GRO: "
                + (UdpOffload.gro() ? "on" : "off (" + UdpOffload.ENV + ")") + "; TUN offloads: " + describeTunOffloads(tun));
        MetricsServer metricsServer = null;
        if (metricsAddress != null) {
            try {
                metricsServer = MetricsServer.start(metricsAddress, device.stats());
            } catch (IOException | RuntimeException e) {
                device.stop("metrics failed");
                return fail("Failed to serve metrics on " + metrics + ": " + message(e));
            }
            log.debug("Metrics served on " + metrics + " at /metrics");
        }
        // Registered before the socket exists: a SIGTERM right after it appears must remove it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM/SIGINT: stop like wireguard-go and exit 0, not the JVM's 143.
            if (exiting) {
                return; // run() already cleaned up and chose the exit status
            }
            notify.stopping();
            UapiServer server;
            synchronized (uapiLock) {
                // Waits for an open in progress, so a socket that just appeared is removed too.
                server = uapiServer;
                signalled = true;
            }
            if (server != null) {
                server.close();
            }
            device.stop("received signal");
            Runtime.getRuntime().halt(0);
        }, "jwg-shutdown"));
        UapiServer uapi;
        synchronized (uapiLock) {
            if (signalled) {
                return 0; // the shutdown hook is stopping the device and will exit
            }
            try {
                uapi = openUapi(device, log);
                uapiServer = uapi;
            } catch (IOException | RuntimeException e) {
                device.stop("UAPI failed");
                return fail("Failed to listen on uapi socket: " + message(e));
            }
        }
        log.debug("UAPI listener started");
        if (conf != null) {
            try {
                conf.applyTo(device);
            } catch (UapiException e) {
                uapi.close();
                device.stop("configuration failed");
                return fail("Failed to apply JWG_CONFIG_FILE " + confPath + ": " + e.getMessage());
            }
            log.debug("Applied JWG_CONFIG_FILE " + confPath);
        }
        ready("ok");
        notify.ready();
        String reason;
        try {
            reason = device.awaitStop();
        } catch (InterruptedException e) {
            reason = "interrupted";
        }
        notify.stopping();
        uapi.close();
        if (metricsServer != null) {
            metricsServer.close();
        }
        device.stop(reason);
        log.debug("Shutting down: " + reason);
        exiting = true;
        return 0;
    }

    /**
     * Opens the TUN with checksum and TCP segmentation offloads unless {@code JWG_TUN_OFFLOAD}
     * says off. An inherited {@code WG_TUN_FD} keeps the framing it was opened with: offloads
     * only if it has virtio headers ({@link LinuxTun#adopt(int, boolean)}).
     */
    private TunDevice openTun() throws IOException {
        boolean offloads = tunOffloadsWanted();
        String fd = env.get("WG_TUN_FD");
        if (fd != null) {
            return LinuxTun.adopt(parseFd(fd, "WG_TUN_FD"), offloads);
        }
        LinuxTun tun = LinuxTun.open(ifname, offloads);
        try {
            tun.setMtu(Device.DEFAULT_MTU);
        } catch (IOException e) {
            tun.close();
            throw e;
        }
        return tun;
    }

    private boolean tunOffloadsWanted() {
        return TunSegments.enabled(env.get(TunSegments.ENV));
    }

    private String describeTunOffloads(TunDevice tun) {
        if (!tun.offloads()) {
            return tunOffloadsWanted() ? "off (inherited TUN fd without virtio headers)" : "off (" + TunSegments.ENV + ")";
        }
        return tunOffloadsWanted() ? "on" : "virtio headers only (inherited TUN fd; " + TunSegments.ENV + ")";
    }

    private UapiServer openUapi(Device device, Log log) throws IOException {
        Runnable onDeleted = () -> device.stop("UAPI socket was removed");
        String fd = env.get("WG_UAPI_FD");
        if (fd != null) {
            return UapiServer.adopt(parseFd(fd, "WG_UAPI_FD"), UapiServer.SOCKET_DIRECTORY, device.tun().name(), device,
                    UapiServer.Options.DEFAULT, onDeleted);
        }
        return UapiServer.bind(device.tun().name(), device, onDeleted);
    }

    private static int parseFd(String value, String name) throws IOException {
        try {
            int fd = Integer.parseInt(value.trim());
            if (fd >= 0) {
                return fd;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IOException(name + " is not a file descriptor: " + value);
    }

    private int fail(String message) {
        exiting = true;
        err.println(message);
        ready(message);
        return 1;
    }

    /**
     * Tells a waiting launcher how start-up went, {@code ok} or the one-line error, by creating
     * {@code JWG_READY_FILE} atomically (written aside, then renamed) so it never sees half a line.
     */
    private void ready(String line) {
        String path = env.get("JWG_READY_FILE");
        if (path == null || path.isEmpty()) {
            return;
        }
        Path target = Path.of(path);
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try {
            Files.writeString(partial, line + "\n");
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            err.println("cannot report readiness to " + path + ": " + e.getMessage());
        }
    }

    private static String message(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
