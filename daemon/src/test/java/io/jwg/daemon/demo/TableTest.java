package io.jwg.daemon.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The demo's summary table: columns aligned on their widest cell, a rule under the header. */
class TableTest {
    @Test
    void shouldAlignEveryColumn() {
        Table table = new Table("check", "result", "figure");
        table.row("handshake", "first ping answered", "3.1 ms");
        table.row("ping A -> B", "20 pings, 0% loss", "rtt min 0.1 / avg 0.2 / max 0.4 ms");
        table.row("throughput", "skipped: iperf3 is not installed");

        assertEquals("""
                  check        result                            figure
                  -----------  --------------------------------  ----------------------------------
                  handshake    first ping answered               3.1 ms
                  ping A -> B  20 pings, 0% loss                 rtt min 0.1 / avg 0.2 / max 0.4 ms
                  throughput   skipped: iperf3 is not installed
                """, table.render("  "));
    }

    @Test
    void shouldKnowWhetherItHasRows() {
        Table table = new Table("a", "b");
        assertTrue(table.isEmpty());
        table.row("1");
        assertFalse(table.isEmpty());
        assertThrows(IllegalArgumentException.class, () -> table.row("1", "2", "3"));
    }
}
