#!/usr/bin/env python3
"""Prints the median (and min..max) of each JMH result's measurement iterations from -rf json files.

Medians rather than JMH's mean ± CI: on a small shared machine one disturbed iteration moves the
mean a lot and the median little. Usage: benchmarks/summarize.py result.json [more.json ...]
"""
import json
import statistics
import sys


def flat(raw):
    return [x for fork in raw for x in fork]


for path in sys.argv[1:]:
    for r in json.load(open(path)):
        name = r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1]
        params = ",".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
        label = f"{name}[{params}]" if params else name
        p = r["primaryMetric"]
        vals = flat(p["rawData"])
        print(f"{label:55s} median {statistics.median(vals):>16,.1f} {p['scoreUnit']:10s}"
              f" (min {min(vals):,.1f} max {max(vals):,.1f}, n={len(vals)})")
        for key, s in (r.get("secondaryMetrics") or {}).items():
            if key in ("gc.alloc.rate.norm", "bytes") and s.get("rawData"):
                v = flat(s["rawData"])
                print(f"{'':55s}   {key}: median {statistics.median(v):,.1f} {s['scoreUnit']}")
