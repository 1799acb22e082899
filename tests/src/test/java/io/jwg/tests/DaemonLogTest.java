package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemon;
import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Pair;
import io.jwg.tests.support.WgKeyPair;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The daemon's log at {@code LOG_LEVEL=verbose} after a real session with wireguard-go (private
 * key and pre-shared key set through {@code wg}, handshakes both ways, pings both ways): it holds
 * the handshake lines and the UAPI lines for the key changes, names the peer as
 * {@code peer(AbCd…wxyz)}, is one well-formed line per event, and contains no part of the
 * private key or the pre-shared key, in base64 or hex. Verbose is the level that prints most, so
 * no level prints them.
 */
class DaemonLogTest {
    /** Any run of this many characters of a secret's text counts as a leak. */
    private static final int LEAK_WINDOW = 12;
    private static final Pattern LINE = Pattern.compile(
            "(DEBUG|ERROR): \\([a-z0-9]+\\) \\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\S.*");

    @BeforeEach
    void requirements() {
        Environment.requireWireGuardGoInterop();
    }

    @Test
    void shouldLogTheSessionWithoutAnySecret() {
        Daemon jwg;
        WgKeyPair own;
        WgKeyPair peer;
        String psk = WgKeyPair.generate().privateKey(); // 32 random bytes, as `wg genpsk` makes
        try (Pair pair = Pair.builder().b(Daemons.wireguardGoFactory()).build()) {
            jwg = pair.a();
            own = pair.keysA();
            peer = pair.keysB();
            jwg.setPresharedKey(peer.publicKey(), psk);
            pair.b().setPresharedKey(own.publicKey(), psk);
            pair.pingOk(pair.nsA(), Pair.INNER_B4);
            pair.pingOk(pair.nsB(), Pair.INNER_A4);
            pair.pingOk(pair.nsA(), Pair.INNER_B6, "-c", "20", "-i", "0.05");
            assertTrue(jwg.latestHandshake(peer.publicKey()) > 0, pair::describe);
        }
        String log = jwg.log(); // complete now that the daemon has exited

        String peerName = "peer(" + peer.publicKey().substring(0, 4) + "…" + peer.publicKey().substring(39, 43) + ")";
        assertFalse(log.isBlank(), "empty log: the checks below would pass vacuously");
        assertTrue(log.contains(peerName + " - Sending handshake initiation")
                || log.contains(peerName + " - Received handshake initiation"), () -> "no handshake line for " + peerName
                + "\n" + log);
        assertTrue(log.contains(peerName + " - Received handshake"), () -> "no received handshake line\n" + log);
        // The lines where a careless log would print the keys themselves.
        assertTrue(log.contains("UAPI: Updating private key"), () -> "no private key line\n" + log);
        assertTrue(log.contains(peerName + " - UAPI: Updating preshared key"), () -> "no preshared key line\n" + log);
        for (String secret : List.of(own.privateKey(), psk)) {
            for (String form : encodings(secret)) {
                for (int i = 0; i + LEAK_WINDOW <= form.length(); i++) {
                    String part = form.substring(i, i + LEAK_WINDOW);
                    assertFalse(log.contains(part), "the log holds part of a secret (" + part + ")");
                }
            }
        }
        if (Daemons.jwgIsReal()) { // wireguard-go prints a banner and more besides its log lines
            List<String> bad = log.lines().filter(line -> !LINE.matcher(line).matches()
                    && !line.equals("jwg: building daemon/target/jwg.jar")).toList();
            assertTrue(bad.isEmpty(), () -> "lines not in the log format: " + bad);
        }
    }

    /** The key as base64 (as configured), and its bytes as lower- and upper-case hex (as the UAPI carries it). */
    private static List<String> encodings(String base64) {
        String hex = HexFormat.of().formatHex(Base64.getDecoder().decode(base64));
        return List.of(base64, hex, hex.toUpperCase(Locale.ROOT));
    }
}
