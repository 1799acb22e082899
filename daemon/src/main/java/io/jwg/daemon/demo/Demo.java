package io.jwg.daemon.demo;

import io.jwg.core.crypto.X25519;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code jwg demo}: two network namespaces joined by a veth pair, a jwg daemon in each (a real
 * TUN device, a real UDP socket), configured through their UAPI sockets with freshly generated
 * keys. It times the first handshake, pings both ways, runs a few seconds of iperf3 through the
 * tunnel, prints a summary and {@code wg show}-style status, and removes everything again, also
 * on failure or Ctrl-C.
 */
public final class Demo implements AutoCloseable {
    private static final Path SOCKET_DIR = Path.of("/var/run/wireguard");
    private static final String OUTER_A = "192.168.241.1";
    private static final String OUTER_B = "192.168.241.2";
    private static final String INNER_A = "10.241.0.1";
    private static final String INNER_B = "10.241.0.2";
    private static final int PORT_A = 51_820;
    private static final int PORT_B = 51_821;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final PrintStream out;
    private final String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    private final String nsA = "jwgdemo-a-" + id;
    private final String nsB = "jwgdemo-b-" + id;
    private final String ifA = "jwga" + id;
    private final String ifB = "jwgb" + id;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> daemons = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private final Table summary = new Table("check", "result", "figure");

    private Demo(PrintStream out) {
        this.out = out;
    }

    /** Runs the demo; returns the exit status. */
    public static int run(PrintStream out, PrintStream err) {
        for (String tool : List.of("ip", "ping")) {
            if (!Commands.exists(tool)) {
                err.println("jwg demo: needs `" + tool + "` (apt-get install iproute2 iputils-ping)");
                return 1;
            }
        }
        Demo demo = new Demo(out);
        Thread cleanup = new Thread(demo::close, "jwg-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            demo.execute();
            return 0;
        } catch (IOException | RuntimeException e) {
            if (!demo.summary.isEmpty()) {
                out.print(demo.summary.render("  "));
            }
            err.println("jwg demo failed: " + e.getMessage());
            demo.printLogs(err);
            return 1;
        } finally {
            demo.close();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // Already shutting down (Ctrl-C): the hook is running or ran.
            }
        }
    }

    private void execute() throws IOException {
        out.println("jwg demo: two network namespaces, a jwg daemon in each, one WireGuard tunnel");
        buildNetwork();
        long launch = System.nanoTime();
        startDaemon(nsA, ifA);
        startDaemon(nsB, ifB);
        double startMillis = (System.nanoTime() - launch) / 1e6;
        summary.row("daemons", ifA + " in " + nsA + ", " + ifB + " in " + nsB,
                String.format(Locale.ROOT, "both ready %.0f ms after launch", startMillis));

        SecureRandom random = new SecureRandom();
        byte[] privA = new byte[32];
        byte[] privB = new byte[32];
        byte[] pubA = new byte[32];
        byte[] pubB = new byte[32];
        X25519.generatePrivateKey(random, privA);
        X25519.generatePrivateKey(random, privB);
        X25519.publicKey(privA, pubA);
        X25519.publicKey(privB, pubB);
        HexFormat hex = HexFormat.of();
        UapiClient.set(socket(ifA), "private_key=" + hex.formatHex(privA) + "\nlisten_port=" + PORT_A
                + "\npublic_key=" + hex.formatHex(pubB) + "\nendpoint=" + OUTER_B + ":" + PORT_B
                + "\nallowed_ip=" + INNER_B + "/32\n");
        UapiClient.set(socket(ifB), "private_key=" + hex.formatHex(privB) + "\nlisten_port=" + PORT_B
                + "\npublic_key=" + hex.formatHex(pubA) + "\nendpoint=" + OUTER_A + ":" + PORT_A
                + "\nallowed_ip=" + INNER_A + "/32\n");
        java.util.Arrays.fill(privA, (byte) 0);
        java.util.Arrays.fill(privB, (byte) 0);
        Commands.ok(Commands.in(nsA, "ip", "addr", "add", INNER_A + "/24", "dev", ifA));
        Commands.ok(Commands.in(nsA, "ip", "link", "set", ifA, "up"));
        Commands.ok(Commands.in(nsB, "ip", "addr", "add", INNER_B + "/24", "dev", ifB));
        Commands.ok(Commands.in(nsB, "ip", "link", "set", ifB, "up"));
        summary.row("configured", "fresh keys, set through each daemon's UAPI socket", SOCKET_DIR + "/*.sock");

        long first = System.nanoTime();
        Commands.Result firstPing = Commands.run(20, Commands.in(nsA, "ping", "-c", "1", "-W", "10", INNER_B));
        double handshakeMillis = (System.nanoTime() - first) / 1e6;
        if (!firstPing.ok()) {
            throw new IllegalStateException("no reply through the tunnel: " + firstPing.output().strip());
        }
        summary.row("handshake", "first ping answered, handshake included",
                String.format(Locale.ROOT, "%.1f ms", handshakeMillis));
        summary.row(ping("ping A -> B", nsA, INNER_B));
        summary.row(ping("ping B -> A", nsB, INNER_A));
        summary.row(throughput());
        out.print(summary.render("  "));
        out.println();
        out.println(status(nsA, ifA));
    }

    private void buildNetwork() {
        for (String ns : List.of(nsA, nsB)) {
            Commands.ok("ip", "netns", "add", ns);
            namespaces.add(ns);
            Commands.ok(Commands.in(ns, "ip", "link", "set", "lo", "up"));
        }
        Commands.ok("ip", "link", "add", "jwgva" + id, "netns", nsA, "type", "veth", "peer", "name", "jwgvb" + id,
                "netns", nsB);
        Commands.ok(Commands.in(nsA, "ip", "addr", "add", OUTER_A + "/24", "dev", "jwgva" + id));
        Commands.ok(Commands.in(nsB, "ip", "addr", "add", OUTER_B + "/24", "dev", "jwgvb" + id));
        Commands.ok(Commands.in(nsA, "ip", "link", "set", "jwgva" + id, "up"));
        Commands.ok(Commands.in(nsB, "ip", "link", "set", "jwgvb" + id, "up"));
    }

    private void startDaemon(String ns, String ifname) throws IOException {
        Path log = Files.createTempFile("jwg-demo-" + ifname, ".log");
        logs.add(log);
        List<String> command = new ArrayList<>(List.of(Commands.in(ns)));
        command.addAll(selfCommand());
        command.addAll(List.of("-f", ifname));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("LOG_LEVEL", "verbose");
        builder.environment().remove("JWG_READY_FILE");
        Process process = builder.start();
        daemons.add(process);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!Files.exists(socket(ifname))) {
            if (!process.isAlive()) {
                throw new IllegalStateException(ifname + " exited during start-up");
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(ifname + " did not open its UAPI socket within " + START_TIMEOUT);
            }
            sleep(10);
        }
    }

    /** How to start another copy of this program: the same java, JVM options and jar. */
    private static List<String> selfCommand() {
        ProcessHandle.Info info = ProcessHandle.current().info();
        String launcher = info.command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(launcher));
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            command.add(arg);
        }
        String jar = new File(Demo.class.getProtectionDomain().getCodeSource().getLocation().getPath()).getPath();
        command.addAll(List.of("-cp", jar, "io.jwg.daemon.Main"));
        return command;
    }

    /** A summary row: 20 pings from {@code ns} to {@code target}, their loss and round trips. */
    private static String[] ping(String check, String ns, String target) {
        Commands.Result result = Commands.run(30, Commands.in(ns, "ping", "-c", "20", "-i", "0.05", "-W", "2", target));
        Matcher loss = Pattern.compile("(\\d+)% packet loss").matcher(result.output());
        Matcher rtt = Pattern.compile("= ([\\d.]+)/([\\d.]+)/([\\d.]+)/").matcher(result.output());
        if (!loss.find() || !rtt.find()) {
            throw new IllegalStateException("ping " + target + " failed: " + result.output().strip());
        }
        return new String[] {check, "20 pings, " + loss.group(1) + "% loss",
            "rtt min " + rtt.group(1) + " / avg " + rtt.group(2) + " / max " + rtt.group(3) + " ms"};
    }

    /** A summary row: three seconds of iperf3 TCP from A to B, or why it was skipped. */
    private String[] throughput() {
        if (!Commands.exists("iperf3")) {
            return new String[] {"throughput", "skipped: iperf3 is not installed (apt-get install iperf3)"};
        }
        Process server;
        try {
            server = new ProcessBuilder(Commands.in(nsB, "iperf3", "-s", "-1", "-B", INNER_B))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return new String[] {"throughput", "skipped: " + e.getMessage()};
        }
        daemons.add(0, server);
        Commands.Result result = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            result = Commands.run(30, Commands.in(nsA, "iperf3", "-c", INNER_B, "-t", "3", "-f", "m"));
            if (result.ok() || !result.output().contains("Connection refused")) {
                break;
            }
            sleep(50);
        }
        Matcher receiver = Pattern.compile("([\\d.]+) Mbits/sec.*receiver").matcher(result.output());
        if (!result.ok() || !receiver.find()) {
            throw new IllegalStateException("iperf3 failed: " + result.output().strip());
        }
        return new String[] {"throughput", "iperf3 TCP A -> B for 3 s", receiver.group(1) + " Mbit/s"};
    }

    private static String status(String ns, String ifname) {
        if (Commands.exists("wg")) {
            Commands.Result result = Commands.run(10, Commands.in(ns, "wg", "show", ifname));
            if (result.ok()) {
                return result.output().stripTrailing();
            }
        }
        try {
            return UapiClient.get(socket(ifname)).lines()
                    .filter(line -> !line.startsWith("private_key") && !line.startsWith("preshared_key"))
                    .reduce((a, b) -> a + "\n" + b).orElse("");
        } catch (IOException e) {
            return "(status unavailable: " + e.getMessage() + ")";
        }
    }

    private static Path socket(String ifname) {
        return SOCKET_DIR.resolve(ifname + ".sock");
    }

    private void printLogs(PrintStream err) {
        for (Path log : logs) {
            try {
                err.println("--- " + log);
                err.println(Files.readString(log).strip());
            } catch (IOException e) {
                err.println("(unreadable: " + e.getMessage() + ")");
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis); // waiting on other processes; there is no clock to inject
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /** Stops the daemons and removes the namespaces and logs; idempotent. */
    @Override
    public synchronized void close() {
        for (Process process : daemons) {
            process.destroy();
        }
        for (Process process : daemons) {
            try {
                if (!process.waitFor(3, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
            }
        }
        daemons.clear();
        for (String ns : namespaces) {
            Commands.run(10, "ip", "netns", "del", ns);
        }
        namespaces.clear();
        for (Path log : logs) {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // a log in /tmp is not worth failing over
            }
        }
        logs.clear();
    }
}
