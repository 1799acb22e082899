package io.jwg.uapi;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fuzz target: arbitrary bytes as a {@code wg setconf} file ({@code JWG_CONFIG_FILE}) through
 * {@link ConfFile#parse} and, when it parses, {@link ConfFile#applyTo} a {@link TestDevice} over
 * a real engine. Seeds are real configuration files, good and bad.
 *
 * <p>Checked: only {@link ConfFileException} (parsing) and {@link UapiException} (applying) come
 * out; an error is one line that starts with the file name; and no error message or warning
 * quotes anything shaped like a key from the input (44 base64 characters), since the file holds
 * the private key and these lines end up in logs.
 */
class ConfFileFuzzTest {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9+/]{43}=");

    @FuzzTest
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        ConfFile conf;
        try {
            conf = ConfFile.parse("fuzz.conf", text);
        } catch (ConfFileException e) {
            checkLine(e.getMessage(), text);
            assertTrue(e.getMessage().startsWith("fuzz.conf"), e.getMessage());
            return;
        }
        conf.warnings().forEach(warning -> checkLine(warning, text));
        try {
            conf.applyTo(new TestDevice());
        } catch (UapiException e) {
            // A parsed file can still be refused by the device (e.g. a key collision): fine.
        }
    }

    private static void checkLine(String message, String input) {
        assertFalse(message.contains("\n"), () -> "a message of more than one line: " + message);
        Matcher keys = KEY.matcher(input);
        while (keys.find()) {
            String key = keys.group();
            assertFalse(message.contains(key), () -> "the message quotes a key: " + message);
        }
    }
}
