# CetusGuard for the JVM: container image.
#
# Made from the release tarball, so build that first, then the image:
#
#   mvn -B package -DskipTests          # -> target/cetusguard-<version>.tar.gz (+ .sha256)
#   docker build --build-arg VERSION=<version> -t cetusguard .
#
# (examples/build-image.sh does both, and makes a Debian base image with debootstrap where no
# registry is reachable.) The build stage needs the network for apt (the JDK that runs jlink).
#
# The runtime stage is FROM scratch: a jlink'd Java runtime with only the modules the proxy
# needs, the C libraries that runtime links against, the application, and no shell. It runs as
# uid/gid 10001; give it the Docker socket's group with `--group-add <gid of the socket>`.
# It works with a read-only root file system, all capabilities dropped, no-new-privileges and
# 64 MiB of memory (see examples/run-image.sh and examples/compose/).

ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

# JVM flags: the "small" tuning of conf/jvm.options (the one bin/cetusguard picks under a 96 MiB
# memory limit), measured for a 64 MiB container: C1 only, a 16 MiB heap, Serial GC, small stacks and
# code cache; -XX:-UsePerfData (no hsperfdata file: the root file system is read-only); and
# -XX:ArchiveRelocationMode=0, which maps the class-data archives where they were made instead of
# patching every pointer in them (~20 MiB of clean, shared, file-backed pages would turn private).
# --build-arg JVM_TUNING=fast builds the C2 tuning instead (give it 128 MiB or more; 32 MiB heap).
# They are built into the image's Java runtime (jlink --add-options): every JVM of the image starts
# with them, before its command line, and nothing prints them (JDK_JAVA_OPTIONS would make the
# launcher print "NOTE: Picked up JDK_JAVA_OPTIONS: ..." into `docker logs` and every health-check
# log entry). JDK_JAVA_OPTIONS, unset in the image, still overrides them (e.g. a larger -Xmx with a
# larger memory limit). The class-data archive below is made with them.
ARG JVM_TUNING=small

# ---------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS build

ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8

# A JDK for jdeps/jlink/javac. `upgrade` too: the C libraries copied into the image come from here.
# (debian:*-slim drops /usr/share/man, where the JDK's postinst puts its alternatives' man links.)
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get upgrade -y \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless \
 && rm -rf /var/lib/apt/lists/*

# (Declared after the JDK layer, so that a new version or new flags do not reinstall the JDK.)
ARG VERSION
ARG JVM_TUNING

COPY target/cetusguard-*.tar.gz* /dist/

# Everything is assembled at the paths it has in the image (/opt/cetusguard, /opt/java): the
# class-data archive made below records them.

# The application, from the release tarball; its checksum is checked first.
RUN set -eu; \
    test -n "${VERSION}" || { echo "pass --build-arg VERSION=<project version> (see pom.xml)" >&2; exit 1; }; \
    cd /dist; \
    test -f "cetusguard-${VERSION}.tar.gz" || { echo "no target/cetusguard-${VERSION}.tar.gz: run 'mvn package' first" >&2; exit 1; }; \
    if [ -f "cetusguard-${VERSION}.tar.gz.sha256" ]; then sha256sum -c "cetusguard-${VERSION}.tar.gz.sha256"; fi; \
    tar -xzf "cetusguard-${VERSION}.tar.gz" -C /opt --no-same-owner; \
    mv "/opt/cetusguard-${VERSION}" /opt/cetusguard; \
    chmod -R a+rX,go-w /opt/cetusguard

# The Java runtime. jdeps lists what the jars can use; three of those modules serve only Jetty
# features the proxy never loads (JDBC/JNDI login and session stores: java.sql; SPNEGO:
# java.security.jgss; AWT/ImageIO leak preventers and a java.beans cleaner: java.desktop, which
# would also drag in X11/font/sound libraries), so they are left out. jdk.crypto.ec is added: the
# SunEC provider (TLS with EC keys and ECDHE) is a service jdeps cannot see (part of java.base
# from JDK 22 on). The CDS archive of the JDK's classes makes start-up faster and smaller (the
# archive for heaps without compressed oops, > 32 GiB, is dropped). Debian's JDK carries no native
# debug symbols, so --strip-debug (which needs objcopy) would gain nothing.
RUN set -eu; \
    case "${JVM_TUNING}" in small) heap="" ;; fast) heap=-Xmx32m ;; *) echo "JVM_TUNING: small or fast" >&2; exit 1 ;; esac; \
    flags="$(sed -n -e 's/^all: //p' -e "s/^${JVM_TUNING}: //p" /opt/cetusguard/conf/jvm.options | tr '\n' ' ')${heap}"; \
    echo "JVM flags (${JVM_TUNING}): ${flags}"; \
    modules="$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 /opt/cetusguard/lib/*.jar \
      | tr ',' '\n' | grep -vx -e java.desktop -e java.sql -e java.security.jgss | paste -sd, -),jdk.crypto.ec"; \
    case "${modules}" in java.base,*) echo "modules: ${modules}" ;; *) echo "jdeps failed" >&2; exit 1 ;; esac; \
    jlink --add-modules "${modules}" \
          --compress=2 --no-header-files --no-man-pages --strip-java-debug-attributes \
          --add-options="${flags}" \
          --generate-cds-archive \
          --output /opt/java; \
    rm /opt/java/lib/server/classes_nocoops.jsa; \
    cd /opt/java/lib/security; \
    for f in *; do if [ -L "$f" ]; then cp --remove-destination -L "$(readlink -f "$f")" "$f"; fi; done; \
    /opt/java/bin/java --list-modules

# The class-data archive: the classes the proxy loads up to its first answers (lib/cetusguard.classlist,
# recorded by the build's `cetusguard training-run`), parsed and laid out once here, by this runtime,
# for these paths, then mapped from the file at each start (as bin/cetusguard does on first start):
# a start in a quarter of a second and ~6 MiB less private memory. It needs the exact class path it
# was made with, in this order, hence the argument file the entry point reads (a JVM that cannot use
# the archive runs without it).
RUN set -eu; \
    cp="/opt/cetusguard/lib/cetusguard.jar$(ls /opt/cetusguard/lib/*.jar | grep -v '/cetusguard.jar$' | LC_ALL=C sort | sed 's/^/:/' | tr -d '\n')"; \
    printf -- '-cp %s\n-XX:SharedArchiveFile=/opt/cetusguard/cetusguard.jsa\n' "$cp" >/opt/cetusguard/java.args; \
    /opt/java/bin/java -Xshare:dump -XX:SharedClassListFile=/opt/cetusguard/lib/cetusguard.classlist \
      -XX:SharedArchiveFile=/opt/cetusguard/cetusguard.jsa -cp "$cp" >/tmp/cds-dump.log 2>&1 \
      || { tail -n 20 /tmp/cds-dump.log >&2; exit 1; }; \
    test -s /opt/cetusguard/cetusguard.jsa; \
    chmod 0444 /opt/cetusguard/cetusguard.jsa; \
    /opt/java/bin/java -Xshare:on @/opt/cetusguard/java.args -Xlog:cds=warning -version

# What a runtime FROM scratch needs besides: the shared libraries the JVM links against (and the
# copyright files of the packages they come from), a user, name-service configuration, /tmp, and
# /run/cetusguard: the place for a Unix-socket frontend (mount a volume there to share the socket;
# a new volume takes the directory's owner, uid 10001, and mode 0750 from the image).
RUN set -eu; \
    mkdir -p /rootfs/opt /rootfs/etc /rootfs/tmp; \
    cp -a /opt/java /opt/cetusguard /rootfs/opt/; \
    for f in /opt/java/bin/java $(find /opt/java/lib -name '*.so'); do ldd "$f"; done \
      | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | grep -v '^/opt/' | sort -u >/tmp/libs; \
    while read -r lib; do echo "library: $lib"; cp --parents -L "$lib" /rootfs/; done </tmp/libs; \
    while read -r lib; do \
      pkg="$(dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")")"; \
      pkg="${pkg%%:*}"; \
      mkdir -p "/rootfs/usr/share/doc/$pkg"; cp -L "/usr/share/doc/$pkg/copyright" "/rootfs/usr/share/doc/$pkg/"; \
    done </tmp/libs; \
    chmod 1777 /rootfs/tmp; \
    mkdir -p /rootfs/run/cetusguard; chown 10001:10001 /rootfs/run/cetusguard; chmod 0750 /rootfs/run/cetusguard; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\ncetusguard:x:10001:10001:CetusGuard:/nonexistent:/sbin/nologin\n' >/rootfs/etc/passwd; \
    printf 'root:x:0:\ncetusguard:x:10001:\n' >/rootfs/etc/group; \
    printf 'hosts: files dns\n' >/rootfs/etc/nsswitch.conf

# The classic builder keeps this stage's image (~800 MB: the JDK) after the build; the label lets
# examples/build-image.sh find exactly the one of its own build and remove it. Last in the stage, so
# that a new id does not invalidate the cached layers above.
ARG BUILD_STAGE_ID=none
LABEL org.cetusguard.build-stage="${BUILD_STAGE_ID}"

# ---------------------------------------------------------------------------------------------
FROM scratch

ARG VERSION
ARG REVISION=unknown
ARG CREATED=unknown

COPY --from=build /rootfs/ /

# The runtime starts with only what was copied, and the class-data archive matches (-Xshare:on
# fails otherwise). Exec form: there is no shell.
RUN ["/opt/java/bin/java", "-Xshare:on", "@/opt/cetusguard/java.args", "-version"]

# The JVM flags are in the runtime (see JVM_TUNING above); JDK_JAVA_OPTIONS overrides them, e.g.
# JDK_JAVA_OPTIONS=-Xmx64m with a larger memory limit (the launcher then prints that it picked it up).
ENV PATH=/opt/java/bin \
    LANG=C.UTF-8 \
    MALLOC_ARENA_MAX=2 \
    CETUSGUARD_FRONTEND_ADDR=tcp://:2375

USER 10001:10001
WORKDIR /opt/cetusguard
EXPOSE 2375

# `cetusguard healthcheck`: the proxy answers on its frontend (CETUSGUARD_FRONTEND_ADDR) and the
# daemon answers GET /_ping at CETUSGUARD_BACKEND_ADDR (or CONTAINER_HOST, DOCKER_HOST, the default
# socket), whatever the rules; when they are set on the command line instead, override this with the
# same options appended. A second, small JVM, not a shell: interpreted only (-Xint), plain JDK
# sockets; its flags here override the runtime's.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
  CMD ["/opt/java/bin/java", "-Xint", "-Xms4m", "-Xmx8m", "-XX:-UsePerfData", "-cp", "/opt/cetusguard/lib/cetusguard.jar", "org.cetusguard.Main", "healthcheck"]

ENTRYPOINT ["/opt/java/bin/java", "@/opt/cetusguard/java.args", "org.cetusguard.Main"]

LABEL org.opencontainers.image.title="CetusGuard for the JVM" \
      org.opencontainers.image.description="A firewall for the Docker Engine API: a drop-in replacement for the Go CetusGuard." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="scratch"
