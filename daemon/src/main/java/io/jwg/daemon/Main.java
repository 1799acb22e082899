package io.jwg.daemon;

import io.jwg.core.TestSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Command-line entry point, wireguard-go's command line: {@code jwg [-f|--foreground] IFNAME},
 * {@code jwg --version}, plus {@code --metrics HOST:PORT} (or {@code --metrics=HOST:PORT}) before
 * or after the name, {@code jwg demo} and {@code jwg --help}.
 */
public final class Main {
    /** Every environment variable jwg reads, with what it does, for {@code --help}. */
    private static final String[][] ENVIRONMENT = {
        {"LOG_LEVEL=verbose|debug|error|silent", "what the daemon logs (default error; debug is verbose)"},
        {"WG_PROCESS_FOREGROUND=1", "stay in the foreground, as -f does"},
        {"WG_TUN_FD=N", "use this open TUN device instead of creating one"},
        {"WG_UAPI_FD=N", "serve this listening UAPI socket instead of binding one"},
        {"JWG_CONFIG_FILE=PATH", "apply this wg setconf file once the UAPI socket listens"},
        {"NOTIFY_SOCKET=ADDRESS", "tell systemd READY=1 when ready, STOPPING=1 when stopping"},
        {"JWG_METRICS_ADDRESS=HOST:PORT", "serve Prometheus metrics on HOST:PORT"},
        {"JWG_AEAD=auto|openssl|jdk", "transport cipher (auto: OpenSSL's libcrypto if it passes a self-test)"},
        {"JWG_UDP_OFFLOAD=off", "no UDP GSO on send and GRO on receive"},
        {"JWG_TUN_OFFLOAD=off", "no TUN offloads (IFF_VNET_HDR): no TSO reads, no coalesced TCP writes"},
        {"JWG_IO_NICE=N|off", "nice value of the UDP and TUN reader threads (default -5; off: unchanged)"},
        {"JWG_READY_FILE=PATH", "where the daemonizing launcher learns of readiness (set by it)"},
        {"JWG_JAVA_OPTS=OPTIONS", "JVM options for the launcher; when set, replace its defaults"},
        {"JWG_EXTRA_JAVA_OPTS=OPTIONS", "JVM options the launcher adds to its defaults"},
        {"JWG_HOME=DIR", "run the jwg.jar installed in DIR (scripts/install)"},
    };

    private Main() {
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        // Netty reports environment oddities (no loopback in a fresh namespace) as JUL warnings
        // with stack traces; the daemon reports what matters itself, one line per event.
        java.util.logging.Logger.getLogger("io.netty").setLevel(java.util.logging.Level.SEVERE);
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line, printing to the given streams, and returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-v"))) {
            out.println("jwg v" + version() + " (userspace WireGuard for the JVM, Java " + Runtime.version().feature() + ")");
            return 0;
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            help(out);
            return 0;
        }
        if (args.length == 1 && args[0].equals("--train")) {
            return Training.run(err);
        }
        if (args.length == 1 && args[0].equals("demo")) {
            return io.jwg.daemon.demo.Demo.run(out, err);
        }
        String ifname = null;
        String metrics = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-f") || arg.equals("--foreground")) {
                continue; // daemonizing is the launcher's job; this JVM runs in the foreground
            }
            if (arg.equals("--metrics") && i + 1 < args.length) {
                metrics = args[++i];
            } else if (arg.startsWith("--metrics=")) {
                metrics = arg.substring("--metrics=".length());
            } else if (arg.startsWith("-") || ifname != null) {
                ifname = null;
                break;
            } else {
                ifname = arg;
            }
        }
        if (ifname == null) {
            err.println("Usage: jwg [-f|--foreground] [--metrics HOST:PORT] INTERFACE-NAME | jwg --version | --help | demo");
            return 1;
        }
        try {
            TestSettings.rekeyAfterTimeSeconds(); // before anything reads the protocol constants
        } catch (IllegalArgumentException e) {
            err.println("jwg: " + e.getMessage());
            return 1;
        }
        Map<String, String> env = System.getenv();
        if (metrics != null) {
            // The option is the variable's other spelling (wg-quick can only pass variables).
            env = new HashMap<>(env);
            env.put(DaemonCommand.METRICS_ADDRESS, metrics);
        }
        return new DaemonCommand(ifname, env, err).run();
    }

    private static void help(PrintStream out) {
        out.println("Usage: jwg [-f|--foreground] [--metrics HOST:PORT] INTERFACE-NAME   create INTERFACE-NAME and serve its UAPI socket");
        out.println("       jwg --version | --help | demo");
        out.println();
        out.println("Without -f, jwg returns once the interface and /var/run/wireguard/INTERFACE-NAME.sock are");
        out.println("ready and keeps running in the background, as wireguard-go does. Configure it with wg(8).");
        out.println();
        out.println("Environment:");
        int width = 0;
        for (String[] variable : ENVIRONMENT) {
            width = Math.max(width, variable[0].length());
        }
        for (String[] variable : ENVIRONMENT) {
            out.println("  " + variable[0] + " ".repeat(width - variable[0].length() + 2) + variable[1]);
        }
    }

    /** The project version baked in at build time. */
    static String version() {
        Properties properties = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return properties.getProperty("version", "unknown");
    }
}
