package io.jwg.daemon.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with left-aligned columns: a header, a rule of dashes under it, then the
 * rows, each column as wide as its widest cell and two spaces apart. Trailing blanks are trimmed.
 */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    /** A table with these column headings. */
    Table(String... header) {
        this.columns = header.length;
        rows.add(header.clone());
    }

    /** Adds a row; missing cells are empty. */
    void row(String... cells) {
        if (cells.length > columns) {
            throw new IllegalArgumentException(cells.length + " cells for " + columns + " columns");
        }
        String[] row = new String[columns];
        for (int i = 0; i < columns; i++) {
            row[i] = i < cells.length && cells[i] != null ? cells[i] : "";
        }
        rows.add(row);
    }

    /** Whether only the header is there. */
    boolean isEmpty() {
        return rows.size() == 1;
    }

    /** The table, each line indented by {@code indent} and ended by a newline. */
    String render(String indent) {
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            line(out, indent, rows.get(r), widths);
            if (r == 0) {
                String[] rule = new String[columns];
                for (int i = 0; i < columns; i++) {
                    rule[i] = "-".repeat(widths[i]);
                }
                line(out, indent, rule, widths);
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String indent, String[] cells, int[] widths) {
        StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < cells.length; i++) {
            line.append(cells[i]);
            if (i < cells.length - 1) {
                line.append(" ".repeat(widths[i] - cells[i].length() + 2));
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }
}
