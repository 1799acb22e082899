#!/usr/bin/env python3
"""Round trips through the tunnel under load, round by round: the part of benchmarks/e2e.py that
gives "added p99 under load", alone and repeatable, for A/B runs of one setting.

Each round starts fresh daemons (benchmarks/e2e.py's namespaces and set-up), gives them 3 s of
TCP, measures the idle round trip (RttProbe, 5000 probes 2 ms apart), then the same probe while
one iperf3 TCP stream runs, and prints one line: idle p50, loaded p50 / p99, added p99 (loaded
p99 - idle p50), probes lost, the stream's rate and retransmits. JVM options for jwg go through
JWG_EXTRA_JAVA_OPTS as for bin/jwg, e.g.

  benchmarks/e2e-load.py --rounds 4 --pair jwg-jwg
  JWG_EXTRA_JAVA_OPTS=-Dsome.option=1 benchmarks/e2e-load.py --rounds 4

--threads adds, per round, where the daemons' threads spent the idle probe's and the loaded
probe's time: CPU seconds and seconds waiting on a run queue (runnable, not running), from
/proc/PID/task/*/schedstat before and after, summed by side and thread name, busiest first. On a
small machine the waits say how much of the added latency is threads queued for a CPU rather than
packets queued in a daemon; at idle, the CPU the same probes took says how fast the machine was
in that round.

Needs root, iperf3 and the benchmarks jar (./mvnw -pl benchmarks -am package).
"""
import argparse
import glob
import importlib.util
import os
import statistics
import sys

spec = importlib.util.spec_from_file_location("e2e", os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e.py"))
e2e = importlib.util.module_from_spec(spec)
spec.loader.exec_module(e2e)


def schedstat(pids):
    """{(side, thread name): [cpu ns, run-queue wait ns, time slices]} of every thread of the
    daemons (side A is pids[0]); threads of one name are summed."""
    totals = {}
    for side, pid in zip("AB", pids):
        for task in glob.glob(f"/proc/{pid}/task/*"):
            try:
                with open(task + "/comm") as f:
                    name = f.read().strip()
                with open(task + "/schedstat") as f:
                    values = [int(v) for v in f.read().split()[:3]]
            except (OSError, ValueError):
                continue  # the thread ended meanwhile
            total = totals.setdefault((side, name), [0, 0, 0])
            for i in range(3):
                total[i] += values[i]
    return totals


def print_threads(before, after, top=8):
    rows = []
    for key, values in after.items():
        cpu, wait, slices = (v - b for v, b in zip(values, before.get(key, (0, 0, 0))))
        if slices > 0:
            rows.append((cpu, wait, slices, key))
    for cpu, wait, slices, (side, name) in sorted(rows, reverse=True)[:top]:
        print(f"    {side} {name:18s} cpu {cpu / 1e9:5.2f} s, waiting for a CPU {wait / 1e9:5.2f} s, "
              f"{slices} runs, {wait / slices / 1e3:.0f} us waited per run")


def loaded_round(pair, probes, threads):
    pids, _ = e2e.setup(e2e.PAIRS[pair])
    try:
        e2e.tcp(1, 3)
        idle_before = schedstat(pids) if threads else {}
        idle = e2e.rtt(probes, 2000)
        idle_after = schedstat(pids) if threads else {}
        loaded, sent = e2e.loaded_rtt(probes)
        after = schedstat(pids) if threads else {}
        return {"idle_p50_us": idle["p50_us"], "load_p50_us": loaded["p50_us"], "load_p99_us": loaded["p99_us"],
                "added_p99_us": loaded["p99_us"] - idle["p50_us"], "lost": loaded["lost"],
                "tcp_mbps": sent.get("bits_per_second", 0) / 1e6, "retransmits": sent.get("retransmits", 0),
                "threads": (idle_after, after), "idle_threads": (idle_before, idle_after)}
    finally:
        e2e.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--pair", default="jwg-jwg", choices=sorted(e2e.PAIRS))
    parser.add_argument("--probes", type=int, default=5000)
    parser.add_argument("--threads", action="store_true", help="CPU and run-queue wait of the daemons' threads")
    args = parser.parse_args()
    added = []
    for r in range(args.rounds):
        m = loaded_round(args.pair, args.probes, args.threads)
        added.append(m["added_p99_us"])
        print(f"round {r + 1} {args.pair}: idle p50 {m['idle_p50_us']:.0f} us, loaded p50 {m['load_p50_us']:.0f} "
              f"p99 {m['load_p99_us']:.0f} us, added p99 {m['added_p99_us']:.0f} us, lost {m['lost']}, "
              f"TCP {m['tcp_mbps']:.0f} Mbit/s, {m['retransmits']} retransmits", flush=True)
        if args.threads:
            print("  idle probe:")
            print_threads(*m["idle_threads"])
            print("  loaded probe:")
            print_threads(*m["threads"])
    print(f"{args.pair}: added p99 median {statistics.median(added):.0f} us, max {max(added):.0f} us")


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("e2e-load: needs root (network namespaces)")
    main()
