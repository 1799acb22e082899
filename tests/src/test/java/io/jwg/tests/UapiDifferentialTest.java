package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwg.tests.support.Await;
import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.WgKeyPair;
import io.jwg.tests.support.WireGuardGo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * jwg's UAPI against Debian's wireguard-go 0.0.20220316: both real daemons ({@code bin/jwg -f IF}
 * and {@code wireguard-go -f IF}), each in its own namespace with its link up (so each has bound
 * its UDP sockets), get the same {@code wg} commands and raw payloads, and exit codes,
 * {@code wg} stderr, {@code wg showconf} (peers as a set), raw replies and the fwmark on their UDP
 * sockets must be identical. Only what is inherently different is normalized: the interface
 * name, a randomly chosen listen port, and peer order (a Go map's).
 *
 * <p>The socket file's life (stale replaced, live refused, deletion ends the daemon) is
 * {@link DaemonLifecycleTest}'s.
 *
 * <p>Known, deliberate divergence: {@code allowed_ip=-CIDR} (newer wireguard-go) is EINVAL in
 * 0.0.20220316 and accepted by jwg; it is asserted for jwg alone.
 */
class UapiDifferentialTest {
    private static final String PSK = "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2M=";

    private static final Pattern FWMARK = Pattern.compile("fwmark:(0x[0-9a-f]+)");

    private Netns referenceNs;
    private Netns jwgNs;
    private Daemon reference;
    private Daemon jwg;
    private final List<Path> files = new ArrayList<>();
    private boolean randomPort = true;

    @BeforeEach
    void start() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("python3", "ss");
        referenceNs = Netns.create();
        jwgNs = Netns.create();
        reference = WireGuardGo.start(referenceNs);
        jwg = Daemons.jwg(jwgNs);
        for (Daemon daemon : List.of(reference, jwg)) {
            // Up, so that each binds its UDP port and a taken port or a fwmark has a socket to act on.
            daemon.netns().execOk("ip", "link", "set", daemon.ifname(), "up");
        }
        for (Daemon daemon : List.of(reference, jwg)) {
            Await.assertWithin(Duration.ofSeconds(10), () -> !udpSockets(daemon).isEmpty(),
                    () -> daemon + " bound no UDP socket after link up\n" + daemon.describe());
        }
    }

    @AfterEach
    void stop() throws IOException {
        for (AutoCloseable closeable : new AutoCloseable[] {jwg, reference, jwgNs, referenceNs}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                // keep cleaning up
            }
        }
        for (Path file : files) {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void shouldMatchWireGuardGoForEveryWgSetKey() {
        WgKeyPair own = WgKeyPair.generate();
        WgKeyPair a = WgKeyPair.generate();
        WgKeyPair b = WgKeyPair.generate();
        String ownKey = file(own.privateKey());
        String psk = file(PSK);
        both("set", "IF", "private-key", ownKey);
        both("set", "IF", "listen-port", "0");
        both("set", "IF", "fwmark", "0x1234");
        assertSameMarks("0x1234");
        both("set", "IF", "peer", a.publicKey(), "endpoint", "192.0.2.1:51820", "allowed-ips", "10.0.0.0/8,fd00::/64",
                "persistent-keepalive", "25", "preshared-key", psk);
        both("set", "IF", "peer", b.publicKey(), "endpoint", "[2001:db8::1]:7", "allowed-ips", "10.1.0.0/16,10.0.0.0/8");
        both("set", "IF", "peer", b.publicKey(), "endpoint", "[::ffff:192.0.2.7]:9", "allowed-ips", "::ffff:10.0.0.0/104");
        both("set", "IF", "peer", a.publicKey(), "persistent-keepalive", "off", "preshared-key", "/dev/null");
        both("set", "IF", "fwmark", "off");
        assertSameMarks("none");
        both("set", "IF", "peer", own.publicKey(), "allowed-ips", "10.9.0.0/16"); // our own key: ignored
        both("set", "IF", "peer", a.publicKey(), "allowed-ips", "");
        both("set", "IF", "peer", b.publicKey(), "remove");
        both("set", "IF", "peer", b.publicKey(), "remove"); // absent: nothing to do
        both("set", "IF", "peer", a.publicKey(), "endpoint", "nonsense");
        both("set", "IF", "peer", a.publicKey(), "allowed-ips", "10.0.0.0/33");
        both("set", "IF", "listen-port", "70000");
        both("set", "IF", "private-key", "/dev/null");
        randomPort = false;
        both("set", "IF", "listen-port", "39123");
    }

    @Test
    void shouldMatchWireGuardGoForConfigFiles() {
        WgKeyPair a = WgKeyPair.generate();
        WgKeyPair b = WgKeyPair.generate();
        WgKeyPair c = WgKeyPair.generate();
        String first = file("[Interface]\nPrivateKey = " + WgKeyPair.generate().privateKey() + "\nFwMark = 7\n\n"
                + "[Peer]\nPublicKey = " + a.publicKey() + "\nAllowedIPs = 10.0.0.0/8, 10.1.0.0/16\nEndpoint = [fe80::1%lo]:5\n\n"
                + "[Peer]\nPublicKey = " + b.publicKey() + "\nPresharedKey = " + PSK + "\nAllowedIPs = 10.1.0.0/16\n"
                + "PersistentKeepalive = 5\n");
        String more = file("[Peer]\nPublicKey = " + c.publicKey() + "\nAllowedIPs = 10.0.0.0/8\n");
        String fewer = file("[Interface]\n[Peer]\nPublicKey = " + b.publicKey() + "\nAllowedIPs = 10.2.0.0/16\n");
        both("setconf", "IF", first);
        both("addconf", "IF", more);
        both("syncconf", "IF", fewer);
        both("setconf", "IF", first);
        both("setconf", "IF", file("[Interface]\nBogus = 1\n"));
    }

    @Test
    void shouldMatchWireGuardGoForRawPayloads() {
        String a = "11".repeat(32);
        String b = "AB".repeat(32);
        String[] payloads = {
            "get=1\n\n",
            "set=1\nprivate_key=" + "aa".repeat(32) + "\npublic_key=" + a + "\nendpoint=1.2.3.4:0\nallowed_ip=10.9.9.9/24\n"
                + "allowed_ip=10.0.0.0/08\nallowed_ip=::ffff:10.1.2.3/128\nallowed_ip=00001::/+128\npersistent_keepalive_interval=3\n\n",
            "set=1\npublic_key=" + b + "\nupdate_only=true\nallowed_ip=10.3.0.0/16\n\n",
            "set=1\npublic_key=" + b + "\nallowed_ip=10.0.0.0/8\nprotocol_version=1\n\n",
            "set=1\npublic_key=" + a + "\nreplace_allowed_ips=true\nallowed_ip=1::2:3.4.5.6/128\npreshared_key=" + b + "\n\n",
            "set=1\nfwmark=4294967295\n\n",
            "set=1\nfwmark=4294967296\n\n",
            "set=1\nlisten_port=+1\n\n",
            "set=1\nno equals sign\nfwmark=1\n\n",
            "set=1\npublic_key=" + a + "\nprivate_key=" + a + "\n\n",
            "set=1\npublic_key=" + a + "\nallowed_ip=10.4.0.0/16\nallowed_ip=1.2.3.4\nallowed_ip=10.5.0.0/16\n\n",
            "set=1\npublic_key=" + a + "\nendpoint=[1.2.3.4]:5\n\n",
            "set=1\npublic_key=" + a + "\nendpoint=::1:5\n\n",
            "set=1\npublic_key=" + a + "\nendpoint=[::1]:65536\n\n",
            "set=1\npublic_key=" + a + "\nprotocol_version=2\n\n",
            "set=1\npublic_key=" + a + "\nremove=yes\n\n",
            "set=1\npublic_key=" + "aa".repeat(31) + "\n\n",
            "set=1\nreplace_peers=true\npublic_key=" + b + "\n\n",
            "set=1\nlisten_port=12\r\n\n",
            "get=1\nx",
            "get=1\n\n",
            "set=1\r\n",
            "bogus\n",
            "set=1\nprivate_key=" + "00".repeat(32) + "\n\n",
        };
        for (String payload : payloads) {
            String expected = normalizeReply(raw(reference, payload));
            String actual = normalizeReply(raw(jwg, payload));
            assertEquals(expected, actual, "reply to " + payload.replace("\n", "\\n"));
            randomPort = !payload.contains("listen_port=12") && randomPort;
        }
        both("showconf", "IF");
    }

    @Test
    void shouldMarkTheUdpSocketsLikeWireGuardGo() {
        both("set", "IF", "fwmark", "0x51820");
        assertSameMarks("0x51820");
        // A new listen port means new sockets: they must carry the mark too.
        both("set", "IF", "listen-port", "0");
        assertSameMarks("0x51820");
        both("set", "IF", "fwmark", "1");
        assertSameMarks("0x1");
        // Down closes the sockets, up binds new ones: still marked.
        for (Daemon daemon : List.of(reference, jwg)) {
            daemon.netns().execOk("ip", "link", "set", daemon.ifname(), "down");
            daemon.netns().execOk("ip", "link", "set", daemon.ifname(), "up");
        }
        for (Daemon daemon : List.of(reference, jwg)) {
            Await.assertWithin(Duration.ofSeconds(10), () -> marks(daemon).equals(new TreeSet<>(List.of("0x1"))),
                    () -> daemon + " sockets after down/up: " + marks(daemon) + "\n" + daemon.describe());
        }
        both("set", "IF", "fwmark", "0");
        assertSameMarks("none");
        both("set", "IF", "fwmark", "0xffffffff");
        assertSameMarks("0xffffffff");
    }

    @Test
    void shouldMatchWireGuardGoWhenTheListenPortIsTaken() throws Exception {
        int port = 39_000 + (int) (ProcessHandle.current().pid() % 500);
        AutoCloseable busyThere = occupyPort(reference.netns(), port);
        AutoCloseable busyHere = occupyPort(jwg.netns(), port);
        try {
            both("set", "IF", "listen-port", String.valueOf(port));
        } finally {
            busyHere.close();
            busyThere.close();
        }
        randomPort = false;
        both("set", "IF", "listen-port", String.valueOf(port));
    }

    @Test
    void shouldRemoveOnePrefixWithTheNewerMinusSyntax() {
        assumeTrue(Daemons.jwgIsReal(), "a deliberate divergence from wireguard-go 0.0.20220316");
        String a = "11".repeat(32);
        assertEquals("errno=0\n\n", raw(jwg, "set=1\npublic_key=" + a + "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.1.0.0/16\n"
                + "allowed_ip=-10.0.0.0/8\n\n"));
        assertEquals("errno=-22\n\n", raw(reference, "set=1\npublic_key=" + a + "\nallowed_ip=-10.0.0.0/8\n\n"));
        ExecResult ips = wg(jwg, "show", jwg.ifname(), "allowed-ips");
        assertTrue(ips.stdout().strip().endsWith("10.1.0.0/16"), ips.describe());
    }

    @Test
    void shouldMatchWireGuardGoAtScale() {
        StringBuilder peers = new StringBuilder("[Interface]\n");
        for (int i = 0; i < 1000; i++) {
            peers.append("[Peer]\nPublicKey = ").append(WgKeyPair.generate().publicKey())
                    .append("\nAllowedIPs = 10.").append(i >> 8).append('.').append(i & 0xFF).append(".0/24\n");
        }
        both("setconf", "IF", file(peers.toString()));
        StringBuilder ips = new StringBuilder();
        for (int i = 0; i < 130_561; i++) {
            ips.append(i == 0 ? "" : ",").append("10.").append(i >> 16).append('.').append((i >> 8) & 0xFF).append('.')
                    .append(i & 0xFF).append("/32");
        }
        both("setconf", "IF", file("[Interface]\n[Peer]\nPublicKey = " + WgKeyPair.generate().publicKey()
                + "\nAllowedIPs = " + ips + "\n"));
        ExecResult shown = wg(jwg, "show", jwg.ifname(), "allowed-ips");
        assertEquals(130_561, shown.stdout().split(" ").length, "every prefix listed");
        assertEquals(wg(reference, "show", reference.ifname(), "allowed-ips").stdout(), shown.stdout());
    }

    /**
     * Only the owner may connect, to either. wireguard-go's socket is {@code rwx------} (umask 077
     * over the 0777 Go binds with); jwg's is {@code rw-------} as DESIGN.md specifies. Execute
     * means nothing on a socket, so the difference is invisible to {@code wg} and is not compared.
     */
    @Test
    void shouldKeepTheSocketFileAsWireGuardGoDoes() throws IOException {
        for (Daemon daemon : List.of(reference, jwg)) {
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket()));
            assertEquals("rw-------", mode.substring(0, 2) + "-" + mode.substring(3), daemon + " socket " + mode);
        }
        assumeTrue(Daemons.jwgIsReal(), "jwg's own mode, below");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(jwg.socket())));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(jwg.socket().getParent())));
        // wg lists both, by socket, from any namespace.
        String interfaces = jwg.wgOk("show", "interfaces").stdout();
        assertTrue(interfaces.contains(jwg.ifname()) && interfaces.contains(reference.ifname()), interfaces);
    }

    // ---- helpers ----

    /** Runs {@code wg args} (IF = the interface) on both and asserts identical outcomes and state. */
    private void both(String... args) {
        ExecResult expected = wg(reference, substitute(args, reference.ifname()));
        ExecResult actual = wg(jwg, substitute(args, jwg.ifname()));
        String what = String.join(" ", args);
        assertEquals(expected.exitCode(), actual.exitCode(), what + "\n" + expected.describe() + "\n" + actual.describe());
        assertEquals(expected.stderr().replace(reference.ifname(), "IF"), actual.stderr().replace(jwg.ifname(), "IF"), what);
        assertEquals(showconf(reference), showconf(jwg), "showconf after " + what);
    }

    private static String[] substitute(String[] args, String ifname) {
        String[] out = args.clone();
        for (int i = 0; i < out.length; i++) {
            if (out[i].equals("IF")) {
                out[i] = ifname;
            }
        }
        return out;
    }

    private static ExecResult wg(Daemon target, String... args) {
        return target.wg(args);
    }

    /** Asserts both daemons' UDP sockets carry {@code mark} ({@code none} for no mark). */
    private void assertSameMarks(String mark) {
        TreeSet<String> expected = marks(reference);
        assertEquals(new TreeSet<>(List.of(mark)), expected, "wireguard-go's sockets: " + udpSockets(reference));
        assertEquals(expected, marks(jwg), "jwg's sockets: " + udpSockets(jwg));
    }

    /** The distinct fwmarks ({@code none} when unmarked) of {@code daemon}'s UDP sockets. */
    private static TreeSet<String> marks(Daemon daemon) {
        TreeSet<String> marks = new TreeSet<>();
        for (String socket : udpSockets(daemon)) {
            Matcher matcher = FWMARK.matcher(socket);
            marks.add(matcher.find() ? matcher.group(1) : "none");
        }
        return marks;
    }

    /** {@code ss -uanpe} lines of {@code daemon}'s UDP sockets, in its namespace. */
    private static List<String> udpSockets(Daemon daemon) {
        String owner = "pid=" + daemon.pid() + ",";
        return daemon.netns().exec("ss", "-Huanpe").stdout().lines().filter(line -> line.contains(owner)).toList();
    }

    /** Binds UDP {@code port} (both families) inside {@code ns} until closed: a sleeping python holds it. */
    private static AutoCloseable occupyPort(Netns ns, int port) {
        Process process;
        try {
            process = new ProcessBuilder(ns.command("python3", "-c",
                    "import socket,time\n"
                    + "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
                    + "s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\n"
                    + "s.bind(('::'," + port + "))\nprint('ok',flush=True)\ntime.sleep(600)"))
                    .redirectErrorStream(true).start();
            String ready = new String(process.getInputStream().readNBytes(3), StandardCharsets.US_ASCII);
            if (!ready.equals("ok\n")) {
                process.destroyForcibly();
                throw new IllegalStateException("cannot occupy port " + port + " in " + ns + ": " + ready);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return () -> {
            process.destroyForcibly();
            process.waitFor();
        };
    }

    /** {@code wg showconf} with peers as a sorted set and a random listen port masked. */
    private String showconf(Daemon target) {
        ExecResult result = wg(target, "showconf", target.ifname());
        String[] sections = result.stdout().split("\n(?=\\[Peer\\])");
        String head = sections[0];
        if (randomPort) {
            head = head.replaceAll("ListenPort = \\d+", "ListenPort = *");
        }
        TreeSet<String> peers = new TreeSet<>(List.of(sections).subList(1, sections.length));
        return result.exitCode() + "\n" + head + "\n" + String.join("\n", peers);
    }

    /** A get reply with peers as a sorted set and a random listen port masked; others unchanged. */
    private String normalizeReply(String reply) {
        String[] blocks = reply.split("(?m)^(?=public_key=)");
        if (blocks.length == 1) {
            return mask(reply);
        }
        String last = blocks[blocks.length - 1];
        int errno = last.indexOf("errno=");
        String tail = errno < 0 ? "" : last.substring(errno);
        blocks[blocks.length - 1] = errno < 0 ? last : last.substring(0, errno);
        TreeSet<String> peers = new TreeSet<>(List.of(blocks).subList(1, blocks.length));
        return mask(blocks[0]) + String.join("", peers) + tail;
    }

    private String mask(String text) {
        return randomPort ? text.replaceAll("listen_port=\\d+", "listen_port=*") : text;
    }

    private String file(String content) {
        try {
            Path file = Files.createTempFile("jwgt-uapi", ".conf",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, content.endsWith("\n") ? content : content + "\n");
            files.add(file);
            return file.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String raw(Daemon target, String payload) {
        return raw(target.socket(), payload);
    }

    /** Sends {@code payload}, half-closes, and reads until the daemon closes or 2 s of silence. */
    private static String raw(Path socket, String payload) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap(payload.getBytes(StandardCharsets.ISO_8859_1)));
            channel.shutdownOutput();
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            while (channel.read(buf) >= 0 && buf.hasRemaining()) {
                // until EOF: both close once input ends
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
