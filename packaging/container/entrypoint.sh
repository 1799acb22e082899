#!/usr/bin/env bash
# The container's entry point: brings up every $JWG_CONFIG_DIR/*.conf (default /config), in
# name order, with wg-quick and jwg as its userspace implementation, then stays in the
# foreground. On SIGTERM or SIGINT it runs `wg-quick down` for each, newest first, waits for
# their UAPI sockets to go, and exits 0 (1 if one failed to go down). If an interface
# disappears (its daemon died, someone deleted it) the rest go down and it exits 1, so the
# container's restart policy can act.
#   docker run --cap-add NET_ADMIN --device /dev/net/tun -v ./config:/config jwg
set -euo pipefail

config_dir=${JWG_CONFIG_DIR:-/config}
export WG_QUICK_USERSPACE_IMPLEMENTATION=${WG_QUICK_USERSPACE_IMPLEMENTATION:-jwg}
# wg-quick waits for its userspace implementation to daemonize: never the foreground here.
unset WG_PROCESS_FOREGROUND

shopt -s nullglob
configs=("$config_dir"/*.conf)
if [ ${#configs[@]} -eq 0 ]; then
  echo "jwg-entrypoint: no *.conf in $config_dir (mount your wg-quick configurations there)" >&2
  exit 1
fi

up=()
sleeper=

# `wg-quick down` deletes the link and returns; the daemon then notices, removes its UAPI
# socket and exits on its own. Waits for that, 5 s at most, so that the container does not stop
# with a daemon half way through. A socket whose daemon is gone without removing it (wireguard-go
# leaves it) refuses the connection, and `wg show` then removes it.
await_socket_gone() {
  local socket=/var/run/wireguard/$1.sock n
  for ((n = 0; n < 100; n++)); do
    [ -S "$socket" ] || return 0
    wg show "$1" public-key >/dev/null 2>&1 || [ -S "$socket" ] || return 0
    sleep 0.05
  done
  echo "jwg-entrypoint: $socket still there 5 s after wg-quick down" >&2
}

# Takes down what is up, newest first, and exits with $1, or 1 if a `wg-quick down` failed.
take_down() {
  local status=$1 i
  trap - TERM INT
  [ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null || true
  for ((i = ${#up[@]} - 1; i >= 0; i--)); do
    wg-quick down "${up[i]}" || status=1
  done
  for ((i = ${#up[@]} - 1; i >= 0; i--)); do
    await_socket_gone "$(basename "${up[i]}" .conf)"
  done
  exit "$status"
}
trap 'take_down 0' TERM INT

for conf in "${configs[@]}"; do
  if ! wg-quick up "$conf"; then
    echo "jwg-entrypoint: wg-quick up $conf failed" >&2
    take_down 1
  fi
  up+=("$conf")
done
echo "jwg-entrypoint: up: ${up[*]}"

while true; do
  # A background sleep and `wait`, so a signal runs the trap at once.
  sleep 2 &
  sleeper=$!
  wait "$sleeper" || true
  sleeper=
  for conf in "${up[@]}"; do
    name=$(basename "$conf" .conf)
    if ! ip link show dev "$name" >/dev/null 2>&1; then
      echo "jwg-entrypoint: interface $name is gone; taking the others down" >&2
      remaining=()
      for other in "${up[@]}"; do
        [ "$other" = "$conf" ] || remaining+=("$other")
      done
      up=("${remaining[@]}")
      take_down 1
    fi
  done
done
