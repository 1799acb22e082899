package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.InProcessJwg;
import io.jwg.tests.support.Netns;
import io.jwg.tests.support.UapiTarget;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * jwg's UAPI against Debian's wireguard-go 0.0.20220316: the same {@code wg} commands and raw
 * payloads go to both, and exit codes, {@code wg} stderr, {@code wg showconf} (peers as a set)
 * and raw replies must be identical. Only what is inherently different is normalized: the
 * interface name, a randomly chosen listen port, and peer order (a Go map's).
 *
 * <p>Known, deliberate divergence: {@code allowed_ip=-CIDR} (newer wireguard-go) is EINVAL in
 * 0.0.20220316 and accepted by jwg; it is asserted for jwg alone.
 */
class UapiDifferentialTest {
    private static final String PSK = "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2M=";

    private Netns netns;
    private UapiTarget reference;
    private InProcessJwg jwg;
    private final List<Path> files = new ArrayList<>();
    private boolean randomPort = true;

    @BeforeEach
    void start() {
        Environment.requireWireGuardGoInterop();
        Environment.requireCommands("python3");
        netns = Netns.create();
        WireGuardGo wireGuardGo = WireGuardGo.start(netns);
        reference = UapiTarget.of(wireGuardGo);
        netns.execOk("ip", "link", "set", wireGuardGo.ifname(), "up"); // binds its UDP port, as jwg's device is
        jwg = InProcessJwg.start();
    }

    @AfterEach
    void stop() throws IOException {
        for (AutoCloseable closeable : new AutoCloseable[] {jwg, reference, netns}) {
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
        both("set", "IF", "peer", a.publicKey(), "endpoint", "192.0.2.1:51820", "allowed-ips", "10.0.0.0/8,fd00::/64",
                "persistent-keepalive", "25", "preshared-key", psk);
        both("set", "IF", "peer", b.publicKey(), "endpoint", "[2001:db8::1]:7", "allowed-ips", "10.1.0.0/16,10.0.0.0/8");
        both("set", "IF", "peer", b.publicKey(), "endpoint", "[::ffff:192.0.2.7]:9", "allowed-ips", "::ffff:10.0.0.0/104");
        both("set", "IF", "peer", a.publicKey(), "persistent-keepalive", "off", "preshared-key", "/dev/null");
        both("set", "IF", "fwmark", "off");
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
    void shouldMatchWireGuardGoWhenTheListenPortIsTaken() throws Exception {
        int port = 39_000 + (int) (ProcessHandle.current().pid() % 500);
        AutoCloseable busyThere = reference.occupyPort(port);
        AutoCloseable busyHere = jwg.occupyPort(port);
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

    @Test
    void shouldKeepTheSocketFileAsWgExpects() throws Exception {
        Path socket = jwg.socket();
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
        // A second jwg on the same live socket is refused; wg still reaches the first.
        IOException refused = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> io.jwg.uapi.UapiServer.bind(jwg.ifname(), new io.jwg.tests.support.UdpUapiDevice(), () -> { }));
        assertTrue(refused.getMessage().contains("in use"), refused.getMessage());
        assertTrue(wg(jwg, "show", jwg.ifname()).ok());
        // Deleting the socket tells the daemon to exit.
        Files.delete(socket);
        assertTrue(jwg.socketDeleted().await(5, TimeUnit.SECONDS), "deletion noticed");
        assertTrue(wg(jwg, "show", "interfaces").stdout().indexOf(jwg.ifname()) < 0);
    }

    @Test
    void shouldReplaceAStaleSocket() throws IOException {
        String ifname = WireGuardGo.uniqueIfname();
        Path path = WireGuardGo.SOCKET_DIR.resolve(ifname + ".sock");
        java.nio.channels.ServerSocketChannel crashed = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        crashed.bind(UnixDomainSocketAddress.of(path));
        crashed.close();
        files.add(path);
        try (io.jwg.tests.support.UdpUapiDevice device = new io.jwg.tests.support.UdpUapiDevice();
             io.jwg.uapi.UapiServer server = io.jwg.uapi.UapiServer.bind(ifname, device, () -> { })) {
            assertEquals(path, server.socketPath());
            assertEquals("errno=0\n\n", normalizeReply(raw(path, "set=1\nfwmark=0\n\n")));
        }
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

    private static ExecResult wg(UapiTarget target, String... args) {
        List<String> command = new ArrayList<>(List.of("wg"));
        command.addAll(List.of(args));
        return Exec.run(Duration.ofSeconds(60), null, command);
    }

    /** {@code wg showconf} with peers as a sorted set and a random listen port masked. */
    private String showconf(UapiTarget target) {
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

    private static String raw(UapiTarget target, String payload) {
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
