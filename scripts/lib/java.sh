# Sourced by mvnw, bin/jwg and scripts/*: selects a JDK 25 (or newer) and exports JAVA_HOME.
# Order: $JAVA_HOME, `java` on PATH, then the usual install roots. Prints one line and exits 1
# when none is found, because every jwg entry point needs the JDK 25 intrinsics.

jwg_java_major() { # $1 = path to a java binary; prints its feature version or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

jwg_select_jdk() {
  local min=25 candidate major
  for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null)" \
      /usr/lib/jvm/*25*/bin/java /usr/lib/jvm/*/bin/java /opt/java/*/bin/java /opt/*jdk*/bin/java \
      "${HOME:-/nonexistent}"/.sdkman/candidates/java/*/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    major=$(jwg_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then
      candidate=$(readlink -f "$candidate")
      JAVA_HOME=${candidate%/bin/java}
      export JAVA_HOME
      return 0
    fi
  done
  echo "jwg: no JDK $min found; install one (e.g. Temurin 25: apt-get install temurin-25-jdk) or set JAVA_HOME" >&2
  exit 1
}
