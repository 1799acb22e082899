# jwg in a container: every /config/*.conf (wg-quick format) comes up through wg-quick with jwg
# as the userspace WireGuard, and goes down again when the container stops.
#   docker build -t jwg .
#   docker run --cap-add NET_ADMIN --device /dev/net/tun -v ./config:/config jwg
# See README.md, "Run in a container".

FROM eclipse-temurin:25-jdk AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The wrapper and the poms first: building them without sources downloads Maven, every plugin
# and every dependency into a layer that is rebuilt only when one of them changes.
# (dependency:go-offline cannot resolve Netty's OS-classified artifacts, so a real build it is.)
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY scripts/lib scripts/lib
COPY core/pom.xml core/
COPY tun/pom.xml tun/
COPY uapi/pom.xml uapi/
COPY daemon/pom.xml daemon/
COPY benchmarks/pom.xml benchmarks/
COPY tests/pom.xml tests/
RUN ./mvnw -B -q -Dmaven.test.skip=true -pl daemon -am package && rm -rf core/target tun/target uapi/target daemon/target
COPY core/src core/src
COPY tun/src tun/src
COPY uapi/src uapi/src
COPY daemon/src daemon/src
COPY bin bin
COPY scripts/install scripts/
COPY packaging packaging
RUN ./mvnw -B -q -o -Dmaven.test.skip=true -pl daemon -am package \
 && scripts/install --destdir /out --prefix /usr/local

FROM eclipse-temurin:25-jre
RUN apt-get update \
 && apt-get install -y --no-install-recommends wireguard-tools iproute2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/local/bin/jwg /usr/local/bin/jwg
COPY --from=build /out/usr/local/lib/jwg /usr/local/lib/jwg
COPY packaging/container/entrypoint.sh /usr/local/bin/jwg-entrypoint
# The first run makes the ahead-of-time cache with this image's JVM, so containers start fast.
RUN jwg --version
VOLUME /config
ENTRYPOINT ["/usr/local/bin/jwg-entrypoint"]
