#!/bin/bash
# Quick end-to-end throughput check: two daemons in two network namespaces joined by a veth pair,
# iperf3 TCP single stream through the tunnel, then a ping RTT sample. Root only.
#   benchmarks/e2e-quick.sh IMPL_A IMPL_B [seconds]     IMPL = jwg | wireguard-go
# Names are unique to this script (namespaces jqa/jqb, interfaces wgjqa/wgjqb) so it does not
# collide with other benches on the box. Daemons exit when their namespace (and TUN) goes away.
# JWG=/path/to/bin/jwg selects the launcher (default: this checkout's).
set -u
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
JWG=${JWG:-$root/bin/jwg}
A=jqa; B=jqb; IA=wgjqa; IB=wgjqb
down() {
  for ns in $A $B; do
    for p in $(ip netns pids $ns 2>/dev/null); do kill "$p" 2>/dev/null; done
  done
  sleep 0.2
  ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
  rm -f /var/run/wireguard/$IA.sock /var/run/wireguard/$IB.sock
}
start() { # ns ifname impl
  if [ "$3" = jwg ]; then ip netns exec "$1" env ${JWG_JAVA_OPTS+JWG_JAVA_OPTS="$JWG_JAVA_OPTS"} "$JWG" "$2"
  else ip netns exec "$1" wireguard-go "$2"; fi
}
up() {
  ip netns add $A; ip netns add $B
  ip -n $A link set lo up; ip -n $B link set lo up
  ip link add vjqa netns $A type veth peer name vjqb netns $B
  ip -n $A addr add 192.168.177.1/24 dev vjqa; ip -n $B addr add 192.168.177.2/24 dev vjqb
  ip -n $A link set vjqa up; ip -n $B link set vjqb up
  start $A $IA "$1"; start $B $IB "$2"
  ka=$(wg genkey); kb=$(wg genkey)
  ip netns exec $A wg set $IA private-key <(echo "$ka") listen-port 51770 peer "$(echo "$kb" | wg pubkey)" endpoint 192.168.177.2:51771 allowed-ips 10.177.0.2/32
  ip netns exec $B wg set $IB private-key <(echo "$kb") listen-port 51771 peer "$(echo "$ka" | wg pubkey)" endpoint 192.168.177.1:51770 allowed-ips 10.177.0.1/32
  ip -n $A addr add 10.177.0.1/24 dev $IA; ip -n $A link set $IA up
  ip -n $B addr add 10.177.0.2/24 dev $IB; ip -n $B link set $IB up
}
down >/dev/null 2>&1
up "$1" "$2" >/dev/null 2>&1
ip netns exec $A ping -c 1 -W 8 10.177.0.2 >/dev/null
ip netns exec $B iperf3 -s -1 -D -B 10.177.0.2 -p 5277 >/dev/null 2>&1; sleep 0.3
r=$(ip netns exec $A iperf3 -c 10.177.0.2 -p 5277 -t "${3:-5}" -f m 2>&1 | grep receiver | awk '{print $7}')
drops=$(ip -n $A -s link show $IA | awk '/TX:/{getline; print $4}')
p=$(ip netns exec $A ping -c 200 -i 0.005 -q 10.177.0.2 | tail -1 | cut -d= -f2)
echo "$1->$2 tcp ${r:-FAIL} Mbit/s; tx-drops ${drops:-?}; rtt $p"
down >/dev/null 2>&1
