# Runs COMMAND... inside the parts of jwg@.service's sandbox that can be rebuilt without systemd:
# a private mount namespace in which / is read-only (ProtectSystem=strict; this host keeps /usr,
# /etc and /var on /), /tmp is a private tmpfs (PrivateTmp), /root and /home are empty and
# inaccessible (ProtectHome), /run/wireguard stays writable (RuntimeDirectory), and then
# no_new_privs (NoNewPrivileges) with the capability bounding set CAPS, e.g.
# "+net_admin,+net_bind_service" (CapabilityBoundingSet). Seccomp and device-cgroup settings
# (RestrictAddressFamilies, DevicePolicy, ProtectKernel*) are not reproduced.
# Usage: bash unit-sandbox.sh CAPS COMMAND...
set -euo pipefail
exec unshare --mount --propagation private -- bash -c '
  set -euo pipefail
  caps=$1
  shift
  mkdir -p /run/wireguard
  mount --bind /run/wireguard /run/wireguard
  mount -t tmpfs -o mode=1777 tmpfs /tmp
  for home in /root /home; do
    if [ -d "$home" ]; then mount -t tmpfs -o mode=000 tmpfs "$home"; fi
  done
  mount -o remount,bind,ro /
  exec setpriv --no-new-privs --bounding-set=-all,"$caps" --inh-caps=-all -- "$@"
' unit-sandbox "$@"
