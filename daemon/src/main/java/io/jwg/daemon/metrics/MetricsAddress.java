package io.jwg.daemon.metrics;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Parses where to serve metrics: {@code HOST:PORT} with HOST an IPv4 address, a bracketed IPv6
 * address ({@code [::1]:9586}) or a host name, or {@code :PORT} for every address. A bad value
 * throws {@link IllegalArgumentException} with a one-line message naming it.
 */
public final class MetricsAddress {
    /** The conventional port of WireGuard exporters. */
    public static final int DEFAULT_PORT = 9586;

    private MetricsAddress() {
    }

    /** The socket address {@code value} names. */
    public static InetSocketAddress parse(String value) {
        String text = value.strip();
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw bad(value, "no port");
        }
        String host = text.substring(0, colon);
        int port = port(value, text.substring(colon + 1));
        if (host.isEmpty()) {
            return new InetSocketAddress(port);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            String literal = host.substring(1, host.length() - 1);
            if (!literal.contains(":")) {
                throw bad(value, "brackets are for IPv6 addresses");
            }
            return new InetSocketAddress(literal(value, literal), port);
        }
        if (host.contains(":") || host.contains("[") || host.contains("]")) {
            throw bad(value, "an IPv6 address needs brackets, e.g. [::1]:" + DEFAULT_PORT);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw bad(value, "unknown host " + host);
        }
    }

    private static InetAddress literal(String value, String literal) {
        try {
            return InetAddress.ofLiteral(literal);
        } catch (IllegalArgumentException e) {
            throw bad(value, literal + " is not an IPv6 address");
        }
    }

    private static int port(String value, String text) {
        if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9') || text.length() > 5) {
            throw bad(value, "port must be a number from 1 to 65535");
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) {
            throw bad(value, "port must be a number from 1 to 65535");
        }
        return port;
    }

    private static IllegalArgumentException bad(String value, String why) {
        return new IllegalArgumentException("invalid metrics address '" + value + "': " + why
                + " (expected HOST:PORT, e.g. 127.0.0.1:" + DEFAULT_PORT + ")");
    }
}
