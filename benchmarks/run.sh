#!/usr/bin/env bash
# Runs the JMH suite on JDK 25, building benchmarks/target/benchmarks.jar first if it is missing.
# Every argument goes to JMH, e.g.:
#   benchmarks/run.sh AeadBenchmark -prof gc
#   benchmarks/run.sh -f 1 -wi 3 -w 1s -i 5 -r 1s TransportBenchmark
# The JDK is chosen by scripts/lib/java.sh, like every other entry point.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$here/target/benchmarks.jar"

. "$root/scripts/lib/java.sh"
jwg_select_jdk
java_home="$JAVA_HOME"

if [[ ! -f "$jar" ]]; then
    (cd "$root" && JAVA_HOME="$java_home" ./mvnw -B -q -pl benchmarks -am package -DskipTests)
fi

exec "$java_home/bin/java" -jar "$jar" "$@"
