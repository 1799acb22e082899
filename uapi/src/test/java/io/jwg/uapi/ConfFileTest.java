package io.jwg.uapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ConfFile}: the {@code wg setconf} syntax of wireguard-tools' config.c, the UAPI lines
 * {@code wg setconf} sends for it, and errors that name the line. {@code ConfFileDifferentialTest}
 * in the tests module compares the end result with {@code wg setconf} on wireguard-go.
 */
class ConfFileTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String PRIV = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    private static final String PUB_A = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    private static final String PUB_B = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
    private static final String PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=";

    @TempDir
    Path dir;

    @Test
    void shouldProduceWhatWgSetconfSends() throws ConfFileException {
        ConfFile conf = ConfFile.parse("t.conf", """
                [Interface]
                PrivateKey = %s
                ListenPort = 51820
                FwMark = 0x10

                [Peer]
                PublicKey = %s
                PresharedKey = %s
                Endpoint = 192.0.2.1:51820
                PersistentKeepalive = 25
                AllowedIPs = 10.0.0.1/32, fd00::/64
                AllowedIPs = 10.1.0.0/16

                [Peer]
                PublicKey = %s
                Endpoint = [2001:db8::1]:7
                """.formatted(PRIV, PUB_A, PSK, PUB_B));

        assertEquals(List.of(
                "private_key=" + hex(PRIV), "listen_port=51820", "fwmark=16", "replace_peers=true",
                "public_key=" + hex(PUB_A), "preshared_key=" + hex(PSK), "endpoint=192.0.2.1:51820",
                "persistent_keepalive_interval=25", "replace_allowed_ips=true",
                "allowed_ip=10.0.0.1/32", "allowed_ip=fd00::/64", "allowed_ip=10.1.0.0/16",
                "public_key=" + hex(PUB_B), "endpoint=[2001:db8::1]:7", "replace_allowed_ips=true"), conf.lines());
        assertTrue(conf.warnings().isEmpty(), conf.warnings()::toString);
    }

    @Test
    void shouldReplaceEverythingLikeSetconfWhenKeysAreLeftOut() throws ConfFileException {
        ConfFile conf = ConfFile.parse("t.conf", "[Interface]\n");

        assertEquals(List.of("private_key=" + "00".repeat(32), "listen_port=0", "fwmark=0", "replace_peers=true"),
                conf.lines());
    }

    @Test
    void shouldReadLikeConfigC() throws ConfFileException {
        // Whitespace anywhere is dropped, keys and sections are case-insensitive, '#' starts a
        // comment anywhere, CRLF is fine, and later device keys win.
        ConfFile conf = ConfFile.parse("t.conf", "# leading comment\r\n  [interface]  \r\n"
                + "listen port = 1 # not this one\r\nLISTENPORT=00051821\r\n"
                + "[PEER]\r\n\tpublickey=" + PUB_A + "\r\nAllowed IPs = 10.0.0.0 / 8 ,\t::1\r\n"
                + "persistentkeepalive = OFF\r\nendpoint = localhost:9");

        assertEquals(List.of("private_key=" + "00".repeat(32), "listen_port=51821", "fwmark=0", "replace_peers=true",
                "public_key=" + hex(PUB_A), "endpoint=127.0.0.1:9", "persistent_keepalive_interval=0",
                "replace_allowed_ips=true", "allowed_ip=10.0.0.0/8", "allowed_ip=::1/128"), conf.lines());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "192.0.2.1:0            | endpoint=192.0.2.1:0",
        "[2001:db8::1]:65535    | endpoint=[2001:db8::1]:65535",
        "::1:5                  | endpoint=[::1]:5",
        "[192.0.2.1]:5          | endpoint=192.0.2.1:5",
        "[::ffff:192.0.2.7]:9   | endpoint=[::ffff:192.0.2.7]:9",
        "[fe80::1%lo]:5         | endpoint=[fe80::1%lo]:5",
    })
    void shouldWriteEndpointsAsWgDoes(String endpoint, String line) throws ConfFileException {
        ConfFile conf = ConfFile.parse("t.conf", "[Peer]\nPublicKey=" + PUB_A + "\nEndpoint=" + endpoint + "\n");

        assertTrue(conf.lines().contains(line), conf.lines()::toString);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "off        | 0",
        "OFF        | 0",
        "0          | 0",
        "4294967295 | 4294967295",
        "0xffffffff | 4294967295",
        "0x0010     | 16",
        "0010       | 10",
    })
    void shouldParseFwmarksAsWgDoes(String value, String mark) throws ConfFileException {
        assertTrue(ConfFile.parse("t.conf", "[Interface]\nFwMark=" + value).lines().contains("fwmark=" + mark));
    }

    @Test
    void shouldWarnAboutHostBitsAndKeepThem() throws ConfFileException {
        ConfFile conf = ConfFile.parse("t.conf", "[Peer]\nPublicKey=" + PUB_A + "\nAllowedIPs=10.0.0.1/24\n");

        assertEquals(List.of("t.conf:3: AllowedIP has nonzero host part: 10.0.0.1/24"), conf.warnings());
        assertTrue(conf.lines().contains("allowed_ip=10.0.0.1/24"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        // file (\n as \\n)                                 | expected message
        "[Interface]\\nAddress = 10.0.0.1/24               | t.conf:2: Address is a wg-quick key, not part of the wg setconf format (remove it, or convert the file with `wg-quick strip`)",
        "[Interface]\\n\\nDNS = 1.1.1.1                    | t.conf:3: DNS is a wg-quick key, not part of the wg setconf format (remove it, or convert the file with `wg-quick strip`)",
        "[Interface]\\nMTU = 1280                          | t.conf:2: MTU is a wg-quick key, not part of the wg setconf format (remove it, or convert the file with `wg-quick strip`)",
        "[Interface]\\nPostUp = echo hi                    | t.conf:2: PostUp is a wg-quick key, not part of the wg setconf format (remove it, or convert the file with `wg-quick strip`)",
        "[Interface]\\nEndpoint = 192.0.2.1:1              | t.conf:2: unknown key Endpoint in [Interface] (expected PrivateKey, ListenPort or FwMark)",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nListenPort=1   | t.conf:3: unknown key ListenPort in [Peer] (expected PublicKey, PresharedKey, Endpoint, PersistentKeepalive or AllowedIPs)",
        "ListenPort = 1                                    | t.conf:1: ListenPort comes before any [Interface] or [Peer] section",
        "[Interfaces]                                      | t.conf:1: unknown section [Interfaces] (expected [Interface] or [Peer])",
        "[Interface]\\nListenPort                          | t.conf:2: not a section header or a Key = Value line",
        "[Interface]\\nListenPort =   # empty              | t.conf:2: ListenPort has no value",
        "[Interface]\\nListenPort = 65536                  | t.conf:2: ListenPort must be a number from 0 to 65535: `65536'",
        "[Interface]\\nListenPort = http                   | t.conf:2: ListenPort must be a number from 0 to 65535: `http'",
        "[Interface]\\nFwMark = 0X10                       | t.conf:2: FwMark is neither 0/off nor 0-0xffffffff: `0X10'",
        "[Interface]\\nFwMark = 0x100000000                | t.conf:2: FwMark is neither 0/off nor 0-0xffffffff: `0x100000000'",
        "[Interface]\\nFwMark = -1                         | t.conf:2: FwMark is neither 0/off nor 0-0xffffffff: `-1'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nPersistentKeepalive = 65536 | t.conf:3: PersistentKeepalive is neither 0/off nor 1-65535: `65536'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nAllowedIPs = 10.0.0.0/33    | t.conf:3: AllowedIPs entry is not in the correct format: `10.0.0.0/33'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nAllowedIPs = 10.0.0.0/      | t.conf:3: AllowedIPs entry is not in the correct format: `10.0.0.0/'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nAllowedIPs = 10.0.0.0/8,,10.1.0.0/16 | t.conf:3: AllowedIPs entry is not an IP address: `'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nAllowedIPs = 10.0.0.256/32  | t.conf:3: AllowedIPs entry is not an IP address: `10.0.0.256'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nAllowedIPs = fe80::1%lo/64  | t.conf:3: AllowedIPs entry is not an IP address: `fe80::1%lo'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nEndpoint = 192.0.2.1        | t.conf:3: Endpoint has no port: `192.0.2.1'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nEndpoint = [2001:db8::1     | t.conf:3: Endpoint has no matching ']': `[2001:db8::1'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nEndpoint = [2001:db8::1]:   | t.conf:3: Endpoint has no port: `[2001:db8::1]:'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nEndpoint = 192.0.2.1:99999  | t.conf:3: Endpoint port must be a number from 0 to 65535: `99999'",
        "[Peer]\\nPublicKey=" + PUB_A + "\\nEndpoint = no-such-host.invalid:1 | t.conf:3: cannot resolve the Endpoint host `no-such-host.invalid'",
        "[Interface]\\nListenPort=1\\n[Peer]\\nAllowedIPs=10.0.0.0/8     | t.conf:3: [Peer] has no PublicKey",
    })
    void shouldRejectBadLinesWithTheirLineNumber(String file, String message) {
        ConfFileException error = assertThrows(ConfFileException.class,
                () -> ConfFile.parse("t.conf", file.replace("\\n", "\n")));

        assertEquals(message, error.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "PrivateKey   | [Interface]",
        "PublicKey    | [Peer]",
        "PresharedKey | [Peer]\\nPublicKey=" + PUB_A,
    })
    void shouldRejectBadKeysWithoutQuotingThem(String key, String before) {
        String good = PRIV;
        List<String> bad = List.of(
                good.substring(0, 43),                                  // no '='
                good.substring(0, 42) + "==",                           // '=' too early
                good.substring(0, 42) + "*=",                           // not base64
                good.substring(0, 42) + "n=",                           // spare bits set (n = 39, odd)
                good + "A");                                            // too long
        for (String value : bad) {
            String file = before.replace("\\n", "\n") + "\n" + key + " = " + value + "\n";
            int line = (int) file.lines().count();
            ConfFileException error = assertThrows(ConfFileException.class, () -> ConfFile.parse("t.conf", file), value);

            assertEquals("t.conf:" + line + ": " + key + " is not a valid key (44 base64 characters ending in '=')",
                    error.getMessage());
            assertFalse(error.getMessage().contains(value.substring(0, 20)), error::getMessage);
        }
    }

    @Test
    void shouldNeverQuoteAStrayKeyAsAKeyName() {
        ConfFileException error = assertThrows(ConfFileException.class,
                () -> ConfFile.parse("t.conf", "[Interface]\n" + PRIV + "\n"));

        assertEquals("t.conf:2: not a section header or a Key = Value line",
                error.getMessage());
    }

    @Test
    void shouldNeverQuoteAKeyGivenAsAnotherValue() {
        // Found by ConfFileFuzzTest: a key on the FwMark or Endpoint line came back in the error.
        for (String line : new String[] {"FwMark = " + PRIV, "ListenPort = x" + PRIV + "x"}) {
            ConfFileException error = assertThrows(ConfFileException.class,
                    () -> ConfFile.parse("t.conf", "[Interface]\n" + line + "\n"));
            assertFalse(error.getMessage().contains(PRIV), error.getMessage());
            assertTrue(error.getMessage().contains("(key redacted)"), error.getMessage());
        }
        ConfFileException endpoint = assertThrows(ConfFileException.class,
                () -> ConfFile.parse("t.conf", "[Peer]\nPublicKey = " + PRIV + "\nEndpoint = " + PRIV + "\n"));
        assertFalse(endpoint.getMessage().contains(PRIV), endpoint.getMessage());
    }

    @Test
    void shouldDecodeKeysExactlyAsBase64() throws ConfFileException {
        SecureRandom random = new SecureRandom();
        byte[] key = new byte[32];
        for (int i = 0; i < 200; i++) {
            random.nextBytes(key);
            String base64 = Base64.getEncoder().encodeToString(key);
            ConfFile conf = ConfFile.parse("t.conf", "[Interface]\nPrivateKey=" + base64 + "\n");

            assertEquals("private_key=" + HEX.formatHex(key), conf.lines().get(0));
        }
    }

    @Test
    void shouldNameAMissingFile() {
        Path missing = dir.resolve("missing.conf");
        ConfFileException error = assertThrows(ConfFileException.class, () -> ConfFile.read(missing));

        assertEquals(missing + ": no such file", error.getMessage());
    }

    @Test
    void shouldApplyThroughTheUapiAndReplacePeers() throws IOException, ConfFileException, UapiException {
        TestDevice device = new TestDevice();
        ConfFile.parse("first", "[Peer]\nPublicKey=" + PUB_B + "\nAllowedIPs=10.9.0.0/16\n").applyTo(device);
        Path file = dir.resolve("wg0.conf");
        Files.writeString(file, "[Interface]\nPrivateKey=" + PRIV + "\nListenPort=51820\nFwMark=7\n"
                + "[Peer]\nPublicKey=" + PUB_A + "\nPresharedKey=" + PSK + "\nEndpoint=192.0.2.1:5\n"
                + "PersistentKeepalive=25\nAllowedIPs=10.0.0.0/8,fd00::/64\n");

        ConfFile.read(file).applyTo(device);

        StringBuilder get = new StringBuilder();
        UapiGet.format(device, get);
        assertEquals("private_key=" + hex(PRIV) + "\nlisten_port=51820\nfwmark=7\n"
                + UapiProtocolTest.peer(hex(PUB_A), hex(PSK), "192.0.2.1:5", 25, "10.0.0.0/8", "fd00::/64"),
                get.toString());
        assertEquals(1, device.removed.size(), "the peer not in the file was removed");
    }

    @Test
    void shouldFailToApplyWhenThePortIsTaken() throws ConfFileException {
        TestDevice device = new TestDevice();
        device.busyPorts.add(51820);
        ConfFile conf = ConfFile.parse("t.conf", "[Interface]\nListenPort=51820\n");

        UapiException error = assertThrows(UapiException.class, () -> conf.applyTo(device));

        assertEquals(UapiException.EADDRINUSE, error.errno());
        assertFalse(conf.toString().contains("private_key"), "toString must not show the lines");
    }

    private static String hex(String base64) {
        return HEX.formatHex(Base64.getDecoder().decode(base64));
    }
}
