package io.jwg.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** wireguard-go's log levels and line format, one line per event. */
class LogTest {
    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
        "verbose, VERBOSE", "debug, VERBOSE", "error, ERROR", "silent, SILENT", "null, ERROR", "'', ERROR", "loud, ERROR",
    })
    void shouldParseLevelsLikeWireGuardGo(String value, Log.Level level) {
        assertEquals(level, Log.parseLevel(value));
    }

    @Test
    void shouldPrintWhatEachLevelAllows() {
        assertEquals(List.of("DEBUG: (wg0) T one", "ERROR: (wg0) T two"), lines(Log.Level.VERBOSE));
        assertEquals(List.of("ERROR: (wg0) T two"), lines(Log.Level.ERROR));
        assertEquals(List.of(), lines(Log.Level.SILENT));
    }

    @Test
    void shouldKeepAMultiLineMessageOnOneLine() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new Log(Log.Level.ERROR, "wg0", new PrintStream(bytes, true, StandardCharsets.UTF_8))
                .error("Unable to update bind: first\nsecond\r\nthird");

        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.endsWith(" Unable to update bind: first second  third" + System.lineSeparator()), text);
    }

    /** What a log at {@code level} prints for one debug and one error event, the timestamp as T. */
    private static List<String> lines(Log.Level level) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Log log = new Log(level, "wg0", new PrintStream(bytes, true, StandardCharsets.UTF_8));
        log.debug("one");
        log.error("two");
        return bytes.toString(StandardCharsets.UTF_8).lines()
                .map(line -> line.replaceFirst("\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d", "T"))
                .toList();
    }
}
