package io.jwg.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.core.crypto.X25519;
import io.jwg.core.tunnel.Tunnel;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text protocol through a real socket, replies compared byte for byte with wireguard-go's. */
class UapiProtocolTest {
    static final String A = "11".repeat(32);
    static final String B = "22".repeat(32);
    static final String ZERO = "00".repeat(32);
    static final String PEER_DEFAULTS = "protocol_version=1\n";
    static final String COUNTERS = "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n";

    @TempDir
    Path dir;
    TestDevice device;
    UapiServer server;

    @BeforeEach
    void start() throws IOException {
        device = new TestDevice();
        server = UapiServer.bind(dir, "wgu0", device, UapiServer.Options.DEFAULT, () -> { });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    static String peer(String pub, String psk, String endpoint, int keepalive, String... ips) {
        StringBuilder sb = new StringBuilder("public_key=" + pub + "\npreshared_key=" + psk + "\n" + PEER_DEFAULTS);
        if (endpoint != null) {
            sb.append("endpoint=").append(endpoint).append('\n');
        }
        sb.append(COUNTERS).append("persistent_keepalive_interval=").append(keepalive).append('\n');
        for (String ip : ips) {
            sb.append("allowed_ip=").append(ip).append('\n');
        }
        return sb.toString();
    }

    String exchange(String request) throws IOException {
        return Client.exchange(server.socketPath(), request);
    }

    String get() throws IOException {
        return exchange("get=1\n\n");
    }

    @Test
    void shouldReportEachChangeInWireGuardGosWordsWithoutKeys() throws IOException {
        String psk = "33".repeat(32);
        String request = "set=1\nprivate_key=" + "aa".repeat(32) + "\nlisten_port=51820\nfwmark=1\nreplace_peers=true\n"
                + "public_key=" + A + "\npreshared_key=" + psk + "\nendpoint=192.0.2.1:1\npersistent_keepalive_interval=5\n"
                + "replace_allowed_ips=true\nallowed_ip=10.0.0.0/8\nallowed_ip=-10.0.0.0/8\n"
                + "public_key=" + A + "\nremove=true\n\n";

        assertEquals("errno=0\n\n", exchange(request));

        assertEquals(List.of("UAPI: Updating private key", "UAPI: Updating listen port", "UAPI: Updating fwmark",
                "UAPI: Removing all peers", "1111 UAPI: Created", "1111 UAPI: Updating preshared key",
                "1111 UAPI: Updating endpoint", "1111 UAPI: Updating persistent keepalive interval",
                "1111 UAPI: Removing all allowedips", "1111 UAPI: Adding allowedip", "1111 UAPI: Removing allowedip",
                "1111 UAPI: Removing"), device.events);
    }

    @Test
    void shouldPrintAnEmptyDeviceAsJustErrno() throws IOException {
        assertEquals("errno=0\n\n", get());
    }

    @Test
    void shouldSetAndPrintEveryKey() throws IOException {
        String request = "set=1\nprivate_key=" + "aa".repeat(32) + "\nlisten_port=51820\nfwmark=4294967295\n"
                + "public_key=" + A + "\npreshared_key=" + "33".repeat(32) + "\nendpoint=[fe80::1%1]:51820\n"
                + "persistent_keepalive_interval=25\nallowed_ip=10.0.0.1/24\nallowed_ip=fd00::/64\nprotocol_version=1\n"
                + "public_key=" + B + "\nendpoint=192.0.2.1:0\nallowed_ip=0.0.0.0/0\n\n";
        assertEquals("errno=0\n\n", exchange(request));
        assertEquals("private_key=a8" + "aa".repeat(30) + "6a\nlisten_port=51820\nfwmark=4294967295\n"
                + peer(A, "33".repeat(32), "[fe80::1]:51820", 25, "10.0.0.0/24", "fd00::/64")
                + peer(B, ZERO, "192.0.2.1:0", 0, "0.0.0.0/0") + "errno=0\n\n", get());
        assertEquals(2, device.changed.size());
    }

    @Test
    void shouldClearKeysAndMarksWithZeros() throws IOException {
        exchange("set=1\nprivate_key=" + "aa".repeat(32) + "\nfwmark=7\npublic_key=" + A + "\npreshared_key=" + "44".repeat(32) + "\n\n");
        assertEquals("errno=0\n\n", exchange("set=1\nprivate_key=" + ZERO + "\nfwmark=0\npublic_key=" + A + "\npreshared_key=" + ZERO + "\n\n"));
        assertEquals(peer(A, ZERO, null, 0) + "errno=0\n\n", get());
    }

    @Test
    void shouldAcceptUppercaseHexAndRejectOtherKeyLengths() throws IOException {
        assertEquals("errno=0\n\n", exchange("set=1\npublic_key=" + "AB".repeat(32) + "\n\n"));
        assertEquals("errno=-22\n\n", exchange("set=1\npublic_key=" + "ab".repeat(31) + "\n\n"));
        assertEquals("errno=-22\n\n", exchange("set=1\npublic_key=" + "ab".repeat(32) + "a\n\n"));
        assertEquals("errno=-22\n\n", exchange("set=1\nprivate_key=" + "ag".repeat(32) + "\n\n"));
        assertEquals("errno=-22\n\n", exchange("set=1\nprivate_key=\n\n"));
        assertEquals(peer("ab".repeat(32), ZERO, null, 0) + "errno=0\n\n", get());
    }

    @Test
    void shouldKeepLinesAppliedBeforeAnErrorAndSkipTheRest() throws IOException {
        assertEquals("errno=-71\n\n", exchange("set=1\nlisten_port=7\nnonsense\nfwmark=3\n\n"));
        assertEquals("listen_port=7\nerrno=0\n\n", get());
        assertEquals("errno=-22\n\n", exchange("set=1\npublic_key=" + A + "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.0.0.1\nallowed_ip=10.1.0.0/16\n\n"));
        assertEquals("listen_port=7\n" + peer(A, ZERO, null, 0, "10.0.0.0/8") + "errno=0\n\n", get());
    }

    @Test
    void shouldRejectUnknownKeysAndBadValues() throws IOException {
        String[] bad = {"public_key=" + A + "\nprivate_key=" + A, "listen_port=65536", "listen_port=+1", "listen_port=",
            "fwmark=4294967296", "fwmark=-1", "replace_peers=false", "bogus=1",
            "public_key=" + A + "\nupdate_only=1", "public_key=" + A + "\nremove=yes",
            "public_key=" + A + "\nreplace_allowed_ips=TRUE", "public_key=" + A + "\nprotocol_version=2",
            "public_key=" + A + "\npersistent_keepalive_interval=65536", "public_key=" + A + "\nendpoint=1.2.3.4",
            "public_key=" + A + "\nendpoint=::1:5", "public_key=" + A + "\nendpoint=[1.2.3.4]:5",
            "public_key=" + A + "\nendpoint=01.2.3.4:5", "public_key=" + A + "\nendpoint=host:5",
            "public_key=" + A + "\nallowed_ip=10.0.0.0/33", "public_key=" + A + "\nallowed_ip=fe80::1%1/64",
            "public_key=" + A + "\nallowed_ip=1:2:3:4:5:6:7::8/128", "public_key=" + A + "\nbogus=1"};
        for (String lines : bad) {
            assertEquals("errno=-22\n\n", exchange("set=1\n" + lines + "\n\n"), lines);
        }
    }

    @Test
    void shouldParsePrefixesAsGoDoes() throws IOException {
        exchange("set=1\npublic_key=" + A + "\nallowed_ip=10.0.0.0/08\nallowed_ip=10.1.0.0/+16\nallowed_ip=::ffff:10.1.2.3/128\n"
                + "allowed_ip=::ffff:10.0.0.0/104\nallowed_ip=00001::/128\nallowed_ip=1::2:3.4.5.6/128\nallowed_ip=ABCD::/16\n"
                + "allowed_ip=1.2.3.4/-0\n\n");
        assertEquals(peer(A, ZERO, null, 0, "10.0.0.0/8", "10.1.0.0/16", "::ffff:10.1.2.3/128", "::ffff:10.0.0.0/104",
                "1::/128", "1::2:304:506/128", "abcd::/16", "0.0.0.0/0") + "errno=0\n\n", get());
    }

    @Test
    void shouldPrintMappedAndIpv6Endpoints() throws IOException {
        exchange("set=1\npublic_key=" + A + "\nendpoint=[::ffff:1.2.3.4]:51\npublic_key=" + B + "\nendpoint=[0:0::0:1]:051\n\n");
        assertEquals(peer(A, ZERO, "[::ffff:1.2.3.4]:51", 0) + peer(B, ZERO, "[::1]:51", 0) + "errno=0\n\n", get());
    }

    @Test
    void shouldMoveAPrefixToItsNewPeerAndRemoveOnlyOwnPrefixes() throws IOException {
        exchange("set=1\npublic_key=" + A + "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.1.0.0/16\npublic_key=" + B + "\nallowed_ip=10.0.0.0/8\n\n");
        assertEquals(peer(A, ZERO, null, 0, "10.1.0.0/16") + peer(B, ZERO, null, 0, "10.0.0.0/8") + "errno=0\n\n", get());
        assertEquals("errno=0\n\n", exchange("set=1\npublic_key=" + A + "\nallowed_ip=-10.0.0.0/8\nallowed_ip=-10.1.0.0/16\n\n"));
        assertEquals(peer(A, ZERO, null, 0) + peer(B, ZERO, null, 0, "10.0.0.0/8") + "errno=0\n\n", get());
    }

    @Test
    void shouldReplaceAllowedIpsAndPeers() throws IOException {
        exchange("set=1\npublic_key=" + A + "\nallowed_ip=10.0.0.0/8\npublic_key=" + B + "\n\n");
        exchange("set=1\npublic_key=" + A + "\nreplace_allowed_ips=true\nallowed_ip=10.2.0.0/16\n\n");
        assertEquals(peer(A, ZERO, null, 0, "10.2.0.0/16") + peer(B, ZERO, null, 0) + "errno=0\n\n", get());
        assertEquals("errno=0\n\n", exchange("set=1\nreplace_peers=true\npublic_key=" + B + "\n\n"));
        assertEquals(peer(B, ZERO, null, 0) + "errno=0\n\n", get());
        assertEquals(2, device.removed.size());
        assertEquals(0, device.engine.allowedIps().size());
    }

    @Test
    void shouldRemovePeersAndCreateNothingWhenUpdateOnly() throws IOException {
        exchange("set=1\npublic_key=" + A + "\nallowed_ip=10.0.0.0/8\n\n");
        assertEquals("errno=0\n\n", exchange("set=1\npublic_key=" + B + "\nupdate_only=true\nallowed_ip=10.9.0.0/16\n"
                + "public_key=" + A + "\nupdate_only=true\nendpoint=1.1.1.1:1\n\n"));
        assertEquals(peer(A, ZERO, "1.1.1.1:1", 0, "10.0.0.0/8") + "errno=0\n\n", get());
        assertEquals("errno=0\n\n", exchange("set=1\npublic_key=" + A + "\nremove=true\nallowed_ip=10.3.0.0/16\n"
                + "public_key=" + B + "\nremove=true\n\n"));
        assertEquals("errno=0\n\n", get());
        assertEquals(0, device.engine.allowedIps().size());
    }

    @Test
    void shouldIgnoreAPeerWithOurOwnKey() throws IOException {
        byte[] privateKey = HexFormat.of().parseHex("aa".repeat(32));
        X25519.clamp(privateKey);
        byte[] publicKey = new byte[32];
        X25519.publicKey(privateKey, publicKey);
        String ours = HexFormat.of().formatHex(publicKey);
        exchange("set=1\npublic_key=" + ours + "\nallowed_ip=10.0.0.0/8\n\n"); // a peer until the key is ours
        assertEquals("errno=0\n\n", exchange("set=1\nprivate_key=" + "aa".repeat(32) + "\npublic_key=" + ours
                + "\nallowed_ip=10.1.0.0/16\nendpoint=1.2.3.4:5\n\n"));
        assertEquals("private_key=" + HexFormat.of().formatHex(privateKey) + "\nerrno=0\n\n", get());
        assertEquals(1, device.removed.size());
    }

    @Test
    void shouldAnswerPortInUse() throws IOException {
        device.busyPorts.add(4444);
        exchange("set=1\nlisten_port=5555\n\n");
        assertEquals("errno=-98\n\n", exchange("set=1\nlisten_port=4444\nfwmark=1\n\n"));
        assertEquals("errno=0\n\n", get());
    }

    @Test
    void shouldReportKeepaliveTurnedOnToTheDevice() throws IOException {
        exchange("set=1\npublic_key=" + A + "\n\n");
        device.changed.clear();
        exchange("set=1\npublic_key=" + A + "\n\n"); // nothing changed: no hook
        assertEquals(0, device.changed.size());
        exchange("set=1\npublic_key=" + A + "\npersistent_keepalive_interval=25\n\n");
        Tunnel tunnel = device.engine.peers().get(0);
        assertEquals(List.of(tunnel), device.changed);
        assertTrue(tunnel.hasPendingOutput(), "a keepalive is queued for the device to send");
    }

    @Test
    void shouldServeSeveralOperationsOnOneConnection() throws IOException {
        try (Client client = new Client(server.socketPath())) {
            client.send("set=1\nlisten_port=9\n\nget=1\nxget=1\n\n");
            // "get=1\n" then 'x' instead of the blank line: EINVAL, and the connection goes on.
            assertEquals("errno=0\n\nerrno=-22\n\nlisten_port=9\nerrno=0\n\n", client.readReplies(3));
            client.send("set=1\nbad\nlisten_port=10\n\nget=1\n\n");
            assertEquals("errno=-71\n\nlisten_port=9\nerrno=0\n\n", client.readReplies(2));
            client.send("set=1\r\n");
            assertEquals("", client.readToEof());
        }
    }

    @Test
    void shouldTreatEofAsTheEndOfASetAndDropACarriageReturn() throws IOException {
        try (Client client = new Client(server.socketPath())) {
            client.send("set=1\nlisten_port=12\r\nfwmark=5");
            client.shutdownOutput();
            assertEquals("errno=0\n\n", client.readToEof());
        }
        assertEquals("listen_port=12\nfwmark=5\nerrno=0\n\n", get());
    }

    @Test
    void shouldAnswerEioToAnOverlongLineAndClose() throws IOException {
        // Go's scanner holds 64 KiB: a 65,535-byte line plus its newline fits, one more byte does not.
        assertEquals("errno=-22\n\n", exchange("set=1\nlisten_port=" + "1".repeat(65535 - 12) + "\n\n"));
        assertEquals("errno=-5\n\n", exchange("set=1\nlisten_port=" + "1".repeat(65536 - 12) + "\n\nget=1\n\n"));
    }

    @Test
    void shouldDropAnIdleClientWithoutBlockingOthers() throws IOException {
        server.close();
        server = UapiServer.bind(dir, "wgu0", device, new UapiServer.Options(Duration.ofMillis(300), Duration.ofSeconds(5), 4), () -> { });
        try (Client stalled = new Client(server.socketPath())) {
            stalled.send("set=1\nlisten_port=3"); // the line never ends, so it is never applied
            assertEquals("errno=0\n\n", get()); // not blocked by the stalled section
            assertEquals("", stalled.readToEof()); // dropped after the idle timeout, without a reply
        }
        assertEquals("errno=0\n\n", get());
    }

    @Test
    void shouldStreamARepliesLargerThanTheSocketBuffer() throws IOException {
        StringBuilder request = new StringBuilder("set=1\npublic_key=" + A + "\n");
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 70_000; i++) {
            String ip = "10." + (i >> 16) + "." + ((i >> 8) & 0xFF) + "." + (i & 0xFF) + "/32";
            request.append("allowed_ip=").append(ip).append('\n');
            expected.append("allowed_ip=").append(ip).append('\n');
        }
        assertEquals("errno=0\n\n", exchange(request.append('\n').toString()));
        assertEquals(peer(A, ZERO, null, 0) + expected + "errno=0\n\n", get());
    }

    @Test
    void shouldApplyTenThousandPeersQuickly() throws IOException {
        StringBuilder request = new StringBuilder("set=1\n");
        for (int i = 0; i < 10_000; i++) {
            request.append("public_key=").append(String.format("%064x", i + 1)).append("\nallowed_ip=10.")
                    .append(i >> 8).append('.').append(i & 0xFF).append(".0/24\n");
        }
        long start = System.nanoTime();
        assertEquals("errno=0\n\n", exchange(request.append('\n').toString()));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(10_000, device.engine.peers().size());
        assertTrue(millis < 30_000, "10,000 peers took " + millis + " ms");
    }

    /** A raw UAPI client over a JDK Unix channel. */
    static final class Client implements AutoCloseable {
        private final SocketChannel channel;
        private final StringBuilder received = new StringBuilder();

        Client(Path socket) throws IOException {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
        }

        static String exchange(Path socket, String request) throws IOException {
            try (Client client = new Client(socket)) {
                client.send(request);
                return client.readReplies(1);
            }
        }

        void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        void send(String text) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        }

        /** Reads until {@code n} replies (each ending in an errno line and a blank line) arrived, or EOF. */
        String readReplies(int n) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            int replies = 0;
            int scanned = 0;
            while (replies < n) {
                buf.clear();
                if (channel.read(buf) < 0) {
                    break;
                }
                received.append(new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1));
                // A reply ends with "errno=N\n\n"; no other line of a reply starts with "errno=".
                int at;
                while ((at = received.indexOf("errno=", scanned)) >= 0 && received.indexOf("\n\n", at) >= 0) {
                    replies++;
                    scanned = received.indexOf("\n\n", at) + 2;
                }
            }
            String all = received.toString();
            received.setLength(0);
            return all;
        }

        String readToEof() throws IOException {
            return readReplies(Integer.MAX_VALUE);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
