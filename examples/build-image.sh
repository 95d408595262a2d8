#!/usr/bin/env bash
# Builds the CetusGuard container image from this checkout, without any registry.
#
# Usage: bash examples/build-image.sh [IMAGE]        (default IMAGE: cetusguard-test/cetusguard:latest)
#
# 1. `mvn package` makes target/cetusguard-<version>.tar.gz (+ .sha256), the release tarball the
#    image is made from (skipped when CETUSGUARD_SKIP_MVN=1 and the tarball exists).
# 2. The build stage's base image: when BASE_IMAGE (default local/debian-minbase:bookworm) is absent,
#    it is made with `debootstrap --variant=minbase bookworm` from the Debian mirror apt already uses
#    on this machine and `docker import`ed (about 30 s, once; later runs reuse it).
#    With a registry at hand, BASE_IMAGE=debian:bookworm-slim skips this.
# 3. `docker build` with the classic builder (DOCKER_BUILDKIT=0) and `--network host`: the build
#    stage installs the JDK (for jlink) from the Debian mirror. The runtime stage is FROM scratch.
#
# Environment: BASE_IMAGE, DOCKER (docker CLI, default: docker), BUILD_NETWORK (default host),
#              CETUSGUARD_SKIP_MVN=1, DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR (override the detection).
# Needs: docker, maven + JDK 17 (step 1), debootstrap (step 2, root; apt-get installs it if absent).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

IMAGE="${1:-cetusguard-test/cetusguard:latest}"
BASE_IMAGE="${BASE_IMAGE:-local/debian-minbase:bookworm}"
DOCKER="${DOCKER:-docker}"
BUILD_NETWORK="${BUILD_NETWORK:-host}"
SUITE=bookworm

log() { printf '[build-image] %s\n' "$*" >&2; }
die() { printf '[build-image] ERROR: %s\n' "$*" >&2; exit 1; }

t0=$SECONDS

# --- 1. the release tarball ---------------------------------------------------------------------
version="$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' pom.xml)"
[ -n "$version" ] || die "cannot read the project version from pom.xml"
dist="target/cetusguard-${version}.tar.gz"
if [ "${CETUSGUARD_SKIP_MVN:-}" = 1 ] && [ -f "$dist" ]; then
  log "using the existing $dist"
else
  log "mvn package (tests skipped) -> $dist"
  mvn -B -q package -DskipTests
fi
[ -f "$dist" ] || die "$dist was not made"

# --- 2. the base image for the build stage ------------------------------------------------------
# The Debian mirror apt uses here: deb822 .sources (URIs/Suites) or one-line sources.list entries.
find_mirror() {
  local suite="$1"
  awk -v suite="$suite" '
    FNR == 1 { uris = ""; suites = "" }
    /^[[:space:]]*deb[[:space:]]/ {          # one-line format: deb [opts] URI SUITE COMPONENTS...
      i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      if ($(i + 1) == suite) { print $i; exit }
      next
    }
    /^URIs:/   { uris = $2 }
    /^Suites:/ { suites = " " substr($0, 8) " " }
    /^[[:space:]]*$/ || /^Components:/ {     # end of (or late in) a deb822 stanza
      if (uris != "" && index(suites, " " suite " ") > 0) { print uris; exit }
      if (/^[[:space:]]*$/) { uris = ""; suites = "" }
    }
    END { }' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null || true
}

if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  log "base image $BASE_IMAGE present; not running debootstrap"
else
  case "$BASE_IMAGE" in
    local/*) ;;
    *) die "base image $BASE_IMAGE is absent; pull it, or leave BASE_IMAGE unset to make local/debian-minbase:$SUITE" ;;
  esac
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root (or make $BASE_IMAGE yourself)"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; } \
      || die "cannot install debootstrap"
  fi
  mirror="${DEBIAN_MIRROR:-$(find_mirror "$SUITE")}"
  [ -n "$mirror" ] || die "no Debian mirror for $SUITE in /etc/apt/sources.list{,.d}: set DEBIAN_MIRROR"
  security="${DEBIAN_SECURITY_MIRROR:-$(find_mirror "$SUITE-security")}"
  [ -n "$security" ] || log "no $SUITE-security mirror found (DEBIAN_SECURITY_MIRROR): the base gets no security suite"
  rootfs="$(mktemp -d /tmp/cg-img-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap --variant=minbase $SUITE from $mirror (about 30 s)"
  tb=$SECONDS
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -n 20 "$rootfs.log" >&2; rm -f "$rootfs.log"; die "debootstrap failed"; }
  rm -f "$rootfs.log"
  # Updates and security fixes too, so the build stage's `apt-get upgrade` patches the libraries
  # that end up in the image.
  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    if [ -n "$security" ]; then echo "deb $security $SUITE-security main"; fi
  } >"$rootfs/etc/apt/sources.list"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar --numeric-owner -C "$rootfs" -c . \
    | "$DOCKER" import --change 'CMD ["/bin/bash"]' \
        --message "debootstrap --variant=minbase $SUITE $mirror" - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  log "base image $BASE_IMAGE made in $((SECONDS - tb))s"
fi

# --- 3. the image -------------------------------------------------------------------------------
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
log "docker build -t $IMAGE (version $version, base $BASE_IMAGE)"
tb=$SECONDS
DOCKER_BUILDKIT=0 "$DOCKER" build --network "$BUILD_NETWORK" \
  --build-arg BASE_IMAGE="$BASE_IMAGE" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$revision" \
  --build-arg CREATED="$created" \
  -t "$IMAGE" . >&2
log "built $IMAGE in $((SECONDS - tb))s ($(
  "$DOCKER" image inspect --format '{{.Size}}' "$IMAGE" | awk '{ printf "%.1f MB", $1 / 1e6 }'
)); total $((SECONDS - t0))s"
