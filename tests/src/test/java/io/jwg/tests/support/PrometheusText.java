package io.jwg.tests.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The samples of a scrape in the Prometheus text format ({@code name{label="value",...} value}),
 * parsed independently of the client library that wrote them, for interop tests to check.
 */
public final class PrometheusText {
    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    private final String text;

    private PrometheusText(String text, List<Sample> samples) {
        this.text = text;
        this.samples = samples;
    }

    /** Parses {@code text}; comment lines ({@code # HELP}, {@code # TYPE}) are skipped. */
    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            samples.add(sample(line));
        }
        return new PrometheusText(text, samples);
    }

    /** Every sample. */
    public List<Sample> samples() {
        return samples;
    }

    /** The one sample named {@code name} whose labels include {@code labels} (name, value pairs), if any. */
    public Optional<Sample> find(String name, String... labels) {
        List<Sample> matches = samples.stream()
                .filter(s -> s.name().equals(name) && has(s.labels(), labels))
                .toList();
        if (matches.size() > 1) {
            throw new AssertionError(matches.size() + " samples match " + name + " " + List.of(labels));
        }
        return matches.stream().findFirst();
    }

    /** The value of {@link #find}, or an assertion error quoting the scrape. */
    public double value(String name, String... labels) {
        return find(name, labels).orElseThrow(() -> new AssertionError(
                "no sample " + name + " " + List.of(labels) + " in the scrape:\n" + text)).value();
    }

    /** The scrape as received. */
    public String text() {
        return text;
    }

    private static boolean has(Map<String, String> actual, String... labels) {
        for (int i = 0; i + 1 < labels.length; i += 2) {
            if (!labels[i + 1].equals(actual.get(labels[i]))) {
                return false;
            }
        }
        return true;
    }

    private static Sample sample(String line) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        String name;
        int rest;
        if (brace >= 0 && brace < space) {
            name = line.substring(0, brace);
            rest = labels(line, brace + 1, labels);
        } else {
            name = line.substring(0, space);
            rest = space;
        }
        String[] tail = line.substring(rest).strip().split(" ");
        return new Sample(name, labels, number(tail[0]));
    }

    /** Reads {@code a="x",b="y"}} from {@code i}; returns the index after the closing brace. */
    private static int labels(String line, int i, Map<String, String> labels) {
        while (line.charAt(i) != '}') {
            int equals = line.indexOf('=', i);
            String key = line.substring(i, equals);
            StringBuilder value = new StringBuilder();
            int j = equals + 2; // past ="
            while (line.charAt(j) != '"') {
                char c = line.charAt(j);
                if (c == '\\') {
                    char next = line.charAt(++j);
                    value.append(next == 'n' ? '\n' : next);
                } else {
                    value.append(c);
                }
                j++;
            }
            labels.put(key, value.toString());
            i = j + 1;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i + 1;
    }

    private static double number(String text) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }
}
