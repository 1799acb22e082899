#!/usr/bin/env bash
# Runs the JMH suite on JDK 25, building benchmarks/target/benchmarks.jar first if it is missing.
# Every argument goes to JMH, e.g.:
#   benchmarks/run.sh AeadBenchmark -prof gc
#   benchmarks/run.sh -f 1 -wi 3 -w 1s -i 5 -r 1s TransportBenchmark
# JAVA_HOME wins if it is a JDK 25 or later; otherwise the Temurin 25 path below.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$here/target/benchmarks.jar"

java_home="${JAVA_HOME:-}"
if [[ -z "$java_home" || ! -x "$java_home/bin/java" ]] \
        || [[ "$("$java_home/bin/java" -XshowSettings:properties -version 2>&1 \
              | sed -n 's/^ *java.specification.version = //p')" -lt 25 ]]; then
    java_home=/usr/lib/jvm/temurin-25-jdk-amd64
fi
if [[ ! -x "$java_home/bin/java" ]]; then
    echo "run.sh: no JDK 25 found (set JAVA_HOME)" >&2
    exit 1
fi

if [[ ! -f "$jar" ]]; then
    (cd "$root" && JAVA_HOME="$java_home" ./mvnw -B -q -pl benchmarks -am package -DskipTests)
fi

exec "$java_home/bin/java" -jar "$jar" "$@"
