package io.jwg.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Properties;

/**
 * Command-line entry point of the jwg daemon. Mirrors wireguard-go's command line; this first
 * version knows {@code --version} and {@code demo} and reports every other invocation as not yet
 * supported.
 */
public final class Main {
    private Main() {
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line, printing to the given streams, and returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-v"))) {
            out.println("jwg v" + version() + " (userspace WireGuard for the JVM, Java " + Runtime.version().feature() + ")");
            return 0;
        }
        if (args.length == 1 && args[0].equals("demo")) {
            return Demo.run(out, err);
        }
        err.println("Usage: jwg --version | jwg demo (the daemon's command line arrives with the data plane)");
        return 1;
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
