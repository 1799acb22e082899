#!/usr/bin/env python3
"""End-to-end benchmark: jwg against wireguard-go through real tunnels, side by side.

For each pair (jwg<->jwg, wireguard-go<->wireguard-go as the baseline, jwg<->wireguard-go) and
each round, in alternating order, this builds two network namespaces joined by a veth pair,
starts one daemon in each, configures them with `wg`, and measures through the tunnel:

  launch to ready      the daemonizing launcher's run time (returns once TUN and socket exist)
  RTT sparse, cold     right after the handshake, before any other traffic: ping, 40 echoes
                       250 ms apart (a fresh daemon serving light traffic): p50 / p90
  RTT idle             UDP echo round trips (RttProbe, HdrHistogram): p50 / p99 / p99.9
  TCP 1 and 4 streams  iperf3, receiver's rate
  UDP 1380 B           iperf3 unlimited rate: received rate and loss
  RTT under load       the same probe while one TCP stream runs
  CPU per GB           both daemons' user+sys seconds per GB received during the TCP tests
  peak RSS             VmHWM of each daemon at the end of the round

Each round starts fresh daemons, measures the sparse RTT, then gives them WARM seconds of TCP
traffic before the rest (--warm 0 measures everything on cold daemons).
The table shows the medians over the rounds, the baseline beside each figure and the ratio;
below it, issue #5's targets round by round (benchmarks/e2e-targets.py, which also reads saved
JSON); --json writes every figure of every round too, for comparison between commits.

Usage (root): benchmarks/e2e.py [--rounds 3] [--seconds 10] [--warm 3] [--json out.json]
              [--pairs jwg-jwg,wg-wg,jwg-wg]
The machine should be otherwise idle; quote ratios from one run, not absolute figures.
"""
import argparse
import datetime
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JWG = os.environ.get("JWG", os.path.join(ROOT, "bin", "jwg"))
BENCH_JAR = os.path.join(ROOT, "benchmarks", "target", "benchmarks.jar")
NS = ("jea", "jeb")
IFS = ("wgjea", "wgjeb")
VETH = ("vjea", "vjeb")
OUTER = ("192.168.178.1", "192.168.178.2")
INNER = ("10.178.0.1", "10.178.0.2")
PORTS = (51780, 51781)
IPERF_PORT = 5278
PROBE_PORT = 7278
PAIRS = {"jwg-jwg": ("jwg", "jwg"), "wg-wg": ("wireguard-go", "wireguard-go"), "jwg-wg": ("jwg", "wireguard-go")}
LABELS = {"jwg-jwg": "jwg<->jwg", "wg-wg": "wg-go<->wg-go", "jwg-wg": "jwg<->wg-go"}
CLK_TCK = os.sysconf("SC_CLK_TCK")

# (key, label, unit, higher is better)
METRICS = [
    ("tcp1_mbps", "TCP 1 stream", "Mbit/s", True),
    ("tcp4_mbps", "TCP 4 streams", "Mbit/s", True),
    ("udp_mbps", "UDP 1380 B received", "Mbit/s", True),
    ("udp_loss_pct", "UDP 1380 B loss", "%", False),
    ("rtt_sparse_p50_us", "RTT sparse, cold p50", "us", False),
    ("rtt_sparse_p90_us", "RTT sparse, cold p90", "us", False),
    ("rtt_idle_p50_us", "RTT idle p50", "us", False),
    ("rtt_idle_p99_us", "RTT idle p99", "us", False),
    ("rtt_idle_p999_us", "RTT idle p99.9", "us", False),
    ("rtt_load_p50_us", "RTT under load p50", "us", False),
    ("rtt_load_p99_us", "RTT under load p99", "us", False),
    ("rtt_load_p999_us", "RTT under load p99.9", "us", False),
    ("added_load_p99_us", "added p99 under load", "us", False),
    ("cpu_s_per_gb", "CPU per GB (both daemons)", "s", False),
    ("rss_a_mb", "peak RSS, side A", "MB", False),
    ("rss_b_mb", "peak RSS, side B", "MB", False),
    ("launch_ms", "launch to ready, side A", "ms", False),
]


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def netns(i, *cmd):
    return ["ip", "netns", "exec", NS[i], *cmd]


def cleanup():
    for ns in NS:
        pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 15)
            except (ProcessLookupError, ValueError):
                pass
    time.sleep(0.3)
    for ns in NS:
        run(["ip", "netns", "del", ns], check=False)
    for name in IFS:
        try:
            os.unlink(f"/var/run/wireguard/{name}.sock")
        except FileNotFoundError:
            pass


def start_daemon(i, impl):
    """Starts the daemon of side i; returns (pid, milliseconds the launcher took)."""
    cmd = [JWG, IFS[i]] if impl == "jwg" else ["wireguard-go", IFS[i]]
    t0 = time.monotonic()
    result = run(netns(i, *cmd), check=False)
    ms = (time.monotonic() - t0) * 1000
    if result.returncode != 0:
        raise RuntimeError(f"{impl} {IFS[i]} failed to start: {result.stderr.strip()}")
    pids = [int(p) for p in run(["ip", "netns", "pids", NS[i]]).stdout.split()]
    if len(pids) != 1:
        raise RuntimeError(f"expected one daemon in {NS[i]}, found {pids}")
    return pids[0], ms


def setup(impls):
    cleanup()
    for ns in NS:
        run(["ip", "netns", "add", ns])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(["ip", "link", "add", VETH[0], "netns", NS[0], "type", "veth", "peer", "name", VETH[1], "netns", NS[1]])
    for i in (0, 1):
        run(["ip", "-n", NS[i], "addr", "add", OUTER[i] + "/24", "dev", VETH[i]])
        run(["ip", "-n", NS[i], "link", "set", VETH[i], "up"])
    pids, launch = [], []
    for i in (0, 1):
        pid, ms = start_daemon(i, impls[i])
        pids.append(pid)
        launch.append(ms)
    keys = [run(["wg", "genkey"]).stdout.strip() for _ in (0, 1)]
    pubs = [run(["wg", "pubkey"], input=k).stdout.strip() for k in keys]
    for i in (0, 1):
        j = 1 - i
        keyfile = f"/tmp/jwg-e2e-key-{os.getpid()}-{i}"
        with open(os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(keys[i] + "\n")
        try:
            run(netns(i, "wg", "set", IFS[i], "private-key", keyfile, "listen-port", str(PORTS[i]),
                      "peer", pubs[j], "endpoint", f"{OUTER[j]}:{PORTS[j]}", "allowed-ips", INNER[j] + "/32"))
        finally:
            os.unlink(keyfile)
        run(["ip", "-n", NS[i], "addr", "add", INNER[i] + "/24", "dev", IFS[i]])
        run(["ip", "-n", NS[i], "link", "set", IFS[i], "mtu", "1420", "up"])
    run(netns(0, "ping", "-c", "1", "-W", "8", INNER[1]))
    return pids, launch


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLK_TCK


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def iperf(args, seconds):
    server = subprocess.Popen(netns(1, "iperf3", "-s", "-1", "-B", INNER[1], "-p", str(IPERF_PORT)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        out = run(netns(0, "iperf3", "-c", INNER[1], "-p", str(IPERF_PORT), "-t", str(seconds), "-J", *args),
                  check=False, timeout=seconds + 30)
        return json.loads(out.stdout)
    finally:
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()


def tcp(streams, seconds):
    r = iperf(["-P", str(streams)], seconds)
    end = r["end"]["sum_received"]
    return end["bits_per_second"] / 1e6, end["bytes"]


def udp(seconds):
    r = iperf(["-u", "-b", "0", "-l", "1380"], seconds)
    s = r["end"]["sum"]
    # iperf3's UDP summary: the server's received count as loss against what was sent.
    received_bits = (s["packets"] - s["lost_packets"]) * 1380 * 8 / s["seconds"] if s["seconds"] else 0
    return received_bits / 1e6, s["lost_percent"]


def rtt(count, interval_us):
    server = subprocess.Popen(netns(1, java(), "-cp", BENCH_JAR, "io.jwg.benchmarks.e2e.RttProbe", "server", str(PROBE_PORT)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.8)
        out = run(netns(0, java(), "-cp", BENCH_JAR, "io.jwg.benchmarks.e2e.RttProbe", "client", INNER[1],
                        str(PROBE_PORT), str(count), str(interval_us)), timeout=count * interval_us / 1e6 + 60)
        return json.loads(out.stdout)
    finally:
        server.terminate()
        server.wait()


_java = None


def loaded_rtt(probes):
    """Round trips (rtt(), probes 2 ms apart) while one iperf3 TCP stream runs from side A for
    longer than the probes take: the probe's figures and the stream's iperf3 sum_sent ({} if it
    gave none)."""
    seconds = int(probes * 2000 / 1e6 * 1.1) + 4
    port = str(IPERF_PORT + 1)
    server = subprocess.Popen(netns(1, "iperf3", "-s", "-1", "-B", INNER[1], "-p", port),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    client = subprocess.Popen(netns(0, "iperf3", "-c", INNER[1], "-p", port, "-t", str(seconds), "-J"),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(1.5)
        loaded = rtt(probes, 2000)
    finally:
        out, _ = client.communicate(timeout=seconds + 30)
        server.wait(timeout=10)
    try:
        sent = json.loads(out)["end"]["sum_sent"]
    except (ValueError, KeyError):
        sent = {}
    return loaded, sent


def sparse_rtt(count=40, interval="0.25"):
    """Percentiles (us) of ping round trips through the tunnel, `interval` seconds apart."""
    out = run(netns(0, "ping", "-n", "-c", str(count), "-i", interval, "-W", "2", INNER[1]), check=False).stdout
    times = sorted(float(t) * 1000 for t in re.findall(r"time=([0-9.]+) ms", out))
    if not times:
        return float("nan"), float("nan")
    return times[(len(times) - 1) // 2], times[min(len(times) - 1, int(len(times) * 0.9))]


def java():
    global _java
    if _java is None:
        script = f'. "{ROOT}/scripts/lib/java.sh"; jwg_select_jdk >&2; echo "$JAVA_HOME"'
        _java = os.path.join(run(["bash", "-c", script]).stdout.strip(), "bin", "java")
    return _java


def measure(pair, seconds, warm, probes):
    impls = PAIRS[pair]
    pids, launch = setup(impls)
    try:
        m = {"launch_ms": launch[0], "launch_b_ms": launch[1]}
        m["rtt_sparse_p50_us"], m["rtt_sparse_p90_us"] = sparse_rtt()
        if warm > 0:
            tcp(1, warm)
        idle = rtt(probes, 2000)
        m.update({"rtt_idle_p50_us": idle["p50_us"], "rtt_idle_p99_us": idle["p99_us"], "rtt_idle_p999_us": idle["p999_us"],
                  "rtt_idle_lost": idle["lost"]})
        cpu0 = cpu_seconds(pids)
        m["tcp1_mbps"], b1 = tcp(1, seconds)
        m["tcp4_mbps"], b4 = tcp(4, seconds)
        cpu1 = cpu_seconds(pids)
        m["cpu_s_per_gb"] = (cpu1 - cpu0) / ((b1 + b4) / 1e9) if b1 + b4 > 0 else float("nan")
        m["udp_mbps"], m["udp_loss_pct"] = udp(seconds)
        loaded, _ = loaded_rtt(probes)
        m.update({"rtt_load_p50_us": loaded["p50_us"], "rtt_load_p99_us": loaded["p99_us"], "rtt_load_p999_us": loaded["p999_us"],
                  "rtt_load_lost": loaded["lost"]})
        m["added_load_p99_us"] = loaded["p99_us"] - idle["p50_us"]
        m["rss_a_mb"], m["rss_b_mb"] = peak_rss_mb(pids[0]), peak_rss_mb(pids[1])
        return m
    finally:
        cleanup()


def fmt(v):
    if v is None or v != v:
        return "-"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def table(medians, pairs):
    base = medians.get("wg-wg", {})
    header = f"{'metric':<28}{'unit':>7}"
    for p in pairs:
        header += f"{LABELS[p]:>16}"
        if p != "wg-wg" and "wg-wg" in pairs:
            header += f"{'ratio':>8}"
    lines = [header, "-" * len(header)]
    for key, label, unit, higher in METRICS:
        row = f"{label:<28}{unit:>7}"
        for p in pairs:
            v = medians[p].get(key)
            row += f"{fmt(v):>16}"
            if p != "wg-wg" and "wg-wg" in pairs:
                b = base.get(key)
                row += f"{(v / b if v is not None and b else float('nan')):>8.2f}"
        lines.append(row)
    lines.append("ratio = pair / wireguard-go pair (baseline); higher is better for rates, lower for the rest")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10, help="length of each iperf3 test")
    ap.add_argument("--warm", type=int, default=3, help="seconds of TCP before measuring (0: cold)")
    ap.add_argument("--probes", type=int, default=2000, help="RTT probes per measurement, 2 ms apart")
    ap.add_argument("--pairs", default="jwg-jwg,wg-wg,jwg-wg")
    ap.add_argument("--json", help="write every figure here")
    args = ap.parse_args()
    pairs = args.pairs.split(",")
    for p in pairs:
        if p not in PAIRS:
            sys.exit(f"e2e.py: unknown pair {p!r}; choose from {', '.join(PAIRS)}")
    if os.geteuid() != 0:
        sys.exit("e2e.py: run as root (network namespaces)")
    if not os.path.exists(BENCH_JAR):
        subprocess.run([os.path.join(ROOT, "mvnw"), "-B", "-q", "-pl", "benchmarks", "-am", "package", "-DskipTests"],
                       cwd=ROOT, check=True)
    run([JWG, "--version"])  # builds jwg.jar and its AOT cache now, not inside a timed launch
    results = {p: [] for p in pairs}
    try:
        for r in range(args.rounds):
            for p in pairs:
                m = measure(p, args.seconds, args.warm, args.probes)
                results[p].append(m)
                print(f"round {r + 1} {LABELS[p]}: tcp1 {fmt(m['tcp1_mbps'])} tcp4 {fmt(m['tcp4_mbps'])} "
                      f"udp {fmt(m['udp_mbps'])} Mbit/s; rtt p50 {fmt(m['rtt_idle_p50_us'])} us", file=sys.stderr)
    except KeyboardInterrupt:
        cleanup()
        sys.exit(130)
    medians = {p: {k: statistics.median([m[k] for m in results[p]]) for k in results[p][0]} for p in pairs}
    print(table(medians, pairs))
    commit = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    data = {"commit": commit, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(), "args": vars(args), "median": medians, "rounds": results}
    print()
    print(targets_report(data))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)


def targets_report(data):
    """benchmarks/e2e-targets.py's round-by-round check of the issue's targets."""
    spec = importlib.util.spec_from_file_location("e2e_targets", os.path.join(ROOT, "benchmarks", "e2e-targets.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.report(data)


if __name__ == "__main__":
    main()
