package io.jwg.daemon;

import io.jwg.core.TestSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Properties;

/**
 * Command-line entry point, wireguard-go's command line: {@code jwg [-f|--foreground] IFNAME},
 * {@code jwg --version}, plus {@code jwg demo} and {@code jwg --help}.
 */
public final class Main {
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
            usage(out);
            return 0;
        }
        if (args.length == 1 && args[0].equals("--train")) {
            return Training.run(err);
        }
        if (args.length == 1 && args[0].equals("demo")) {
            return io.jwg.daemon.demo.Demo.run(out, err);
        }
        String ifname = null;
        if (args.length == 1 && !args[0].startsWith("-")) {
            ifname = args[0];
        } else if (args.length == 2 && (args[0].equals("-f") || args[0].equals("--foreground"))) {
            ifname = args[1];
        }
        if (ifname == null) {
            usage(err);
            return 1;
        }
        try {
            TestSettings.rekeyAfterTimeSeconds(); // before anything reads the protocol constants
        } catch (IllegalArgumentException e) {
            err.println("jwg: " + e.getMessage());
            return 1;
        }
        return new DaemonCommand(ifname, System.getenv(), err).run();
    }

    private static void usage(PrintStream out) {
        out.println("Usage: jwg [-f/--foreground] INTERFACE-NAME | jwg --version | jwg demo");
        out.println("Environment: WG_TUN_FD, WG_UAPI_FD (adopt file descriptors), WG_PROCESS_FOREGROUND=1,");
        out.println("  LOG_LEVEL=verbose|debug|error|silent, JWG_JAVA_OPTS (JVM options for the launcher)");
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
