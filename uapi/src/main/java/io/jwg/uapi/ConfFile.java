package io.jwg.uapi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A configuration file in the format {@code wg setconf} reads, turned into the {@code set=1}
 * operation {@code wg setconf} sends for it and applied through the same {@link UapiSet} path a
 * UAPI client's operation takes, so {@code JWG_CONFIG_FILE} and {@code wg setconf} agree.
 *
 * <p>The syntax is wireguard-tools' ({@code config.c}): everything from {@code #} on is a
 * comment; all whitespace is dropped, also inside keys and values; section names and keys are
 * case-insensitive; {@code [Interface]} takes {@code PrivateKey}, {@code ListenPort} and
 * {@code FwMark}, {@code [Peer]} takes {@code PublicKey} (required), {@code PresharedKey},
 * {@code Endpoint}, {@code PersistentKeepalive} and {@code AllowedIPs} (repeatable); any other
 * key, among them wg-quick's {@code Address}, {@code DNS}, {@code MTU}, {@code Table} and hooks,
 * is an error. Like {@code setconf}, the result replaces the whole configuration: a key left out
 * means zero (no private key, a random port, no mark) and peers not in the file are removed.
 *
 * <p>Known differences: {@code ListenPort} and the endpoint port must be numbers from 0 to
 * 65535 (wg also takes service names, and wraps larger numbers: 70000 becomes 4464), and an
 * endpoint host name resolves once, to the first address Java returns, where wg retries a
 * failing lookup. Error messages carry the line number and never quote key material.
 */
public final class ConfFile {
    private static final Set<String> WG_QUICK_KEYS = Set.of("address", "dns", "mtu", "table", "preup", "postup",
            "predown", "postdown", "saveconfig");
    private static final String KEY_FORMAT = "is not a valid key (44 base64 characters ending in '=')";

    /** Anything shaped like a base64 key, which a quoted value may hold (say, a key on the wrong line). */
    private static final java.util.regex.Pattern KEY_SHAPED = java.util.regex.Pattern.compile("[A-Za-z0-9+/]{43}=");

    private final List<String> lines;
    private final List<String> warnings;

    /** Errors and warnings quote the offending value, but never anything that may be a key. */
    static String redact(String message) {
        return KEY_SHAPED.matcher(message).replaceAll("(key redacted)");
    }

    private ConfFile(List<String> lines, List<String> warnings) {
        this.lines = List.copyOf(lines);
        this.warnings = List.copyOf(warnings);
    }

    /** Reads and parses {@code path}; errors name the file and line. */
    public static ConfFile read(Path path) throws ConfFileException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ConfFileException(path.toString(), 0, "no such file");
        } catch (IOException e) {
            throw new ConfFileException(path.toString(), 0, "cannot read it: " + e.getMessage());
        }
        // wg reads bytes; ISO-8859-1 maps each byte to one char, so nothing fails to decode.
        return parse(path.toString(), new String(bytes, StandardCharsets.ISO_8859_1));
    }

    /** Parses {@code text}; {@code source} names it in error messages. */
    public static ConfFile parse(String source, String text) throws ConfFileException {
        return new Parser(source).parse(text);
    }

    /** Non-fatal remarks, one line each (wg prints them too), e.g. an allowed IP with host bits. */
    public List<String> warnings() {
        return warnings;
    }

    /** The operation's lines, without {@code set=1} and the blank line; they hold the private key. */
    List<String> lines() {
        return lines;
    }

    /**
     * Applies the configuration to {@code device} as one UAPI {@code set=1} operation under its
     * config lock. As over the socket there is no transaction: on error, the lines before the
     * failing one stay applied.
     */
    public void applyTo(UapiDevice device) throws UapiException {
        UapiSet operation = new UapiSet(device);
        synchronized (device.configLock()) {
            try {
                for (String line : lines) {
                    operation.apply(operation.parse(line));
                }
            } finally {
                operation.finish();
            }
        }
    }

    @Override
    public String toString() {
        return "ConfFile[" + lines.size() + " UAPI lines]"; // never the lines: they hold the private key
    }

    /** One {@code [Peer]} section. */
    private static final class Peer {
        final int line;
        byte[] publicKey;
        byte[] presharedKey;
        String endpoint;
        Integer keepalive;
        final List<String> allowedIps = new ArrayList<>();

        Peer(int line) {
            this.line = line;
        }
    }

    /** The parse of one file: config.c's state machine, then wg's set=1 lines. */
    private static final class Parser {
        private final String source;
        private final List<String> warnings = new ArrayList<>();
        private final List<Peer> peers = new ArrayList<>();
        private final byte[] privateKey = new byte[32];
        private int listenPort;
        private long fwmark;
        private boolean inInterface;
        private Peer peer;
        private int number;

        Parser(String source) {
            this.source = source;
        }

        ConfFile parse(String text) throws ConfFileException {
            for (String raw : text.split("\n", -1)) {
                number++;
                int comment = raw.indexOf('#');
                String line = stripSpaces(comment >= 0 ? raw.substring(0, comment) : raw);
                if (!line.isEmpty()) {
                    line(line);
                }
            }
            for (Peer each : peers) {
                if (each.publicKey == null) {
                    throw new ConfFileException(source, each.line, "[Peer] has no PublicKey");
                }
            }
            return new ConfFile(uapiLines(), warnings);
        }

        private void line(String line) throws ConfFileException {
            if (line.equalsIgnoreCase("[Interface]")) {
                inInterface = true;
                peer = null;
                return;
            }
            if (line.equalsIgnoreCase("[Peer]")) {
                inInterface = false;
                peer = new Peer(number);
                peers.add(peer);
                return;
            }
            int eq = line.indexOf('=');
            if (line.startsWith("[") && line.endsWith("]") && line.length() <= 32) {
                throw error("unknown section " + line + " (expected [Interface] or [Peer])");
            }
            // Only what looks like a key name is quoted back: never part of a stray base64 key.
            if (eq < 0 || !line.substring(0, eq).matches("[A-Za-z][A-Za-z0-9_-]{0,23}")) {
                throw error("not a section header or a Key = Value line");
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            if (!inInterface && peer == null) {
                throw error(key + " comes before any [Interface] or [Peer] section");
            }
            if (value.isEmpty()) {
                throw error(key + " has no value");
            }
            if (inInterface) {
                interfaceKey(key, value);
            } else {
                peerKey(key, value);
            }
        }

        private void interfaceKey(String key, String value) throws ConfFileException {
            switch (key.toLowerCase(Locale.ROOT)) {
                case "privatekey" -> decodeKey(value, "PrivateKey", privateKey);
                case "listenport" -> listenPort = (int) number(value, 65_535, "ListenPort must be a number from 0 to 65535");
                case "fwmark" -> fwmark = fwmark(value);
                default -> throw unknownKey(key, "[Interface]", "PrivateKey, ListenPort or FwMark");
            }
        }

        private void peerKey(String key, String value) throws ConfFileException {
            switch (key.toLowerCase(Locale.ROOT)) {
                case "publickey" -> peer.publicKey = decodeKey(value, "PublicKey", new byte[32]);
                case "presharedkey" -> peer.presharedKey = decodeKey(value, "PresharedKey", new byte[32]);
                case "endpoint" -> peer.endpoint = endpoint(value);
                case "persistentkeepalive" -> peer.keepalive = value.equalsIgnoreCase("off") ? 0
                        : (int) number(value, 65_535, "PersistentKeepalive is neither 0/off nor 1-65535");
                case "allowedips" -> allowedIps(value);
                default -> throw unknownKey(key, "[Peer]",
                        "PublicKey, PresharedKey, Endpoint, PersistentKeepalive or AllowedIPs");
            }
        }

        /** wg's {@code key_from_base64}: 43 base64 characters and '=', the two spare bits zero. */
        private byte[] decodeKey(String value, String what, byte[] into) throws ConfFileException {
            if (value.length() != 44 || value.charAt(43) != '=') {
                throw error(what + " " + KEY_FORMAT);
            }
            int bits = 0;
            int pending = 0;
            int out = 0;
            for (int i = 0; i < 43; i++) {
                int sextet = sextet(value.charAt(i));
                if (sextet < 0) {
                    throw error(what + " " + KEY_FORMAT);
                }
                pending = pending << 6 | sextet;
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    into[out++] = (byte) (pending >> bits);
                    pending &= (1 << bits) - 1;
                }
            }
            if (pending != 0) { // 43 * 6 = 258 bits: the last two must be zero
                throw error(what + " " + KEY_FORMAT);
            }
            return into;
        }

        private static int sextet(char c) {
            if (c >= 'A' && c <= 'Z') {
                return c - 'A';
            }
            if (c >= 'a' && c <= 'z') {
                return c - 'a' + 26;
            }
            if (c >= '0' && c <= '9') {
                return c - '0' + 52;
            }
            return c == '+' ? 62 : c == '/' ? 63 : -1;
        }

        /** Decimal digits only, at most {@code max}. */
        private long number(String value, long max, String message) throws ConfFileException {
            if (!digits(value) || value.replaceFirst("^0+(?=.)", "").length() > 10 || Long.parseLong(value) > max) {
                throw error(message + ": `" + value + "'");
            }
            return Long.parseLong(value);
        }

        /** {@code off}, decimal, or hex after a lowercase {@code 0x}; at most 0xffffffff. */
        private long fwmark(String value) throws ConfFileException {
            if (value.equalsIgnoreCase("off")) {
                return 0;
            }
            boolean hex = value.length() > 2 && value.startsWith("0x");
            String body = hex ? value.substring(2) : value;
            boolean ok = !body.isEmpty() && value.charAt(0) >= '0' && value.charAt(0) <= '9'
                    && body.chars().allMatch(c -> Character.digit(c, hex ? 16 : 10) >= 0 && c < 128)
                    && body.replaceFirst("^0+(?=.)", "").length() <= (hex ? 8 : 10);
            long mark = ok ? Long.parseLong(body, hex ? 16 : 10) : -1;
            if (mark < 0 || mark > 0xffff_ffffL) {
                throw error("FwMark is neither 0/off nor 0-0xffffffff: `" + value + "'");
            }
            return mark;
        }

        /** {@code host:port} or {@code [host]:port}; an IP literal as written, a name resolved. */
        private String endpoint(String value) throws ConfFileException {
            String host;
            String port;
            if (value.startsWith("[")) {
                int close = value.indexOf(']');
                if (close < 0) {
                    throw error("Endpoint has no matching ']': `" + value + "'");
                }
                host = value.substring(1, close);
                if (close + 1 >= value.length() || value.charAt(close + 1) != ':' || close + 2 >= value.length()) {
                    throw error("Endpoint has no port: `" + value + "'");
                }
                port = value.substring(close + 2);
            } else {
                int colon = value.lastIndexOf(':');
                if (colon < 0 || colon == value.length() - 1) {
                    throw error("Endpoint has no port: `" + value + "'");
                }
                host = value.substring(0, colon);
                port = value.substring(colon + 1);
            }
            int portNumber = (int) number(port, 65_535, "Endpoint port must be a number from 0 to 65535");
            if (host.isEmpty()) {
                throw error("Endpoint has no host: `" + value + "'");
            }
            try {
                GoText.Addr literal = GoText.parseAddr(host);
                return (literal.bytes().length == 16 ? "[" + host + "]" : host) + ":" + portNumber;
            } catch (UapiException notLiteral) {
                try {
                    InetAddress address = InetAddress.getAllByName(host)[0];
                    return GoText.formatEndpoint(new InetSocketAddress(address, portNumber));
                } catch (UnknownHostException e) {
                    throw error("cannot resolve the Endpoint host `" + host + "'");
                }
            }
        }

        /** Comma-separated {@code ip[/cidr]}; entries accumulate over repeated lines. */
        private void allowedIps(String value) throws ConfFileException {
            for (String entry : value.split(",", -1)) {
                int slash = entry.indexOf('/');
                String ip = slash < 0 ? entry : entry.substring(0, slash);
                byte[] bytes = address(ip);
                int max = bytes.length * 8;
                int cidr = max;
                if (slash >= 0) {
                    String mask = entry.substring(slash + 1);
                    if (!digits(mask) || mask.replaceFirst("^0+(?=.)", "").length() > 3 || Integer.parseInt(mask) > max) {
                        throw error("AllowedIPs entry is not in the correct format: `" + entry + "'");
                    }
                    cidr = Integer.parseInt(mask);
                }
                if (hasHostBits(bytes, cidr)) {
                    warnings.add(source + ":" + number + ": AllowedIP has nonzero host part: " + entry);
                }
                peer.allowedIps.add(ip + "/" + cidr);
            }
        }

        /** inet_pton: a ':' means IPv6, anything else must be dotted-quad IPv4; no zones. */
        private byte[] address(String ip) throws ConfFileException {
            try {
                GoText.Addr addr = GoText.parseAddr(ip);
                int expected = ip.indexOf(':') >= 0 ? 16 : 4;
                if (addr.zone() == null && addr.bytes().length == expected) {
                    return addr.bytes();
                }
            } catch (UapiException e) {
                // reported below
            }
            throw error("AllowedIPs entry is not an IP address: `" + ip + "'");
        }

        private static boolean hasHostBits(byte[] address, int cidr) {
            for (int bit = cidr; bit < address.length * 8; bit++) {
                if ((address[bit / 8] & (0x80 >> (bit % 8))) != 0) {
                    return true;
                }
            }
            return false;
        }

        /** What {@code wg setconf} sends: every device key, replace_peers, then each peer. */
        private List<String> uapiLines() {
            HexFormat hex = HexFormat.of();
            List<String> out = new ArrayList<>();
            out.add("private_key=" + hex.formatHex(privateKey));
            Arrays.fill(privateKey, (byte) 0);
            out.add("listen_port=" + listenPort);
            out.add("fwmark=" + fwmark);
            out.add("replace_peers=true");
            for (Peer each : peers) {
                out.add("public_key=" + hex.formatHex(each.publicKey));
                if (each.presharedKey != null) {
                    out.add("preshared_key=" + hex.formatHex(each.presharedKey));
                    Arrays.fill(each.presharedKey, (byte) 0);
                }
                if (each.endpoint != null) {
                    out.add("endpoint=" + each.endpoint);
                }
                if (each.keepalive != null) {
                    out.add("persistent_keepalive_interval=" + each.keepalive);
                }
                out.add("replace_allowed_ips=true");
                for (String prefix : each.allowedIps) {
                    out.add("allowed_ip=" + prefix);
                }
            }
            return out;
        }

        private ConfFileException unknownKey(String key, String section, String expected) {
            if (WG_QUICK_KEYS.contains(key.toLowerCase(Locale.ROOT))) {
                return error(key + " is a wg-quick key, not part of the wg setconf format"
                        + " (remove it, or convert the file with `wg-quick strip`)");
            }
            return error("unknown key " + key + " in " + section + " (expected " + expected + ")");
        }

        private ConfFileException error(String message) {
            return new ConfFileException(source, number, redact(message));
        }

        private static boolean digits(String value) {
            return !value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9');
        }

        /** config.c drops every isspace() character, wherever it is. */
        private static String stripSpaces(String line) {
            StringBuilder out = new StringBuilder(line.length());
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x0b) {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }
}
