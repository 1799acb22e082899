#!/usr/bin/env python3
"""Issue #5's end-to-end targets checked round by round, from the JSON benchmarks/e2e.py writes.

The median table of e2e.py can hide a round that missed; this prints each target's figure in
every round (ratios to the wireguard-go pair of the same round), the median, and whether it was
met in every round, by the median only, or not. Rows whose pairs the run did not measure are
left out. e2e.py prints this after its table; on its own:

  benchmarks/e2e-targets.py e2e.json [more.json ...]
"""
import importlib.util
import json
import os
import statistics
import sys

spec = importlib.util.spec_from_file_location("e2e", os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e.py"))
e2e = importlib.util.module_from_spec(spec)
spec.loader.exec_module(e2e)

# (label, pair, metric, kind, limit): kind "ratio>=" / "ratio<=" compare to the wireguard-go pair
# of the same round; "<" / "<=" compare the figure itself. Peak RSS and launch time count jwg's
# sides only (in the mixed pair, side A).
TARGETS = [
    ("TCP 1 stream, jwg<->jwg / wg-go pair", "jwg-jwg", "tcp1_mbps", "ratio>=", 1.5),
    ("TCP 1 stream, jwg<->wg-go / wg-go pair", "jwg-wg", "tcp1_mbps", "ratio>=", 1.0),
    ("RTT idle p50, jwg<->jwg / wg-go pair", "jwg-jwg", "rtt_idle_p50_us", "ratio<=", 1.0),
    ("RTT under load p50, jwg<->jwg / wg-go pair", "jwg-jwg", "rtt_load_p50_us", "ratio<=", 1.0),
    ("added p99 under load, jwg<->jwg, us", "jwg-jwg", "added_load_p99_us", "<", 1000),
    ("added p99 under load, jwg<->wg-go, us", "jwg-wg", "added_load_p99_us", "<", 1000),
    ("peak RSS of a jwg daemon, MB", "jwg-jwg", ("rss_a_mb", "rss_b_mb"), "<=", 100),
    ("peak RSS of a jwg daemon, mixed pair, MB", "jwg-wg", ("rss_a_mb",), "<=", 100),
    ("launch to ready of a jwg daemon, ms", "jwg-jwg", ("launch_ms", "launch_b_ms"), "<=", 1000),
]
# Shown for reference, not targets of the issue: the mixed pair's round trips.
REFERENCE = [
    ("RTT idle p50, jwg<->wg-go / wg-go pair", "jwg-wg", "rtt_idle_p50_us", "ratio<=", 1.0),
    ("RTT under load p50, jwg<->wg-go / wg-go pair", "jwg-wg", "rtt_load_p50_us", "ratio<=", 1.0),
]


def figure(rounds, pair, metric, kind, i):
    """The figure of round i: a ratio to the wireguard-go pair, or the worst of jwg's sides."""
    m = rounds[pair][i]
    if kind.startswith("ratio"):
        base = rounds["wg-wg"][i].get(metric)
        return m[metric] / base if base else float("nan")
    return max(m[k] for k in ((metric,) if isinstance(metric, str) else metric))


def met(value, kind, limit):
    if kind == "ratio>=":
        return value >= limit
    if kind == "<":
        return value < limit
    return value <= limit


def rows(data, targets):
    rounds = data["rounds"]
    out = []
    for label, pair, metric, kind, limit in targets:
        if pair not in rounds or (kind.startswith("ratio") and "wg-wg" not in rounds):
            continue
        n = len(rounds[pair])
        values = [figure(rounds, pair, metric, kind, i) for i in range(n)]
        median = statistics.median(values)
        hits = sum(met(v, kind, limit) for v in values)
        verdict = "every round" if hits == n else f"median ({hits}/{n} rounds)" if met(median, kind, limit) else f"no ({hits}/{n} rounds)"
        sign = {"ratio>=": ">=", "ratio<=": "<="}.get(kind, kind)
        out.append((f"{label} {sign} {limit:g}", values, median, verdict))
    return out


def report(data):
    n = max(len(v) for v in data["rounds"].values())
    header = f"{'target (issue #5)':<58}" + "".join(f"{'r' + str(i + 1):>7}" for i in range(n)) + f"{'median':>8}  met"
    lines = [header, "-" * (len(header) + 12)]
    for title, targets in (("", TARGETS), ("reference, not a target:", REFERENCE)):
        found = rows(data, targets)
        if title and found:
            lines.append(title)
        for label, values, median, verdict in found:
            lines.append(f"{label:<58}" + "".join(f"{e2e.fmt(v):>7}" for v in values) + f"{e2e.fmt(median):>8}  {verdict}")
    if len(lines) == 2:
        return "no target of issue #5 is about the pairs this run measured"
    return "\n".join(lines)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: e2e-targets.py e2e.json [more.json ...]")
    for path in sys.argv[1:]:
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"e2e-targets.py: cannot read {path}: {e}")
        print(f"{path}: commit {data.get('commit', '?')}, {data.get('date', '?')}")
        print(report(data))


if __name__ == "__main__":
    main()
