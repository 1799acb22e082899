#!/bin/bash
# CPU cost at a fixed rate: both daemons of a pair carry an iperf3 TCP stream capped at RATE
# for SECONDS after WARM seconds of the same traffic (JIT warm-up for jwg; harmless for
# wireguard-go), and the script prints the daemons' CPU time (user+sys, both sides together)
# per gigabit carried. Less sensitive to other load on a shared box than peak throughput.
#   benchmarks/e2e-cpu.sh IMPL [rate=200M] [seconds=5] [warm=8]
set -u
here=$(dirname "$(readlink -f "$0")")
root=$(cd "$here/.." && pwd)
export JWG=${JWG:-$root/bin/jwg}
sed -n '1,/^down >\/dev\/null 2>&1$/p' "$here/e2e-quick.sh" | head -n -1 > /tmp/e2e-cpu-lib.$$
. /tmp/e2e-cpu-lib.$$; rm -f /tmp/e2e-cpu-lib.$$
impl=$1; rate=${2:-200M}; secs=${3:-5}; warm=${4:-8}
down >/dev/null 2>&1; up "$impl" "$impl" >/dev/null 2>&1
ip netns exec $A ping -c 1 -W 8 10.177.0.2 >/dev/null
cpu() { local u=0 k=0; for ns in $A $B; do for p in $(ip netns pids $ns); do
  read -r pu pk < <(awk '{print $14, $15}' /proc/$p/stat); u=$((u + pu)); k=$((k + pk)); done; done; echo "$u $k"; }
run() { ip netns exec $B iperf3 -s -1 -D -B 10.177.0.2 -p 5277 >/dev/null 2>&1; sleep 0.3
  ip netns exec $A iperf3 -c 10.177.0.2 -p 5277 -t "$1" -b "$rate" -f m 2>&1 | grep receiver | awk '{print $7}'; }
[ "$warm" -gt 0 ] && run "$warm" >/dev/null
read -r u0 k0 < <(cpu); r=$(run "$secs"); read -r u1 k1 < <(cpu)
hz=$(getconf CLK_TCK)
awk -v u=$((u1 - u0)) -v k=$((k1 - k0)) -v hz="$hz" -v r="${r:-0}" -v s="$secs" -v i="$impl" \
  'BEGIN { cs = (u + k) / hz; printf "%s: %s Mbit/s, daemons %.2f CPU-s (user %.2f, sys %.2f) in %d s = %.2f CPU-s per Gbit\n", i, r, cs, u / hz, k / hz, s, (r > 0 ? cs / (r * s / 1000) : 0) }'
down >/dev/null 2>&1
