package io.jwg.tests.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The standard interop topology: two namespaces joined by a veth pair with IPv4 and IPv6 outer
 * addresses, a daemon in each, keys made by {@code wg genkey}, each side configured by
 * {@code wg set} (listen-port, peer, endpoint, allowed-ips, keepalive) and given IPv4 and IPv6
 * inner addresses on its TUN.
 *
 * <pre>
 *   netns a                                               netns b
 *   daemon a ── IFa 10.251.0.1/24 fd00:251::1/64           daemon b ── IFb 10.251.0.2/24 fd00:251::2/64
 *   veth 10.250.0.1/24 fd00:250::1/64 ──────────────────── veth 10.250.0.2/24 fd00:250::2/64
 *   UDP :51820                                              UDP :51820
 * </pre>
 * Each side's allowed IPs for the other are the other's inner /32 and /128. Which side knows the
 * other's endpoint (and so can initiate), over which outer family, is chosen by the {@link Builder}.
 * Everything made is closed, newest first, on {@link #close()} and when setting up fails.
 */
public final class Pair implements AutoCloseable {
    /** Listen port of both daemons. */
    public static final int PORT = 51820;
    public static final String OUTER_A4 = "10.250.0.1";
    public static final String OUTER_B4 = "10.250.0.2";
    public static final String OUTER_A6 = "fd00:250::1";
    public static final String OUTER_B6 = "fd00:250::2";
    public static final String INNER_A4 = "10.251.0.1";
    public static final String INNER_B4 = "10.251.0.2";
    public static final String INNER_A6 = "fd00:251::1";
    public static final String INNER_B6 = "fd00:251::2";

    private final Closer resources = new Closer("closing the pair");
    private final Builder options;
    private Netns nsA;
    private Netns nsB;
    private Netns.Veth veth;
    private Daemon a;
    private Daemon b;
    private final WgKeyPair keysA = WgKeyPair.generate();
    private final WgKeyPair keysB = WgKeyPair.generate();

    private Pair(Builder options) {
        this.options = options;
    }

    /** A builder; by default jwg on both sides, IPv4 outer, both endpoints set, no keepalive. */
    public static Builder builder() {
        return new Builder();
    }

    /** Outer address family: IPv4 or IPv6 endpoints. */
    public enum Family {
        V4, V6
    }

    /** Options of a {@link Pair}. */
    public static final class Builder {
        private Function<Netns, Daemon> factoryA = Daemons.jwgFactory();
        private Function<Netns, Daemon> factoryB = Daemons.jwgFactory();
        private Family outer = Family.V4;
        private boolean endpointOnA = true;
        private boolean endpointOnB = true;
        private int keepalive;
        private boolean bUp = true;

        private Builder() {
        }

        /** How side a's daemon is started. */
        public Builder a(Function<Netns, Daemon> factory) {
            this.factoryA = factory;
            return this;
        }

        /** How side b's daemon is started. */
        public Builder b(Function<Netns, Daemon> factory) {
            this.factoryB = factory;
            return this;
        }

        /** The family of the endpoints configured. */
        public Builder outer(Family family) {
            this.outer = family;
            return this;
        }

        /** Only side a knows b's endpoint, so only a can initiate; b learns a's from the handshake. */
        public Builder onlyAKnowsEndpoint() {
            endpointOnA = true;
            endpointOnB = false;
            return this;
        }

        /** Only side b knows a's endpoint. */
        public Builder onlyBKnowsEndpoint() {
            endpointOnA = false;
            endpointOnB = true;
            return this;
        }

        /** Side b configured but its link left down, without addresses: the test brings it up. */
        public Builder bDown() {
            this.bUp = false;
            return this;
        }

        /** persistent-keepalive (seconds) on both sides; 0 is off. */
        public Builder keepalive(int seconds) {
            this.keepalive = seconds;
            return this;
        }

        /** Builds the topology; on failure closes whatever was made and rethrows. */
        public Pair build() {
            return Setup.orClose(new Pair(this), Pair::setUp);
        }
    }

    private void setUp() {
        nsA = track(Netns.create());
        nsB = track(Netns.create());
        veth = nsA.veth(nsB, OUTER_A4 + "/24", OUTER_B4 + "/24");
        nsA.execOk("ip", "-6", "addr", "add", OUTER_A6 + "/64", "dev", veth.here(), "nodad");
        nsB.execOk("ip", "-6", "addr", "add", OUTER_B6 + "/64", "dev", veth.there(), "nodad");
        a = track(options.factoryA.apply(nsA));
        b = track(options.factoryB.apply(nsB));
        boolean v6 = options.outer == Family.V6;
        configure(a, keysA, PORT, keysB, options.endpointOnA ? endpoint(v6 ? OUTER_B6 : OUTER_B4, PORT) : null,
                INNER_B4 + "/32," + INNER_B6 + "/128", 0);
        configure(b, keysB, PORT, keysA, options.endpointOnB ? endpoint(v6 ? OUTER_A6 : OUTER_A4, PORT) : null,
                INNER_A4 + "/32," + INNER_A6 + "/128", 0);
        if (options.keepalive > 0) {
            // Only now: a keepalive sends an initiation at once, lost if the other side were not configured yet.
            String seconds = Integer.toString(options.keepalive);
            a.wgOk("set", a.ifname(), "peer", keysB.publicKey(), "persistent-keepalive", seconds);
            b.wgOk("set", b.ifname(), "peer", keysA.publicKey(), "persistent-keepalive", seconds);
        }
        a.up(INNER_A4 + "/24");
        a.addAddress(INNER_A6 + "/64");
        if (options.bUp) {
            b.up(INNER_B4 + "/24");
            b.addAddress(INNER_B6 + "/64");
        }
    }

    /**
     * Configures {@code daemon} the way users do: private key from a file, then one {@code wg set}
     * with listen-port and the peer ({@code endpoint} may be null, {@code keepalive} 0 for none).
     */
    public static void configure(Daemon daemon, WgKeyPair own, int listenPort, WgKeyPair peer, String endpoint,
            String allowedIps, int keepalive) {
        daemon.setPrivateKey(own.privateKey());
        List<String> args = new ArrayList<>(List.of("set", daemon.ifname(), "listen-port", Integer.toString(listenPort),
                "peer", peer.publicKey(), "allowed-ips", allowedIps));
        if (endpoint != null) {
            args.addAll(List.of("endpoint", endpoint));
        }
        if (keepalive > 0) {
            args.addAll(List.of("persistent-keepalive", Integer.toString(keepalive)));
        }
        daemon.wgOk(args.toArray(String[]::new));
    }

    /** {@code host:port}, with brackets around an IPv6 host. */
    public static String endpoint(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    public Netns nsA() {
        return nsA;
    }

    public Netns nsB() {
        return nsB;
    }

    /** Side a's end of the veth pair (in {@link #nsA()}); {@link Netns.Veth#there()} is b's. */
    public Netns.Veth veth() {
        return veth;
    }

    public Daemon a() {
        return a;
    }

    public Daemon b() {
        return b;
    }

    public WgKeyPair keysA() {
        return keysA;
    }

    public WgKeyPair keysB() {
        return keysB;
    }

    /** Pings {@code target} from {@code ns} ({@code count} echoes, 2 s wait each); the result, not asserted. */
    public static ExecResult ping(Netns ns, String target, int count, String... extra) {
        List<String> command = new ArrayList<>(List.of("ping", "-c", Integer.toString(count), "-W", "2", "-i", "0.2"));
        command.addAll(List.of(extra));
        command.add(target);
        return ns.exec(Duration.ofSeconds(3L * count + 10), command.toArray(String[]::new));
    }

    /** Asserts that a ping from {@code ns} to {@code target} gets its replies. */
    public void pingOk(Netns ns, String target, String... extra) {
        ExecResult result = ping(ns, target, 2, extra);
        if (!result.ok()) {
            throw new AssertionError(result.describe() + "\n" + describe());
        }
    }

    /** Both daemons' state and logs, for failure messages. */
    public String describe() {
        return (a == null ? "" : a.describe()) + "\n" + (b == null ? "" : b.describe());
    }

    private <T extends AutoCloseable> T track(T resource) {
        return resources.track(resource);
    }

    @Override
    public void close() {
        resources.close();
    }
}
