#!/usr/bin/env python3
"""Where an idle round trip through the tunnel goes, hop by hop on side A.

Each round starts fresh daemons (benchmarks/e2e.py's namespaces and set-up), gives them 3 s of
TCP, then captures side A's TUN and veth with tcpdump while RttProbe sends PROBES UDP echoes 2 ms
apart, and prints the medians of:

  A out     the request on A's TUN to its datagram leaving A's veth (A's TUN read, seal, send)
  B + echo  that datagram to the answer arriving on A's veth (side B both ways and the echo)
  A in      the answer on A's veth to the reply on A's TUN (A's receive, open, TUN write)
  capture   the same round trip as tcpdump saw it; the probe's own p50 adds the probe's wake-ups

  benchmarks/e2e-hops.py --pair jwg-wg --rounds 2

tcpdump's own cost is the same for every pair, so compare pairs, not absolute figures. Keepalives
(32-byte datagrams) are left out. Needs root, tcpdump, iperf3 and the benchmarks jar.
"""
import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

spec = importlib.util.spec_from_file_location("e2e", os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e.py"))
e2e = importlib.util.module_from_spec(spec)
spec.loader.exec_module(e2e)

ORDER = ["request", "out", "in", "reply"]


def capture(iface, path):
    return subprocess.Popen(e2e.netns(0, "tcpdump", "-i", iface, "-n", "-Q", "inout", "--time-stamp-precision=nano",
                                      "-B", "8192", "-w", path, "udp"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def events(path, on_tun):
    """(time, kind) of the probe's packets on the TUN, or of the tunnel's datagrams on the veth."""
    out = subprocess.run(["tcpdump", "-r", path, "-n", "-tt", "--time-stamp-precision=nano"],
                         capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        t, source, dest = float(fields[0]), fields[2], fields[4]
        if on_tun:
            if source.startswith(e2e.INNER[0] + ".") and dest.endswith(f".{e2e.PROBE_PORT}:"):
                found.append((t, "request"))
            elif source == f"{e2e.INNER[1]}.{e2e.PROBE_PORT}":
                found.append((t, "reply"))
        elif "length 32" not in line:
            if source.startswith(e2e.OUTER[0] + "."):
                found.append((t, "out"))
            elif source.startswith(e2e.OUTER[1] + "."):
                found.append((t, "in"))
    return found


def hops(found):
    """Per-hop times of every probe seen whole, in order: request, out, in, reply."""
    result = {"A out": [], "B + echo": [], "A in": [], "capture": []}
    found.sort()
    i = 0
    while i + 3 < len(found):
        if [kind for _, kind in found[i:i + 4]] == ORDER:
            t = [time for time, _ in found[i:i + 4]]
            result["A out"].append(t[1] - t[0])
            result["B + echo"].append(t[2] - t[1])
            result["A in"].append(t[3] - t[2])
            result["capture"].append(t[3] - t[0])
            i += 4
        else:
            i += 1
    return result


def one_round(pair, probes, workdir):
    tun_pcap, veth_pcap = os.path.join(workdir, "tun.pcap"), os.path.join(workdir, "veth.pcap")
    e2e.setup(e2e.PAIRS[pair])
    try:
        e2e.tcp(1, 3)
        captures = [capture(e2e.IFS[0], tun_pcap), capture(e2e.VETH[0], veth_pcap)]
        try:
            time.sleep(1)
            probe = e2e.rtt(probes, 2000)
            time.sleep(0.5)
        finally:
            for c in captures:
                c.terminate()
                c.wait()
    finally:
        e2e.cleanup()
    return probe, hops(events(tun_pcap, True) + events(veth_pcap, False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pair", default="jwg-jwg", choices=sorted(e2e.PAIRS))
    parser.add_argument("--probes", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jwg-hops-") as workdir:
        for r in range(args.rounds):
            probe, measured = one_round(args.pair, args.probes, workdir)
            if not measured["capture"]:
                sys.exit("e2e-hops.py: no whole round trip in the capture")
            figures = ", ".join(f"{name} {statistics.median(v) * 1e6:.0f}" for name, v in measured.items())
            print(f"round {r + 1} {args.pair}: probe p50 {probe['p50_us']:.0f} us; medians over "
                  f"{len(measured['capture'])} round trips, us: {figures}", flush=True)


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("e2e-hops.py: needs root (network namespaces)")
    if shutil.which("tcpdump") is None:
        sys.exit("e2e-hops.py: needs tcpdump (apt-get install --no-install-recommends tcpdump)")
    main()
