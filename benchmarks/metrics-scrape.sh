#!/usr/bin/env bash
# What metrics cost: the latency of one scrape of jwg's /metrics, and the JVM CPU time it takes,
# with 1 peer and with PEERS peers; and iperf3 TCP throughput through the tunnel without and with
# a scraper fetching /metrics every 100 ms, side by side in the same run. jwg (bin/jwg -f, metrics
# on [::1]:9586) in one network namespace, wireguard-go as its peer in another, joined by a veth
# pair; the extra peers are added to jwg with `wg addconf` (random keys, one /32 each, no endpoint).
#   benchmarks/metrics-scrape.sh [PEERS [SECONDS [ROUNDS [SCRAPES]]]]
#   default 1000 peers, 3 rounds of 5 s iperf3 runs, 50 timed scrapes; needs root
set -euo pipefail
peers=${1:-1000}
seconds=${2:-5}
rounds=${3:-3}
scrapes=${4:-50}
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "metrics-scrape: needs root (network namespaces, /var/run/wireguard)" >&2; exit 1; }
for tool in wireguard-go wg iperf3 python3 ip ping; do
  command -v "$tool" >/dev/null || { echo "metrics-scrape: $tool not found" >&2; exit 1; }
done
"$root/bin/jwg" --version >/dev/null # builds the jar first if needed, outside the timing

tag=$(printf '%06x' $((RANDOM * RANDOM % 16777216)))
nsa="jmb-a-$tag"
nsb="jmb-b-$tag"
ifa="jmba$tag"
ifb="jmbb$tag"
url="http://[::1]:9586/metrics"
work=$(mktemp -d "${TMPDIR:-/tmp}/metrics-scrape.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "/var/run/wireguard/$ifa.sock" "/var/run/wireguard/$ifb.sock"
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$nsa"
ip netns add "$nsb"
ip -n "$nsa" link set lo up
ip -n "$nsb" link set lo up
ip link add "jmbv$tag" netns "$nsa" type veth peer name "jmbw$tag" netns "$nsb"
ip -n "$nsa" addr add 10.77.0.1/24 dev "jmbv$tag"
ip -n "$nsb" addr add 10.77.0.2/24 dev "jmbw$tag"
ip -n "$nsa" link set "jmbv$tag" up
ip -n "$nsb" link set "jmbw$tag" up

JWG_METRICS_ADDRESS='[::1]:9586' ip netns exec "$nsa" "$root/bin/jwg" -f "$ifa" >"$work/jwg.log" 2>&1 &
pids+=($!)
ip netns exec "$nsb" wireguard-go -f "$ifb" >"$work/wireguard-go.log" 2>&1 &
pids+=($!)
for _ in $(seq 600); do
  [ -S "/var/run/wireguard/$ifa.sock" ] && [ -S "/var/run/wireguard/$ifb.sock" ] && break
  sleep 0.1
done

(umask 077; wg genkey >"$work/a.key"; wg genkey >"$work/b.key")
ip netns exec "$nsa" wg set "$ifa" private-key "$work/a.key" listen-port 51820 \
  peer "$(wg pubkey <"$work/b.key")" endpoint 10.77.0.2:51820 allowed-ips 10.78.0.2/32
ip netns exec "$nsb" wg set "$ifb" private-key "$work/b.key" listen-port 51820 \
  peer "$(wg pubkey <"$work/a.key")" endpoint 10.77.0.1:51820 allowed-ips 10.78.0.1/32
ip -n "$nsa" addr add 10.78.0.1/24 dev "$ifa"
ip -n "$nsb" addr add 10.78.0.2/24 dev "$ifb"
ip -n "$nsa" link set "$ifa" up
ip -n "$nsb" link set "$ifb" up
ip netns exec "$nsa" ping -c 3 -i 0.2 -W 2 10.78.0.2 >/dev/null
ip netns exec "$nsb" iperf3 -s >/dev/null 2>&1 &
pids+=($!)
sleep 0.5

# The scraper: one process, one kept-alive HTTP connection, so that what is measured is jwg's side.
#   scraper.py latency N     N timed scrapes: wall time, size, and the JVM's CPU time per scrape
#   scraper.py hammer FILE   a scrape every 100 ms until killed, the count kept in FILE
cat >"$work/scraper.py" <<'EOF'
import http.client, re, sys, time
conn = http.client.HTTPConnection("::1", 9586, timeout=10)
def scrape():
    conn.request("GET", "/metrics")
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit("HTTP %d" % response.status)
    return body
def cpu(body):
    return float(re.search(rb"^process_cpu_seconds_total (\S+)$", body, re.M).group(1))
if sys.argv[1] == "latency":
    n = int(sys.argv[2])
    for _ in range(n):  # warm-up: the JIT compiles the scrape path
        scrape()
    first = cpu(scrape())
    times = []
    for _ in range(n):
        start = time.monotonic()
        body = scrape()
        times.append((time.monotonic() - start) * 1000)
    cpu_ms = (cpu(body) - first) * 1000 / n
    times.sort()
    print("median %.1f ms  p90 %.1f ms  max %.1f ms  JVM CPU %.1f ms per scrape  (%d scrapes of %d bytes)" % (
        times[len(times) // 2], times[int(len(times) * 0.9)], times[-1], cpu_ms, n, len(body)))
else:
    count = 0
    while True:
        scrape()
        count += 1
        with open(sys.argv[2], "w") as f:
            f.write(str(count))
        time.sleep(0.1)
EOF

scrape_latency() {
  ip netns exec "$nsa" python3 "$work/scraper.py" latency "$scrapes"
}

# throughput: Mbit/s received by iperf3 in SECONDS of TCP from a to b.
throughput() {
  ip netns exec "$nsa" iperf3 -c 10.78.0.2 -t "$seconds" -J \
    | python3 -c 'import json, sys; print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))'
}

# hammered: throughput while the scraper fetches /metrics every 100 ms; also counts the scrapes.
hammered() {
  echo 0 >"$work/scrapes"
  ip netns exec "$nsa" python3 "$work/scraper.py" hammer "$work/scrapes" &
  local hammer=$!
  local mbit
  mbit=$(throughput)
  kill "$hammer"
  wait "$hammer" 2>/dev/null || true
  echo "$mbit Mbit/s ($(cat "$work/scrapes") scrapes)"
}

# report N: scrape latency, then ROUNDS of iperf3 without and with the scraper, interleaved so
# that a busy machine disturbs both alike.
report() {
  local n=$1
  echo "== $n peer(s)"
  echo "scrape:          $(scrape_latency)"
  for round in $(seq "$rounds"); do
    echo "iperf3 round $round: plain $(throughput) Mbit/s, scraped $(hammered)"
  done
}

report 1
python3 - "$peers" >"$work/peers.conf" <<'EOF'
import base64, os, sys
for i in range(int(sys.argv[1]) - 1):
    print("[Peer]")
    print("PublicKey = " + base64.b64encode(os.urandom(32)).decode())
    print("AllowedIPs = 10.%d.%d.%d/32" % (100 + (i >> 16), (i >> 8) & 255, i & 255))
EOF
ip netns exec "$nsa" wg addconf "$ifa" "$work/peers.conf"
report "$peers"
