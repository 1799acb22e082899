#!/usr/bin/env bash
# UAPI at scale: how long one `set=1` with N peers (each a public key and one allowed IP, after
# the interface's private key, so every peer costs its static-static X25519 as in real use) takes
# through the real daemon's socket, jwg (bin/jwg -f) next to wireguard-go, each started fresh in
# its own network namespace with its link up, RUNS times. Prints each run, the medians and the
# ratio jwg / wireguard-go. The target (issue #4) is <= 2 s for 10,000 peers.
#   benchmarks/uapi-scale.sh [PEERS [RUNS]]     default 10000 peers, 3 runs; needs root
set -euo pipefail
peers=${1:-10000}
runs=${2:-3}
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "uapi-scale: needs root (network namespaces, /var/run/wireguard)" >&2; exit 1; }
for tool in wireguard-go wg python3 ip; do
  command -v "$tool" >/dev/null || { echo "uapi-scale: $tool not found" >&2; exit 1; }
done
"$root/bin/jwg" --version >/dev/null # builds the jar first if needed, outside the timing

ns="jwgb-$$"
pid=""
ifname=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  [ -n "$ifname" ] && rm -f "/var/run/wireguard/$ifname.sock"
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT

# One timed apply: prints seconds. Reads the reply to the end; errno must be 0.
apply() {
  python3 - "$1" "$peers" <<'EOF'
import os, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
lines = ["set=1", "private_key=" + os.urandom(32).hex()]
for i in range(n):
    lines.append("public_key=" + os.urandom(32).hex())
    lines.append("allowed_ip=10.%d.%d.%d/32" % ((i >> 16) & 255, (i >> 8) & 255, i & 255))
payload = ("\n".join(lines) + "\n\n").encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
start = time.monotonic()
s.sendall(payload)
reply = b""
while not reply.endswith(b"\n\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
elapsed = time.monotonic() - start
if reply != b"errno=0\n\n":
    sys.exit("unexpected reply: %r" % reply)
print("%.3f" % elapsed)
EOF
}

# run IMPL EXECUTABLE: one fresh daemon, one timed apply; prints seconds.
run() {
  local exe=$1
  ifname="wgb$(printf '%06x' $((RANDOM * RANDOM % 16777216)))"
  ip netns add "$ns"
  ip netns exec "$ns" env LOG_LEVEL=error "$exe" -f "$ifname" >/dev/null 2>&1 &
  pid=$!
  local sock="/var/run/wireguard/$ifname.sock"
  for _ in $(seq 600); do
    python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])" "$sock" 2>/dev/null && break
    sleep 0.1
  done
  ip netns exec "$ns" ip link set "$ifname" up
  local seconds
  seconds=$(apply "$sock")
  local count
  count=$(wg show "$ifname" peers | wc -l)
  [ "$count" = "$peers" ] || { echo "uapi-scale: $exe has $count peers, expected $peers" >&2; exit 1; }
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  rm -f "$sock"; ip netns del "$ns"; ifname=""
  echo "$seconds"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A times
for impl in jwg wireguard-go; do
  exe=$([ "$impl" = jwg ] && echo "$root/bin/jwg" || echo wireguard-go)
  times[$impl]=""
  for r in $(seq "$runs"); do
    s=$(run "$exe")
    echo "$impl run $r: $peers peers in $s s"
    times[$impl]+="$s"$'\n'
  done
done
jwg_median=$(printf '%s' "${times[jwg]}" | median)
go_median=$(printf '%s' "${times[wireguard-go]}" | median)
printf 'median: jwg %s s, wireguard-go %s s, ratio jwg/wireguard-go %.2f (target: jwg <= 2 s)\n' \
  "$jwg_median" "$go_median" "$(echo "$jwg_median $go_median" | awk '{print $1 / $2}')"
