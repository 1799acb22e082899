package io.jwg.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jwg.tests.support.Daemons;
import io.jwg.tests.support.Environment;
import io.jwg.tests.support.Exec;
import io.jwg.tests.support.ExecResult;
import io.jwg.tests.support.Jwg;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code jwg demo} end to end: it succeeds, prints its summary as a table whose every row
 * starts each column where the header's does, and removes its namespaces.
 */
class DemoTest {
    private static final Pattern NAMESPACE = Pattern.compile("jwgdemo-[ab]-[0-9a-f]+");

    @BeforeEach
    void requirements() {
        Environment.requireRoot();
        Environment.requireTun();
        Environment.requireCommands("ip", "ping", "iperf3", "wg");
        Assumptions.assumeTrue(Daemons.jwgIsReal(), "the demo is jwg's own");
    }

    @Test
    void shouldPrintAnAlignedSummaryAndCleanUp() {
        ExecResult demo = Exec.run(Duration.ofMinutes(3), null, List.of(Jwg.executable().toString(), "demo"));

        assertEquals(0, demo.exitCode(), demo::describe);
        List<String> lines = demo.stdout().lines().toList();
        int rule = lines.indexOf(lines.stream().filter(line -> line.matches(" *-+( +-+)+")).findFirst()
                .orElseThrow(() -> new AssertionError("no table rule\n" + demo.stdout())));
        List<Integer> starts = new ArrayList<>();
        Matcher dashes = Pattern.compile("-+").matcher(lines.get(rule));
        while (dashes.find()) {
            starts.add(dashes.start());
        }
        assertEquals(List.of("check", "result", "figure"), cells(lines.get(rule - 1), starts));
        List<String> rows = lines.subList(rule + 1, lines.indexOf(""));
        assertEquals(List.of("daemons", "configured", "handshake", "ping A -> B", "ping B -> A", "throughput"),
                rows.stream().map(row -> cells(row, starts).get(0)).toList(), demo.stdout());
        for (String row : rows) {
            for (int start : starts.subList(1, starts.size())) {
                assertTrue(row.length() > start && row.charAt(start) != ' ' && row.startsWith("  ", start - 2),
                        () -> "column not at " + start + ": '" + row + "'\n" + demo.stdout());
            }
        }
        assertTrue(rows.get(3).contains("0% loss"), demo.stdout());
        Matcher namespaces = NAMESPACE.matcher(demo.stdout());
        String left = Exec.runOk("ip", "netns", "list").stdout();
        while (namespaces.find()) {
            assertFalse(left.contains(namespaces.group()), namespaces.group() + " left behind");
        }
    }

    /** The cells of a table line, cut at the column starts and trimmed. */
    private static List<String> cells(String line, List<Integer> starts) {
        List<String> cells = new ArrayList<>();
        for (int i = 0; i < starts.size(); i++) {
            int from = Math.min(starts.get(i), line.length());
            int to = i + 1 < starts.size() ? Math.min(starts.get(i + 1), line.length()) : line.length();
            cells.add(line.substring(from, to).strip());
        }
        return cells;
    }
}
