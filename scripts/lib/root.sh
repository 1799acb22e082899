# Sourced by scripts/test and bin/jwg: re-runs the calling script as root when it needs root
# (network namespaces, TUN devices, the shared UAPI socket directory).

# jwg_as_root NAME REASON SCRIPT [ARGS...]
# Returns when already root. Otherwise re-executes SCRIPT ARGS through sudo when sudo exists, or
# prints "NAME: run as root (REASON)" and exits 1. The environment is passed through `sudo env`
# rather than `sudo -E`, because many sudoers policies forbid -E but allow any command; only the
# variables jwg reads are kept (CI decides skip-or-fail in tests, JAVA_HOME picks the JDK).
jwg_as_root() {
  local name=$1 reason=$2 script=$3
  shift 3
  [ "$(id -u)" -eq 0 ] && return 0
  if [ -n "${JWG_ELEVATED:-}" ] || ! command -v sudo >/dev/null 2>&1; then
    echo "$name: run as root ($reason)" >&2
    exit 1
  fi
  local -a keep=() vars
  local var
  mapfile -t vars < <(compgen -e | grep -E '^(CI|JAVA_HOME|LOG_LEVEL|WG_PROCESS_FOREGROUND|WG_QUICK_USERSPACE_IMPLEMENTATION|JWG_.*)$' || true)
  for var in "${vars[@]}"; do
    keep+=("$var=${!var}")
  done
  exec sudo env JWG_ELEVATED=1 "${keep[@]}" "$script" "$@"
}
