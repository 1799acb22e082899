#!/bin/bash
# Runs e2e-quick.sh for jwg<->jwg and wireguard-go<->wireguard-go back to back, N rounds, and
# prints each round's ratio; the medians are what to quote (the machine is shared).
#   benchmarks/e2e-compare.sh [rounds] [seconds]
here=$(dirname "$(readlink -f "$0")")
for i in $(seq "${1:-3}"); do
  j=$("$here/e2e-quick.sh" jwg jwg "${2:-5}")
  g=$("$here/e2e-quick.sh" wireguard-go wireguard-go "${2:-5}")
  echo "$j"; echo "$g"
  jr=$(echo "$j" | awk '{print $3}'); gr=$(echo "$g" | awk '{print $3}')
  echo "round $i: jwg $jr / wg-go $gr = $(awk -v a="$jr" -v b="$gr" 'BEGIN{if (b>0) printf "%.2f", a/b; else print "?"}')"
done
